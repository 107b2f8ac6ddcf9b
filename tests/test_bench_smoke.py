"""The benchmark at a tiny size: every figure of `make bench` is produced and sane.

This keeps bench/ from rotting; it never asserts a timing (the machine's speed is not a test).
"""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Chat, Message, Update, User

from bench.config import SIZES
from bench.processor import PerPersonUpdateProcessor
from bench.runner import PARTS, run_all, table

TINY = SIZES["tiny"]


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0 and math.isfinite(value)


def test_a_tiny_run_produces_every_figure(tmp_path: Path) -> None:
    results = run_all(TINY, tmp_path, isolate=False)

    ingest = results["ingest"]
    modes = [mode for mode, figures in ingest.items() if isinstance(figures, dict)]
    assert modes == ["sequential", f"concurrent({TINY.concurrency})"]
    for mode in modes:
        figures = ingest[mode]
        assert _positive(figures["ratio"])
        for app in ("bot", "bare", "mirror"):
            run = figures[app]
            assert run["tips"] == TINY.residents * TINY.tips_each
            assert run["updates"] == run["tips"] * 9
            assert _positive(run["updates_per_second"])
            assert _positive(run["tips_per_second"])
            assert 0 < run["p50_ms"] <= run["p95_ms"]
        assert 0 < figures["bot"]["send_p50_ms"] <= figures["bot"]["send_p95_ms"]
        assert _positive(figures["mirror_ratio"])
        assert _positive(figures["bot_to_mirror"])

    queries = results["queries"]["by_query"]
    assert sorted(queries) == sorted(
        f"/{command} {span} {level}"
        for command in ("stats", "figures")
        for span in ("year", "decade")
        for level in ("province", "district", "commune")
    )
    for query in queries.values():
        for key in ("bot", "bare", "sql"):
            assert 0 < query[f"{key}_p50_ms"] <= query[f"{key}_p95_ms"]
        assert _positive(query["ratio_bare"])
        assert _positive(query["ratio_sql"])
    # The bot and the hand-written SQL agreed (the run raises otherwise); the histogram's
    # median stays close to the exact one.
    stats = [query["check"] for name, query in queries.items() if name.startswith("/stats")]
    assert all(check["received"] > 0 for check in stats)
    assert all(check["median_relative_error"] < 0.1 for check in stats)

    report = results["report"]
    assert _positive(report["p50_seconds"])
    assert _positive(report["first_seconds"])
    assert report["xlsx_bytes"] > 0
    assert report["png_bytes"] > 0

    for part in PARTS:
        assert _positive(results[part]["peak_rss_mb"])
    assert _positive(results["size_on_disk"]["bytes_per_tip"])
    assert results["machine"]["nproc"] >= 1

    names = [target["name"] for target in results["targets"]]
    assert len(names) == 1 + 2 * len(queries) + 1 + len(PARTS)
    assert all(isinstance(target["met"], bool) for target in results["targets"])

    written = json.loads((tmp_path / "results-tiny.json").read_text())
    assert written["queries"]["by_query"].keys() == queries.keys()
    printed = table(results)
    for heading in ("INGEST", "QUERIES", "REPORT", "MEMORY", "SIZE", "TARGETS"):
        assert heading in printed


async def test_one_persons_updates_never_overlap_while_two_people_run_at_once() -> None:
    processor = PerPersonUpdateProcessor(8)
    running: dict[int, int] = {}
    overlap: list[int] = []
    both_people = asyncio.Event()

    def update(update_id: int, person: int) -> Update:
        user = User(person, "Dân", is_bot=False)
        chat = Chat(person, Chat.PRIVATE)
        message = Message(update_id, datetime.now(UTC), chat, from_user=user, text="x")
        return Update(update_id, message=message)

    async def work(person: int) -> None:
        running[person] = running.get(person, 0) + 1
        if running[person] > 1:
            overlap.append(person)
        if len(running) == 2 and all(running.values()):
            both_people.set()
        await asyncio.sleep(0.01)
        running[person] -= 1

    updates = [update(index, 1 + index % 2) for index in range(6)]
    await asyncio.gather(
        *(processor.process_update(item, work(1 + index % 2)) for index, item in enumerate(updates))
    )
    assert overlap == []
    assert both_people.is_set()
