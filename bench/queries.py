"""Officer queries at a million tips: /stats and /figures through the handler, against baselines.

Each query is a real command from an administrator (ADMIN_USER_IDS, no registry needed), sent
through `Application.process_update` of the real application opened on the generated file, and
timed from the update going in to the answer being recorded by the in-memory Bot API.

Two baselines answer the same question on the same file:
- **bare**: a bare python-telegram-bot application whose /stats and /figures handlers run the
  best hand-written SQL (covering-index scans over the raw rows: no summary table) on their own
  aiosqlite connection and reply with the numbers. Same harness, same update, same Bot API: the
  ratio is what the bot's design costs or saves over hand-written SQL.
- **sql**: the same statements alone, on a plain `sqlite3` connection (no Telegram at all).

The benchmark also checks that the bot and the hand-written SQL agree (counts exactly; the
median time to first action within the histogram's resolution).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import aiosqlite
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from bench.config import bot_settings, start_as_in_production, stop_as_in_production
from bench.dataset import Dataset
from bench.measure import percentile
from bot.kernel.periods import Period, parse_period
from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import TEST_TOKEN, BotHarness
from bot.testing.updates import Person, UpdateBuilder

# Administrators by ADMIN_USER_IDS, taking turns: the flood guard gives each person a burst of
# 30 messages, then one a second, and a benchmark asks far faster than any officer.
ADMINS: Final = tuple(
    Person(id=7200001 + index, first_name=f"Quản trị {index}", language_code="vi")
    for index in range(40)
)
ZONE: Final = ZoneInfo("Asia/Ho_Chi_Minh")
COMMANDS: Final = ("stats", "figures")
LEVELS: Final = ("province", "district", "commune")
# What each answer must contain, so a refusal or an error is never timed as an answer.
MARKERS: Final = {"stats": "Tổng số tin tiếp nhận", "figures": "📊"}


# Seconds of timing per baseline and query, and the fewest repetitions whatever it costs.
BASELINE_BUDGET: Final = 20.0
MIN_BASELINE_REPEATS: Final = 5


class QueryMismatchError(AssertionError):
    """The bot and the hand-written SQL disagree."""


@dataclass(frozen=True)
class Query:
    """One officer question: a command, a period and a unit."""

    command: str
    span: str  # "year" or "decade"
    level: str
    period: str
    unit: str

    @property
    def name(self) -> str:
        """Return the query's name in tables and JSON."""
        return f"/{self.command} {self.span} {self.level}"

    def text(self) -> tuple[str, str]:
        """Return the command and its arguments as an officer types them."""
        return f"/{self.command}", f"{self.period} {self.unit}"


def queries(data: Dataset) -> list[Query]:
    """Return every query of the benchmark: command x (year, decade) x (province, ...)."""
    units = {"province": data.province, "district": data.district, "commune": data.commune}
    periods = {"year": data.year, "decade": data.decade}
    return [
        Query(command, span, level, periods[span], units[level])
        for command in COMMANDS
        for span in ("year", "decade")
        for level in LEVELS
    ]


@dataclass
class Timings:
    """The timed repetitions of one query by one contender."""

    seconds: list[float] = field(default_factory=list)

    def p50_ms(self) -> float:
        """Return the median in milliseconds."""
        return percentile(self.seconds, 50) * 1000

    def p95_ms(self) -> float:
        """Return the 95th percentile in milliseconds."""
        return percentile(self.seconds, 95) * 1000


# ---------------------------------------------------------------- hand-written SQL

_SUBTREE = """
    WITH RECURSIVE below(id) AS (
        SELECT id FROM units WHERE code = :unit
        UNION ALL
        SELECT units.id FROM units JOIN below ON units.parent_id = below.id
    )
"""

# Tips of the subtree received in the period, by category and status, over the widest
# index on (unit_id, received_at, ...) the file has; for the whole tree the tips of no unit
# too (the bot counts them at the top of the tree, where /tips lists them).
STATS_COUNTS = (
    _SUBTREE
    + """
    SELECT category, status, count(*), count(first_action_at), sum(of_value)
    FROM tips
    WHERE (unit_id IN below OR (:whole = 1 AND unit_id IS NULL))
      AND received_at >= :start AND received_at < :end
    GROUP BY category, status
    """
)
# The exact median of the hours to first action: the middle one or two, by sorting.
STATS_MEDIAN = (
    _SUBTREE
    + """
    SELECT avg(hours) FROM (
        SELECT (julianday(first_action_at) - julianday(received_at)) * 24 AS hours
        FROM tips
        WHERE (unit_id IN below OR (:whole = 1 AND unit_id IS NULL))
      AND received_at >= :start AND received_at < :end
          AND first_action_at IS NOT NULL
        ORDER BY hours
        LIMIT 2 - :acted % 2 OFFSET (:acted - 1) / 2
    )
    """
)
STATS_UNASSIGNED = """
    SELECT count(*) FROM tips
    WHERE unit_id IS NULL AND received_at >= :start AND received_at < :end
"""
# Flows: the current records lying inside the period, over the covering index.
FIGURES_FLOWS = (
    _SUBTREE
    + """
    SELECT f.indicator_id, sum(f.value), count(*)
    FROM figures AS f INDEXED BY figures_current
    WHERE f.superseded_at IS NULL
      AND f.indicator_id IN (SELECT id FROM indicators WHERE kind = 'flow')
      AND f.unit_id IN below
      AND f.end_day BETWEEN :start AND :end AND f.start_day >= :start
    GROUP BY f.indicator_id
    """
)
# Stocks: each series' latest current value at or before the period's end, one seek each.
FIGURES_STOCKS = (
    _SUBTREE
    + """
    SELECT indicator_id, sum(value), count(value) FROM (
        SELECT i.id AS indicator_id,
               (SELECT f.value FROM figures AS f INDEXED BY figures_current
                WHERE f.indicator_id = i.id AND f.unit_id = below.id
                  AND f.superseded_at IS NULL AND f.end_day <= :end
                ORDER BY f.end_day DESC LIMIT 1) AS value
        FROM indicators AS i, below
        WHERE i.kind = 'stock'
    )
    WHERE value IS NOT NULL
    GROUP BY indicator_id
    """
)


def utc_bounds(period: Period) -> tuple[str, str]:
    """Return the period's local days as [start, end) UTC texts, as the bot compares them."""
    start = datetime.combine(period.start, day_time(), ZONE)
    end = datetime.combine(period.end + timedelta(days=1), day_time(), ZONE)
    fmt = "%Y-%m-%dT%H:%M:%S"
    return start.astimezone(UTC).strftime(fmt), end.astimezone(UTC).strftime(fmt)


@dataclass(frozen=True)
class StatsAnswer:
    """What /stats says, as numbers."""

    received: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    acted: int
    of_value: int
    median_hours: float | None
    unassigned: int | None


@dataclass(frozen=True)
class FiguresAnswer:
    """What /figures says, as numbers: each indicator's total and how many records count."""

    totals: dict[int, tuple[float, int]]


Fetch = Callable[[str, dict[str, Any]], Awaitable[list[tuple[Any, ...]]]]


async def stats_by_hand(fetch: Fetch, unit: str, period: Period, whole: bool) -> StatsAnswer:
    """Answer /stats with the hand-written statements."""
    start, end = utc_bounds(period)
    values = {"unit": unit, "start": start, "end": end, "whole": 1 if whole else 0}
    by_category: dict[str, int] = {}
    by_status: dict[str, int] = {}
    received = acted = of_value = 0
    for category, status, count, with_action, valuable in await fetch(STATS_COUNTS, values):
        by_category[category] = by_category.get(category, 0) + count
        by_status[status] = by_status.get(status, 0) + count
        received += count
        acted += with_action
        of_value += valuable
    median = None
    if acted:
        rows = await fetch(STATS_MEDIAN, {**values, "acted": acted})
        median = float(rows[0][0])
    unassigned = None
    if whole:
        rows = await fetch(STATS_UNASSIGNED, {"start": start, "end": end})
        unassigned = int(rows[0][0])
    return StatsAnswer(received, by_category, by_status, acted, of_value, median, unassigned)


async def figures_by_hand(fetch: Fetch, unit: str, period: Period) -> FiguresAnswer:
    """Answer /figures (every indicator with data) with the hand-written statements."""
    values = {"unit": unit, "start": period.start_key, "end": period.end_key}
    totals: dict[int, tuple[float, int]] = {}
    for statement in (FIGURES_FLOWS, FIGURES_STOCKS):
        for indicator_id, total, count in await fetch(statement, values):
            totals[int(indicator_id)] = (float(total), int(count))
    return FiguresAnswer(totals)


def _count(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def stats_text(answer: StatsAnswer, unit: str, period: str) -> str:
    """Return the bare baseline's reply: the same numbers as the bot's, as plain HTML lines.

    Its size and markup are close to the bot's answer, so Telegram's side (and the in-memory
    API's) costs both the same; only the bot's rules, translations and checks are missing.
    """
    categories = ", ".join(f"{code} {_count(n)}" for code, n in answer.by_category.items())
    statuses = ", ".join(f"{code} {_count(n)}" for code, n in answer.by_status.items())
    median = "—" if answer.median_hours is None else f"{answer.median_hours:.1f}"
    lines = [
        f"📈 <b>{unit}</b>, {period}",
        "",
        f"{MARKERS['stats']}: <b>{_count(answer.received)}</b>",
        f"Theo loại: {categories}",
        f"Theo trạng thái: {statuses}",
        f"Tin có giá trị: <b>{_count(answer.of_value)}</b>",
        f"Trung vị: <b>{median} giờ</b> ({_count(answer.acted)} tin đã xử lý)",
    ]
    if answer.unassigned is not None:
        lines.append(f"Tin chưa gán đơn vị: {_count(answer.unassigned)}")
    return "\n".join(lines)


def figures_text(answer: FiguresAnswer, names: dict[int, str], unit: str, period: str) -> str:
    """Return the bare baseline's reply: one HTML line per indicator, as the bot's has."""
    lines = [f"{MARKERS['figures']} <b>{unit}</b> — {period}", ""]
    for indicator_id, (total, _records) in sorted(answer.totals.items()):
        lines.append(f"• {names.get(indicator_id, str(indicator_id))}: <b>{_count(total)}</b>")
    return "\n".join(lines)


# ---------------------------------------------------------------- the bare baseline


class BareQueries:
    """A bare PTB application answering /stats and /figures with the hand-written SQL."""

    def __init__(self, path: Path, api: InMemoryBotApi, province: str) -> None:
        self.path = path
        self.api = api
        self.province = province
        self.conn: aiosqlite.Connection | None = None
        # The indicator catalog is static data: read once, as any bot would.
        self.names: dict[int, str] = {}
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(TEST_TOKEN).request(api).get_updates_request(api).build()
        )
        self.application.add_handler(CommandHandler("stats", self._stats))
        self.application.add_handler(CommandHandler("figures", self._figures))
        self.updates = UpdateBuilder(self.application.bot, api)

    async def fetch(self, sql: str, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run one statement on the baseline's own connection."""
        assert self.conn is not None
        async with self.conn.execute(sql, values) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def _stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        period_text, unit = context.args or ["", ""]
        answer = await stats_by_hand(
            self.fetch, unit, parse_period(period_text), unit == self.province
        )
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, stats_text(answer, unit, period_text), parse_mode="HTML"
        )

    async def _figures(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        period_text, unit = context.args or ["", ""]
        answer = await figures_by_hand(self.fetch, unit, parse_period(period_text))
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id,
            figures_text(answer, self.names, unit, period_text),
            parse_mode="HTML",
        )

    async def start(self) -> None:
        """Open the connection (read-only) and start the application."""
        self.conn = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
        rows = await self.fetch("SELECT id, name_vi FROM indicators", {})
        self.names = {int(row[0]): str(row[1]) for row in rows}
        await self.application.initialize()
        await self.application.start()

    async def stop(self) -> None:
        """Stop the application and close the connection."""
        await self.application.stop()
        await self.application.shutdown()
        if self.conn is not None:
            await self.conn.close()


# ---------------------------------------------------------------- timing


class Asker:
    """Sends queries as the administrators in turn."""

    def __init__(self) -> None:
        self.turn = 0

    async def timed(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        api: InMemoryBotApi,
        updates: UpdateBuilder,
        query: Query,
    ) -> tuple[float, str]:
        """Send one query through the application; return the seconds and the answer's text."""
        admin = ADMINS[self.turn % len(ADMINS)]
        self.turn += 1
        command, arguments = query.text()
        update = updates.command(admin, command, *arguments.split())
        before = api.message_count(admin.id)
        started = time.perf_counter()
        await application.process_update(update)
        elapsed = time.perf_counter() - started
        if api.message_count(admin.id) <= before:
            raise QueryMismatchError(f"{query.name}: no answer")
        text = api.last_message(admin.id).plain_text
        # A real bot keeps nothing it sent; the in-memory API would, and its heap would make
        # the bot's garbage collections slower than they are.
        api.forget_chat(admin.id)
        if MARKERS[query.command] not in text:
            raise QueryMismatchError(f"{query.name}: unexpected answer {text[:300]!r}")
        return elapsed, text


async def _sql_only(path: Path, query: Query, province: str) -> float:
    """Time the hand-written statements alone on a plain sqlite3 connection (no Telegram)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:

        async def fetch(sql: str, values: dict[str, Any]) -> list[tuple[Any, ...]]:
            # Synchronous on purpose: no thread hand-off, nothing but SQLite.
            return [tuple(row) for row in conn.execute(sql, values).fetchall()]

        period = parse_period(query.period)
        started = time.perf_counter()
        if query.command == "stats":
            await stats_by_hand(fetch, query.unit, period, query.unit == province)
        else:
            await figures_by_hand(fetch, query.unit, period)
        return time.perf_counter() - started
    finally:
        conn.close()


async def _check(harness: BotHarness, bare: BareQueries, query: Query) -> dict[str, Any]:
    """Compare the bot's numbers (its own service) with the hand-written SQL's."""
    services = harness.app.services
    period = parse_period(query.period)
    unit = await services.units.by_code(query.unit)
    assert unit is not None
    if query.command == "stats":
        tree = await services.figures.repo.subtree(unit.id)
        assert tree is not None
        whole = tree.root.parent_id is None
        bot = await services.figures.tips.stats(
            list(tree.nodes), period, services.settings.zone, whole_tree=whole
        )
        hand = await stats_by_hand(bare.fetch, query.unit, period, whole)
        counts_agree = (
            bot.received == hand.received
            and {code: n for code, _vi, _en, n in bot.by_category} == hand.by_category
            and dict(bot.by_status) == hand.by_status
            and bot.acted == hand.acted
            and bot.of_value == hand.of_value
            and bot.unassigned == hand.unassigned
        )
        if not counts_agree:
            raise QueryMismatchError(f"{query.name}: bot {bot} != hand-written {hand}")
        error = None
        if bot.median_hours is not None and hand.median_hours:
            error = abs(bot.median_hours - hand.median_hours) / hand.median_hours
        return {
            "received": bot.received,
            "median_hours": bot.median_hours,
            "exact_median_hours": hand.median_hours,
            "median_relative_error": None if error is None else round(error, 4),
        }
    answer = await services.figures.answer(unit.id, period)
    assert answer is not None
    hand_figures = await figures_by_hand(bare.fetch, query.unit, period)
    bot_totals = {
        line.indicator.id: (float(line.outcome.total), line.outcome.records)
        for line in answer.lines
        if line.outcome.has_data
    }
    if bot_totals != hand_figures.totals:
        raise QueryMismatchError(f"{query.name}: bot {bot_totals} != {hand_figures.totals}")
    return {"indicators": len(bot_totals), "records": sum(n for _t, n in bot_totals.values())}


async def run_queries(data: Dataset, repeats: int) -> dict[str, Any]:
    """Time every query `repeats` times through the bot and through both baselines."""
    api = InMemoryBotApi(record_calls=False)
    settings = bot_settings(data.path, admin_user_ids=tuple(admin.id for admin in ADMINS))
    harness = BotHarness(settings, api=api)
    bare = BareQueries(data.path, api, data.province)
    await start_as_in_production(harness)
    await bare.start()
    results: dict[str, Any] = {}
    asker = Asker()
    try:
        for query in queries(data):
            bot_times, bare_times, sql_times = Timings(), Timings(), Timings()
            check = await _check(harness, bare, query)
            # One untimed round first: caches warm, as on a bot that has been running.
            await asker.timed(harness.app, api, harness.updates, query)
            first, _text = await asker.timed(bare.application, api, bare.updates, query)
            # A baseline that takes seconds (counting a decade of tips one by one) is timed
            # fewer times, so a full run stays within minutes; never fewer than five.
            baseline_repeats = max(MIN_BASELINE_REPEATS, min(repeats, int(BASELINE_BUDGET / first)))
            for run in range(repeats):
                # Alternate the contenders so the machine's noise hits all three alike.
                seconds, _text = await asker.timed(harness.app, api, harness.updates, query)
                bot_times.seconds.append(seconds)
                if run < baseline_repeats:
                    seconds, _text = await asker.timed(bare.application, api, bare.updates, query)
                    bare_times.seconds.append(seconds)
                    sql_times.seconds.append(await _sql_only(data.path, query, data.province))
            results[query.name] = {
                "command": query.text()[0] + " " + query.text()[1],
                "bot_p50_ms": round(bot_times.p50_ms(), 2),
                "bot_p95_ms": round(bot_times.p95_ms(), 2),
                "bare_p50_ms": round(bare_times.p50_ms(), 2),
                "bare_p95_ms": round(bare_times.p95_ms(), 2),
                "sql_p50_ms": round(sql_times.p50_ms(), 2),
                "sql_p95_ms": round(sql_times.p95_ms(), 2),
                "repeats": {"bot": len(bot_times.seconds), "baselines": len(bare_times.seconds)},
                "ratio_bare": round(bot_times.p95_ms() / bare_times.p95_ms(), 3),
                "ratio_sql": round(bot_times.p95_ms() / sql_times.p95_ms(), 3),
                "check": check,
            }
    finally:
        await bare.stop()
        await stop_as_in_production(harness)
    return {"repeats": repeats, "by_query": results}
