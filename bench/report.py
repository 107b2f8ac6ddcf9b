"""The report pack: /report for a province decade, wall time from the command to the workbook.

`/report <decade> <province>` sends a summary, a PNG chart and an XLSX workbook (totals, by
unit, by year, and the raw records). The first run in a process pays for first-time work (the
font, lazy imports); it is reported apart from the warm runs.
"""

from __future__ import annotations

import time
from typing import Any

from bench.config import bot_settings, start_as_in_production, stop_as_in_production
from bench.dataset import Dataset
from bench.measure import percentile
from bench.queries import ADMINS
from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import BotHarness


class ReportError(AssertionError):
    """The report pack did not arrive whole."""


async def run_report(data: Dataset, repeats: int) -> dict[str, Any]:
    """Time /report for the province over the whole data set, `repeats` times after a first."""
    api = InMemoryBotApi(record_calls=False)
    settings = bot_settings(data.path, admin_user_ids=tuple(admin.id for admin in ADMINS))
    harness = BotHarness(settings, api=api)
    await start_as_in_production(harness)
    seconds: list[float] = []
    details: dict[str, Any] = {}
    try:
        for run in range(repeats + 1):
            admin = ADMINS[run % len(ADMINS)]
            before = api.message_count(admin.id)
            update = harness.updates.command(admin, "/report", data.decade, data.province)
            started = time.perf_counter()
            await harness.app.process_update(update)
            elapsed = time.perf_counter() - started
            sent = api.sent_messages(admin.id, start=before)
            methods = [message.method for message in sent]
            if methods != ["sendMessage", "sendPhoto", "sendDocument"]:
                raise ReportError(f"the report pack was {methods}: {[m.text for m in sent]}")
            if run == 0:
                details["first_seconds"] = round(elapsed, 3)
                document = sent[-1].raw["document"]
                details["xlsx_bytes"] = int(document.get("file_size", 0))
                details["png_bytes"] = int(sent[1].raw["photo"][-1].get("file_size", 0))
            else:
                seconds.append(elapsed)
            # The pack's files stay in the in-memory API otherwise: it is not the bot's memory.
            api.forget_chat(admin.id)
    finally:
        await stop_as_in_production(harness)
    return {
        "command": f"/report {data.decade} {data.province}",
        "p50_seconds": round(percentile(seconds, 50), 3),
        "max_seconds": round(max(seconds), 3),
        "runs": [round(value, 3) for value in seconds],
        **details,
    }
