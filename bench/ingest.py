"""Ingest: residents completing the whole tip conversation at once, against PTB's bare ceiling.

Each simulated resident walks the real flow through buttons, as tests/tips/test_flow.py does:
/tip, a category, one line of story, Done, an address, Today, no files, anonymous, Send. Every
update goes into `application.update_queue`, as polling or a webhook would put it, and is
processed by the running application; the resident waits for it to be processed before the
next one, like a person waiting for the bot's answer.

The baseline is the same driver and the same in-memory Bot API with a bare python-telegram-bot
`Application` whose only handler replies to every update: the most the library itself can do
on this machine. Both run the same number of updates of the same kinds, under the same update
processor: one update at a time (python-telegram-bot's default, and `build_application`'s
today), or several at once with each person's updates kept in order (`TimedUpdateProcessor`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bench.config import Size, bot_settings, start_as_in_production, stop_as_in_production
from bench.dataset import CREATED, unit_records
from bench.measure import percentile
from bench.processor import TimedUpdateProcessor
from bot.db import Database, migrate
from bot.inbox import Inbox
from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import TEST_TOKEN, BotHarness
from bot.testing.updates import Person, UpdateBuilder
from bot.tips.conversation import (
    CB_CATEGORY,
    CB_EVIDENCE_DONE,
    CB_IDENTITY,
    CB_SEND,
    CB_STORY_DONE,
    CB_WHEN,
)
from bot.units.repository import UnitsRepository

log = logging.getLogger(__name__)

OFFICERS_CHAT = -1001234567890
FIRST_RESIDENT = 880_000_000
CATEGORIES = ("drugs", "theft", "fraud", "gambling", "violence", "dispute", "other")
STORY = "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ, thường đi xe máy màu đen."
ADDRESS = "Hẻm 12 đường Nguyễn Trung Trực, phường Vĩnh Thanh"

# One tip, update by update: (kind, value). "press" values are callback-data prefixes.
TIP_STEPS: tuple[tuple[str, str], ...] = (
    ("command", "/tip"),
    ("press", CB_CATEGORY),
    ("text", STORY),
    ("press", CB_STORY_DONE),
    ("text", ADDRESS),
    ("press", CB_WHEN + "today"),
    ("press", CB_EVIDENCE_DONE),
    ("press", CB_IDENTITY + "anon"),
    ("press", CB_SEND),
)
SEND_STEP = len(TIP_STEPS) - 1
# The round-trip case runs a tenth of the crowd: one at a time, it waits out every call.
ROUND_TRIP_CROWD = 10
# A Bot API round trip from a server in Vietnam to Telegram's data centre: tens of ms at best.
ROUND_TRIP_SECONDS = 0.05


class IngestError(RuntimeError):
    """The simulated residents did not end up with the tips they sent."""


@dataclass
class Run:
    """One timed run: how many updates, how long, and each update's latency."""

    app: str
    mode: str
    residents: int
    tips: int
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    send_latencies: list[float] = field(default_factory=list)

    @property
    def updates_per_second(self) -> float:
        """Return the processed updates per second of wall time."""
        return self.updates / self.seconds

    @property
    def tips_per_second(self) -> float:
        """Return the completed tips per second of wall time."""
        return self.tips / self.seconds

    def summary(self) -> dict[str, float | int | str]:
        """Return the run's figures (times in milliseconds)."""
        result: dict[str, float | int | str] = {
            "app": self.app,
            "mode": self.mode,
            "residents": self.residents,
            "tips": self.tips,
            "updates": self.updates,
            "seconds": round(self.seconds, 3),
            "updates_per_second": round(self.updates_per_second, 1),
            "tips_per_second": round(self.tips_per_second, 2),
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 2),
            "p95_ms": round(percentile(self.latencies, 95) * 1000, 2),
        }
        if self.send_latencies:
            result["send_p50_ms"] = round(percentile(self.send_latencies, 50) * 1000, 2)
            result["send_p95_ms"] = round(percentile(self.send_latencies, 95) * 1000, 2)
        return result


Submit = Callable[[Update], Awaitable[float]]


class Driver:
    """Feeds residents' updates into a running application and times each one."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        api: InMemoryBotApi,
        processor: TimedUpdateProcessor,
        *,
        real_flow: bool,
        inbox: Inbox | None = None,
    ) -> None:
        self.application = application
        # The bot's updates go through its durable inbox, as `python -m bot run` feeds them.
        self.inbox = inbox
        self.api = api
        self.processor = processor
        self.updates = UpdateBuilder(application.bot, api)
        self.real_flow = real_flow

    async def submit(self, update: Update) -> float:
        """Queue one update and return the seconds until it has been processed."""
        done = self.processor.expect(update)
        started = time.perf_counter()
        if self.inbox is None:
            await self.application.update_queue.put(update)
        else:
            for stored in await self.inbox.store([update]):
                await self.application.update_queue.put(stored)
        return await done - started

    def _build(self, person: Person, kind: str, value: str, category: str) -> Update:
        if kind == "command":
            return self.updates.command(person, value)
        if kind == "text":
            return self.updates.text(person, value)
        message = self.api.last_message(person.id)
        data = value
        if self.real_flow:
            wanted = value + category if value == CB_CATEGORY else value
            data = _button_data(message.reply_markup, wanted)
        return self.updates.callback(person, message, data)

    async def resident(self, run: Run, person: Person, tips: int, category: str) -> None:
        """Send `tips` whole tips as one resident, forgetting their chat after each."""
        for _ in range(tips):
            for index, (kind, value) in enumerate(TIP_STEPS):
                latency = await self.submit(self._build(person, kind, value, category))
                run.latencies.append(latency)
                if index == SEND_STEP:
                    run.send_latencies.append(latency)
            # The next tip starts afresh with /tip: the in-memory Telegram need not keep the
            # finished one's messages (they would count as the bot's memory).
            self.api.forget_chat(person.id)

    async def crowd(self, run: Run, residents: int, tips: int, first_id: int) -> None:
        """Run `residents` residents at once and record the wall time of the whole crowd."""
        people = [
            Person(id=first_id + index, first_name=f"Dân {index}", language_code="vi")
            for index in range(residents)
        ]
        started = time.perf_counter()
        await asyncio.gather(
            *(
                self.resident(run, person, tips, CATEGORIES[index % len(CATEGORIES)])
                for index, person in enumerate(people)
            )
        )
        run.seconds = time.perf_counter() - started
        run.updates = residents * tips * len(TIP_STEPS)


def _button_data(markup: dict[str, Any] | None, prefix: str) -> str:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if isinstance(data, str) and data.startswith(prefix):
                return data
    raise IngestError(f"no button {prefix!r} on the bot's latest message: {markup}")


# ---------------------------------------------------------------- the two applications


async def _prepare_database(path: Path, size: Size) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    db = Database(path)
    await db.open()
    try:
        await migrate(db)
        await UnitsRepository(db).save_all(unit_records(size.data), CREATED)
    finally:
        await db.close()


async def run_bot(size: Size, concurrency: int, folder: Path, round_trip: float = 0.0) -> Run:
    """Run the crowd through the real application on a fresh SQLite file."""
    path = folder / "ingest.sqlite3"
    await _prepare_database(path, size)
    settings = bot_settings(path, officer_chat_id=OFFICERS_CHAT, concurrent_updates=concurrency)
    api = InMemoryBotApi(record_calls=False, round_trip=round_trip)
    # The officers' group exists and the bot is in it: tip cards go there through the outbox.
    api.remember_message(
        {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": OFFICERS_CHAT, "type": "supergroup", "title": "Cán bộ tiếp nhận"},
            "text": "/start",
        }
    )
    # The bot's own processor, timed, so the run can time updates and compare one-at-a-time
    # with CONCURRENT_UPDATES.
    harness = BotHarness(settings, api=api, processor=TimedUpdateProcessor)
    processor = harness.app.update_processor
    assert isinstance(processor, TimedUpdateProcessor)
    mode = _mode(concurrency)
    run = Run("bot", mode, size.residents, size.residents * size.tips_each)
    await start_as_in_production(harness)
    try:
        driver = Driver(
            harness.app, api, processor, real_flow=True, inbox=harness.app.services.inbox
        )
        # Warm-up: one resident, untimed (first calls import and compile lazily).
        await driver.crowd(Run("bot", mode, 1, 1), 1, 1, FIRST_RESIDENT - 1)
        gc.collect()
        await driver.crowd(run, size.residents, size.tips_each, FIRST_RESIDENT)
        if harness.errors:
            raise IngestError(
                f"handlers raised {len(harness.errors)} errors: {harness.errors[0]!r}"
            )
        made = await harness.app.services.db.fetch_value("SELECT count(*) FROM tips")
        if made != run.tips + 1:
            raise IngestError(f"expected {run.tips + 1} tips in the database, found {made}")
    finally:
        await stop_as_in_production(harness)
    return run


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to anything: the least a bot can do with an update."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, "Đã nhận.")


_PROMPT = "<b>Bước 2/6</b> — Chuyện gì đã xảy ra? Kể ngắn gọn: ai, làm gì, ở đâu, khi nào."


async def _mirror(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Make the Bot API calls the tip flow makes for this kind of update, and nothing else.

    A button: answer it, take its keyboard off, ask the next question (three calls). A typed
    answer: one message, two after /tip and the address (an acknowledgement, then the next
    question). No database, no sealing, no translations: what Telegram traffic alone costs.
    """
    chat = update.effective_chat
    if chat is None:
        return
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Xong", callback_data="x")]])
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_reply_markup(reply_markup=None)
        await context.bot.send_message(chat.id, _PROMPT, parse_mode="HTML", reply_markup=markup)
        return
    message = update.effective_message
    text = message.text if message is not None else ""
    if text and (text.startswith("/") or text == ADDRESS):
        await context.bot.send_message(chat.id, "Đã ghi nhận.")
    await context.bot.send_message(chat.id, _PROMPT, parse_mode="HTML", reply_markup=markup)


async def run_bare(
    size: Size, concurrency: int, *, mirror: bool = False, round_trip: float = 0.0
) -> Run:
    """Run the same crowd, same updates, against a bare PTB application that only replies.

    With `mirror`, the bare application makes the same Bot API calls as the tip flow.
    """
    api = InMemoryBotApi(record_calls=False, round_trip=round_trip)
    processor = TimedUpdateProcessor(concurrency)
    application = (
        ApplicationBuilder()
        .token(TEST_TOKEN)
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(processor)
        .build()
    )
    application.add_handler(TypeHandler(Update, _mirror if mirror else _reply))
    mode = _mode(concurrency)
    name = "mirror" if mirror else "bare"
    run = Run(name, mode, size.residents, size.residents * size.tips_each)
    await application.initialize()
    await application.start()
    try:
        driver = Driver(application, api, processor, real_flow=False)
        await driver.crowd(Run(name, mode, 1, 1), 1, 1, FIRST_RESIDENT - 1)
        gc.collect()
        await driver.crowd(run, size.residents, size.tips_each, FIRST_RESIDENT)
    finally:
        await application.stop()
        await application.shutdown()
    return run


def _mode(concurrency: int) -> str:
    return "sequential" if concurrency == 1 else f"concurrent({concurrency})"


# ---------------------------------------------------------------- the part


async def run_ingest(size: Size, folder: Path, *, rounds: int = 3) -> dict[str, Any]:
    """Measure both applications in both modes, alternating, `rounds` times; keep the medians."""
    result: dict[str, Any] = {"residents": size.residents, "tips_each": size.tips_each}
    for concurrency in (1, size.concurrency):
        mode = _mode(concurrency)
        runs: dict[str, list[Run]] = {"bot": [], "bare": [], "mirror": []}
        for _ in range(rounds):
            runs["bare"].append(await run_bare(size, concurrency))
            runs["mirror"].append(await run_bare(size, concurrency, mirror=True))
            runs["bot"].append(await run_bot(size, concurrency, folder))
        chosen = {name: _median_run(found) for name, found in runs.items()}
        speed = {name: run.updates_per_second for name, run in chosen.items()}
        result[mode] = {
            **{name: run.summary() for name, run in chosen.items()},
            "ratio": round(speed["bot"] / speed["bare"], 3),
            # How much of the gap is the flow's Telegram traffic, how much the bot's own work.
            "mirror_ratio": round(speed["mirror"] / speed["bare"], 3),
            "bot_to_mirror": round(speed["bot"] / speed["mirror"], 3),
            "updates_per_second_runs": {
                name: [round(run.updates_per_second, 1) for run in found]
                for name, found in runs.items()
            },
        }
    result["round_trips"] = await run_round_trips(size, folder, ROUND_TRIP_SECONDS)
    return result


async def run_round_trips(size: Size, folder: Path, round_trip: float) -> dict[str, Any]:
    """Measure a smaller crowd when every Bot API call takes `round_trip` seconds.

    With real Telegram each call is a network round trip: this is where handling updates one
    at a time queues residents behind each other, and where CONCURRENT_UPDATES pays.
    """
    crowd = replace(size, residents=max(2, size.residents // ROUND_TRIP_CROWD), tips_each=1)
    result: dict[str, Any] = {
        "round_trip_ms": round(round_trip * 1000),
        "residents": crowd.residents,
        "tips_each": crowd.tips_each,
    }
    for concurrency in (1, size.concurrency):
        bot = await run_bot(crowd, concurrency, folder, round_trip)
        bare = await run_bare(crowd, concurrency, round_trip=round_trip)
        result[_mode(concurrency)] = {
            "bot": bot.summary(),
            "bare": bare.summary(),
            "ratio": round(bot.updates_per_second / bare.updates_per_second, 3),
        }
    return result


def _median_run(runs: list[Run]) -> Run:
    """Return the run with the median throughput (the middle one of an odd count)."""
    ordered = sorted(runs, key=lambda run: run.updates_per_second)
    middle = statistics.median_low(range(len(ordered)))
    return ordered[middle]
