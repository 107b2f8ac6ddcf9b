"""Telegram handlers: /figures, /record, /import, /report, /stats, /export, /indicators.

Handlers are thin: they read the update, check who is asking (`_access`), call the
`FiguresService` and render the answer. Officers and administrators record and import;
analysts read figures and reports, never tip content; residents are refused without detail.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.figures._access import (
    ADMINS,
    READERS,
    WRITERS,
    Officer,
    officer_callback,
    officer_command,
    officer_message,
)
from bot.figures.importer import MAX_FILE_BYTES, FileError, parse_file
from bot.figures.model import Indicator
from bot.figures.numbers import NumberError, parse_number
from bot.figures.render import (
    answer_text,
    breakdown_text,
    measure_text,
    number,
    period_text,
    problem_text,
)
from bot.figures.report import MAX_RAW_ROWS, RecordRows, chart_png, summary_sheets, summary_text
from bot.figures.service import (
    FiguresService,
    Problem,
    RecordResult,
    RowProblem,
    Scope,
    number_problem,
    period_problem,
)
from bot.figures.tips_stats import NoTipsTableError, TipsStatsRepository
from bot.figures.xlsx import Workbook
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import Period, PeriodError, parse_period
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat
from bot.units import Unit

if TYPE_CHECKING:
    from bot.services import Services


log = logging.getLogger(__name__)

# Until this feature names its needs in a Protocol, it sees the whole container.
Context: TypeAlias = "BotContext[Services]"
PRIVATE = filters.ChatType.PRIVATE

MAX_ARGUMENTS_TEXT: Final = 600
MAX_TOKEN: Final = 64
MAX_LISTED_PROBLEMS: Final = 30
INDICATORS_PER_PAGE: Final = 8
CALLBACK_LIMIT: Final = 64

# Conversation states of /record and /import.
ASK_INDICATOR, ASK_VALUE, ASK_UNIT, ASK_PERIOD, ASK_REASON, WAIT_FILE = range(6)

_DRAFT = "figures.record_draft"
_BREAKDOWN = "fg"
_RECORD = "fgr"
_EXPORT = "fgx"


# ---------------------------------------------------------------- plumbing


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _service(context: Context) -> FiguresService:
    return context.services.figures


def _today(context: Context) -> date:
    services = context.services
    return services.figures.local_today(services.settings.zone)


def _scope(officer: Officer) -> Scope:
    return Scope(officer.unit_id, officer.unit_ids())


def _too_long(update: Update) -> bool:
    message = update.effective_message
    text = message.text if message is not None else None
    return text is not None and len(text) > MAX_ARGUMENTS_TEXT


@dataclass
class QueryArgs:
    """What a /figures, /report, /stats or /export command asked for."""

    unit: Unit
    period: Period
    indicators: list[Indicator] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


async def _query_args(
    context: Context,
    t: Translator,
    officer: Officer,
    args: Sequence[str],
    *,
    indicators: bool,
    words: Sequence[str] = (),
) -> QueryArgs | str:
    """Sort the arguments into a period, a unit and indicators; return an error text if any."""
    service = _service(context)
    period: Period | None = None
    unit: Unit | None = None
    chosen: list[Indicator] = []
    found_words: list[str] = []
    catalog = await service.catalog()
    for token in args:
        if len(token) > MAX_TOKEN:
            return t("figures.error.token_too_long", limit=MAX_TOKEN)
        if token.lower() in words:
            found_words.append(token.lower())
            continue
        try:
            parsed = parse_period(token)
        except PeriodError as error:
            if error.reason != "format":
                return problem_text(t, period_problem(error))
        else:
            if period is not None:
                return t("figures.error.two_periods")
            period = parsed
            continue
        indicator = catalog.find(token) if indicators else None
        if indicator is not None:
            chosen.append(indicator)
            continue
        found = await service.unit(token)
        if found is not None:
            if unit is not None:
                return t("figures.error.two_units")
            unit = found
            continue
        key = (
            N_("figures.error.unknown_token")
            if indicators
            else N_("figures.error.unknown_token_short")
        )
        return t(key, token=token)
    if unit is None:
        unit = await service.default_unit(_scope(officer))
        if unit is None:
            roots = ", ".join(root.code for root in await service.root_units())
            return t("figures.error.choose_unit", units=roots or "—")
    if not await service.in_scope(_scope(officer), unit.id):
        return t("figures.error.unit_outside_scope", code=unit.code)
    if period is None:
        period = Period.year(_today(context).year)
    return QueryArgs(unit, period, chosen, found_words)


async def _command_query(
    update: Update,
    context: Context,
    t: Translator,
    officer: Officer,
    usage_key: str,
    *,
    indicators: bool,
    words: Sequence[str] = (),
) -> QueryArgs | None:
    """Return what a query command asked for; on bad input, answer it with the usage instead."""
    if _too_long(update):
        await reply_in_chat(update, context, t("figures.error.too_long"))
        return None
    parsed = await _query_args(
        context, t, officer, context.args or [], indicators=indicators, words=words
    )
    if isinstance(parsed, str):
        await reply_in_chat(update, context, parsed + "\n\n" + t(usage_key))
        return None
    return parsed


def _mask(indicators: Sequence[Indicator]) -> str:
    """Encode indicator ids as a base-36 bit mask, to fit a query in 64 bytes of callback data."""
    bits = 0
    for indicator in indicators:
        bits |= 1 << indicator.id
    return _base36(bits) if bits else ""


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while value:
        value, remainder = divmod(value, 36)
        text = digits[remainder] + text
    return text or "0"


def _unmask(text: str) -> list[int]:
    if not text:
        return []
    bits = int(text, 36)
    return [index for index in range(bits.bit_length()) if bits >> index & 1]


# ---------------------------------------------------------------- /figures


async def figures_command(update: Update, context: Context, officer: Officer) -> None:
    """Answer the totals of a unit's subtree over a period, with breakdown buttons."""
    t = context.t
    parsed = await _command_query(
        update, context, t, officer, N_("figures.usage.figures"), indicators=True
    )
    if parsed is None:
        return
    keys = [indicator.key for indicator in parsed.indicators]
    answer = await _service(context).answer(parsed.unit.id, parsed.period, keys)
    if answer is None:
        await reply_in_chat(update, context, t("figures.error.unknown_unit", code=parsed.unit.code))
        return
    buttons: list[InlineKeyboardButton] = []
    mask = _mask(parsed.indicators)
    label = parsed.period.label()
    for mode, key, wanted in (
        ("c", N_("figures.button.by_child"), bool(answer.tree.children(answer.root.id))),
        ("y", N_("figures.button.by_year"), len(parsed.period.calendar_years()) > 1),
    ):
        data = f"{_BREAKDOWN}:{mode}:{parsed.unit.id}:{label}:{mask}"
        if wanted and len(data.encode()) <= CALLBACK_LIMIT:
            buttons.append(InlineKeyboardButton(t.label(key), callback_data=data))
    markup = InlineKeyboardMarkup([buttons]) if buttons else None
    await reply_in_chat(update, context, answer_text(t, answer), markup)


_BREAKDOWN_DATA = re.compile(rf"^{_BREAKDOWN}:([cy]):(\d+):([0-9Q.\-]+):([0-9a-z]*)$")


async def breakdown_pressed(update: Update, context: Context, officer: Officer) -> None:
    """Send the breakdown by child unit or by year that a button asked for."""
    query = update.callback_query
    assert query is not None
    t = context.t
    match = _BREAKDOWN_DATA.match(query.data or "")
    service = _service(context)
    try:
        period = parse_period(match.group(3)) if match else None
    except PeriodError:
        period = None
    if match is None or period is None:
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    unit_id = int(match.group(2))
    if not await service.in_scope(_scope(officer), unit_id):
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    catalog = await service.catalog()
    keys = [catalog.by_id[i].key for i in _unmask(match.group(4)) if i in catalog.by_id]
    await query.answer()
    whole = await service.answer(unit_id, period, keys)
    if whole is None:
        await reply_in_chat(update, context, t("callback.stale"))
        return
    if match.group(1) == "c":
        breakdown = await service.by_child(unit_id, period, keys)
        by = "child"
    else:
        breakdown = await service.by_year(unit_id, period, keys)
        by = "year"
    assert breakdown is not None
    await reply_in_chat(update, context, breakdown_text(t, whole, breakdown, by=by))


# ---------------------------------------------------------------- /report


async def report_command(update: Update, context: Context, officer: Officer) -> None:
    """Send the report pack: a summary, a chart by year and an Excel workbook."""
    services = context.services
    t = context.t
    parsed = await _command_query(
        update, context, t, officer, N_("figures.usage.report"), indicators=False
    )
    if parsed is None:
        return
    chat = update.effective_chat
    assert chat is not None
    service = _service(context)
    answer = await service.answer(parsed.unit.id, parsed.period)
    by_child = await service.by_child(parsed.unit.id, parsed.period, whole=answer)
    by_year = await service.by_year(parsed.unit.id, parsed.period, whole=answer)
    if answer is None or by_child is None or by_year is None:
        await reply_in_chat(update, context, t("figures.error.unknown_unit", code=parsed.unit.code))
        return
    keys = [line.indicator.key for line in answer.lines]
    await reply_in_chat(update, context, summary_text(t, answer))
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    # Drawing and writing the workbook are CPU work: keep them off the event loop.
    png = await asyncio.to_thread(chart_png, t, answer, by_year)
    name = _file_stem(parsed.unit.code, parsed.period)
    await context.bot.send_photo(
        chat.id,
        photo=png,
        caption=t("figures.report.chart_caption", period=period_text(t, parsed.period)),
    )
    # The workbook is written into a spooled file (on disk past 8 MB) as the rows come.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        book = Workbook(spool)
        try:
            raw = await asyncio.to_thread(
                summary_sheets,
                book,
                t,
                answer,
                by_child,
                by_year,
                generated_at=services.clock.now(),
            )
            rows = RecordRows(t, raw)
            # The records stream from the cursor into the sheet a chunk at a time: one more
            # than the sheet holds, so it can say it stopped.
            async for chunk in service.raw_record_chunks(
                parsed.unit.id, parsed.period, keys, limit=MAX_RAW_ROWS + 1, size=2000
            ):
                await asyncio.to_thread(rows.add, chunk)
        finally:
            # On failure too: closing removes the workbook's temporary files at once.
            await asyncio.to_thread(book.close)
        spool.seek(0)
        # python-telegram-bot reads an upload whole anyway (and cannot name a spooled file).
        await context.bot.send_document(
            chat.id,
            document=spool.read(),
            filename=f"{name}.xlsx",
            caption=t("figures.report.xlsx_caption"),
        )
    finally:
        spool.close()
    # Exports are officer actions: the audit log records who took which figures out.
    await services.audit.record(
        at=services.clock.now(),
        actor=f"officer:{officer.user_id}",
        action="export.report",
        target=f"unit:{parsed.unit.code}",
        details={"period": parsed.period.label()},
    )


def _file_stem(code: str, period: Period) -> str:
    safe_code = re.sub(r"[^A-Za-z0-9_-]+", "_", code)
    return f"figures_{safe_code}_{period.label().replace('..', '_')}"


# ---------------------------------------------------------------- /stats and /export


async def stats_command(update: Update, context: Context, officer: Officer) -> None:
    """Answer the tip-derived figures of a unit's subtree over a period."""
    services = context.services
    t = context.t
    parsed = await _command_query(
        update, context, t, officer, N_("figures.usage.stats"), indicators=False
    )
    if parsed is None:
        return
    tree = await _service(context).repo.subtree(parsed.unit.id)
    assert tree is not None
    repository = TipsStatsRepository(services.db)
    whole_tree = officer.unit_id is None and tree.root.parent_id is None
    try:
        stats = await repository.stats(
            list(tree.nodes), parsed.period, services.settings.zone, whole_tree=whole_tree
        )
    except NoTipsTableError:
        await reply_in_chat(update, context, t("figures.stats.no_table"))
        return
    parts = [
        t(
            "figures.stats.title",
            unit=tree.root.name(t.language),
            code=tree.root.code,
            period=period_text(t, parsed.period),
        ),
        "",
        t("figures.stats.received", count=t.number(stats.received)),
    ]
    if stats.received:
        categories = ", ".join(
            f"{label_en if t.language == 'en' else label_vi} {t.number(count)}"
            for _code, label_vi, label_en, count in stats.by_category
        )
        statuses = ", ".join(f"{status} {t.number(count)}" for status, count in stats.by_status)
        parts.append(t("figures.stats.by_category", items=categories))
        parts.append(t("figures.stats.by_status", items=statuses))
        if stats.of_value is None:
            parts.append(t("figures.stats.of_value_untracked"))
        else:
            parts.append(t("figures.stats.of_value", count=t.number(stats.of_value)))
        if stats.median_hours is None:
            parts.append(t("figures.stats.no_action_yet"))
        else:
            parts.append(
                t(
                    "figures.stats.median",
                    hours=t.number(stats.median_hours, decimals=1),
                    acted=t.number(stats.acted),
                    waiting=t.number(stats.received - stats.acted),
                )
            )
    if stats.unassigned:
        parts.append(t("figures.stats.unassigned", count=t.number(stats.unassigned)))
    await reply_in_chat(update, context, "\n".join(parts))


async def export_command(update: Update, context: Context, officer: Officer) -> None:
    """Export the tips of the officer's scope as CSV or XLSX (asks which when not given)."""
    t = context.t
    parsed = await _command_query(
        update,
        context,
        t,
        officer,
        N_("figures.usage.export"),
        indicators=False,
        words=("csv", "xlsx"),
    )
    if parsed is None:
        return
    if not parsed.words:
        base = f"{_EXPORT}:{{fmt}}:{parsed.unit.id}:{parsed.period.label()}"
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("CSV", callback_data=base.format(fmt="csv")),
                    InlineKeyboardButton("Excel (XLSX)", callback_data=base.format(fmt="xlsx")),
                ]
            ]
        )
        await reply_in_chat(update, context, t("figures.export.choose"), markup)
        return
    await _send_export(update, context, officer, parsed.unit.id, parsed.period, parsed.words[0])


_EXPORT_DATA = re.compile(rf"^{_EXPORT}:(csv|xlsx):(\d+):([0-9Q.\-]+)$")


async def export_pressed(update: Update, context: Context, officer: Officer) -> None:
    """Export in the format whose button was pressed."""
    query = update.callback_query
    assert query is not None
    t = context.t
    match = _EXPORT_DATA.match(query.data or "")
    try:
        period = parse_period(match.group(3)) if match else None
    except PeriodError:
        period = None
    if match is None or period is None:
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    await query.answer()
    await _send_export(update, context, officer, int(match.group(2)), period, match.group(1))


async def _send_export(
    update: Update, context: Context, officer: Officer, unit_id: int, period: Period, fmt: str
) -> None:
    services = context.services
    t = context.t
    service = _service(context)
    if not await service.in_scope(_scope(officer), unit_id):
        await reply_in_chat(update, context, t("callback.stale"))
        return
    tree = await service.repo.subtree(unit_id)
    chat = update.effective_chat
    if tree is None or chat is None:
        await reply_in_chat(update, context, t("callback.stale"))
        return
    whole_tree = officer.unit_id is None and tree.root.parent_id is None
    try:
        spool, count = await TipsStatsRepository(services.db).export(
            list(tree.nodes),
            period,
            services.settings.zone,
            "csv" if fmt == "csv" else "xlsx",
            whole_tree=whole_tree,
        )
    except NoTipsTableError:
        await reply_in_chat(update, context, t("figures.stats.no_table"))
        return
    with spool:
        stem = _file_stem(tree.root.code, period).replace("figures_", "tips_", 1)
        # python-telegram-bot reads an upload whole; the rows were streamed into the spool
        # from the cursor, so no list of every tip was held on the way.
        await context.bot.send_document(
            chat.id,
            document=spool.read(),
            filename=f"{stem}.{fmt}",
            caption=t(
                "figures.export.caption",
                count=t.number(count),
                unit=tree.root.name(t.language),
                period=period_text(t, period),
            ),
        )
    await services.audit.record(
        at=services.clock.now(),
        actor=f"officer:{officer.user_id}",
        action="export.tips",
        target=f"unit:{tree.root.code}",
        details={"format": fmt, "period": period.label(), "rows": count},
    )


# ---------------------------------------------------------------- /indicators


async def indicators_command(update: Update, context: Context, officer: Officer) -> None:
    """List the indicator catalog with keys, kinds and units of measure."""
    t = context.t
    catalog = await _service(context).catalog()
    parts = [t("figures.indicators.title")]
    for indicator in catalog.active():
        kind = t.label(
            N_("figures.kind.stock") if indicator.kind == "stock" else N_("figures.kind.flow")
        )
        line = t(
            "figures.indicators.line",
            key=indicator.key,
            name=indicator.name(t.language),
            measure=measure_text(t, indicator),
            kind=kind,
        )
        if indicator.part_of is not None and indicator.part_of in catalog.by_id:
            line += t("figures.indicators.part_of", base=catalog.by_id[indicator.part_of].key)
        parts.append(line)
    parts.append("")
    parts.append(t("figures.usage.record"))
    await reply_in_chat(update, context, "\n".join(parts))


async def add_indicator_command(update: Update, context: Context, officer: Officer) -> None:
    """Add an indicator to the catalog: KEY KIND MEASURE [part_of=BASE] Tên | Name."""
    t = context.t
    if _too_long(update):
        await reply_in_chat(update, context, t("figures.error.too_long"))
        return
    args = list(context.args or [])
    part_of: str | None = None
    if len(args) > 3 and args[3].startswith("part_of="):
        part_of = args.pop(3).removeprefix("part_of=")
    names = " ".join(args[3:]).split("|")
    if len(args) < 4 or len(names) != 2:
        await reply_in_chat(update, context, t("figures.usage.add_indicator"))
        return
    result = await _service(context).add_indicator(
        args[0], args[1], args[2], names[0], names[1], part_of=part_of
    )
    if isinstance(result, Problem):
        await reply_in_chat(
            update, context, problem_text(t, result) + "\n\n" + t("figures.usage.add_indicator")
        )
        return
    await reply_in_chat(
        update,
        context,
        t("figures.indicator_add.done", key=result.key, name=result.name(t.language)),
    )


# ---------------------------------------------------------------- /record


@dataclass
class Draft:
    """What /record has gathered so far."""

    indicator: str | None = None
    value: str | None = None
    unit: str | None = None
    period: str | None = None
    pending: RecordResult | None = None


def _draft(context: Context) -> Draft:
    data = context.user_data
    if data is None:
        return Draft()
    draft = data.get(_DRAFT)
    if not isinstance(draft, Draft):
        draft = Draft()
        data[_DRAFT] = draft
    return draft


def _drop_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(_DRAFT, None)


async def record_command(update: Update, context: Context, officer: Officer) -> object:
    """Record a figure from arguments, asking with buttons for whatever is missing."""
    t = context.t
    _drop_draft(context)
    if _too_long(update):
        await reply_in_chat(update, context, t("figures.error.too_long"))
        return ConversationHandler.END
    draft = _draft(context)
    args = list(context.args or [])
    if args:
        draft.indicator = args[0]
    if len(args) > 1:
        draft.value = args[1]
    for token in args[2:4]:
        try:
            parse_period(token)
        except PeriodError as error:
            if error.reason == "format":
                draft.unit = token
                continue
        draft.period = token
    if len(args) > 4:
        await reply_in_chat(update, context, t("figures.usage.record"))
        _drop_draft(context)
        return ConversationHandler.END
    if draft.unit is None and officer.unit_id is not None and len(args) >= 2:
        # An officer typing the whole command records for their own unit by default.
        unit = await context.services.units.by_id(officer.unit_id)
        draft.unit = unit.code if unit else None
    return await _next_step(update, context, officer, t)


async def _next_step(update: Update, context: Context, officer: Officer, t: Translator) -> object:
    """Ask for the first missing piece, or validate and record when nothing is missing."""
    draft = _draft(context)
    service = _service(context)
    catalog = await service.catalog()
    if draft.indicator is not None and len(draft.indicator) > MAX_TOKEN:
        draft.indicator = draft.indicator[:MAX_TOKEN]
    indicator = catalog.find(draft.indicator) if draft.indicator else None
    if draft.indicator is not None and (indicator is None or not indicator.active):
        await reply_in_chat(
            update, context, t("figures.error.unknown_indicator", name=draft.indicator)
        )
        draft.indicator = None
    if draft.indicator is None or indicator is None:
        await _ask_indicator(update, context, t, page=0)
        return ASK_INDICATOR
    if draft.value is not None:
        try:
            parse_number(draft.value, integer=indicator.integer_only)
        except NumberError as error:
            await reply_in_chat(update, context, problem_text(t, number_problem(error)))
            draft.value = None
    if draft.value is None:
        await reply_in_chat(
            update,
            context,
            t(
                "figures.record.ask_value",
                name=indicator.name(t.language),
                measure=measure_text(t, indicator),
            ),
        )
        return ASK_VALUE
    if draft.unit is not None:
        unit = await service.unit(draft.unit)
        if unit is None:
            await reply_in_chat(
                update, context, t("figures.error.unknown_unit", code=draft.unit[:64])
            )
            draft.unit = None
        elif not await service.in_scope(_scope(officer), unit.id):
            await reply_in_chat(
                update, context, t("figures.error.unit_outside_scope", code=unit.code)
            )
            draft.unit = None
    if draft.unit is None:
        await _ask_unit(update, context, officer, t)
        return ASK_UNIT
    if draft.period is not None:
        try:
            parse_period(draft.period)
        except PeriodError as error:
            await reply_in_chat(update, context, problem_text(t, period_problem(error)))
            draft.period = None
    if draft.period is None:
        await _ask_period(update, context, t)
        return ASK_PERIOD
    prepared = await service.prepare(
        indicator=draft.indicator,
        value=draft.value,
        unit=draft.unit,
        period=draft.period,
        scope=_scope(officer),
        today=_today(context),
    )
    if isinstance(prepared, list):
        # Only the checks that need everything together remain (a period in the future).
        await reply_in_chat(update, context, "\n".join(problem_text(t, p) for p in prepared))
        draft.period = None
        await _ask_period(update, context, t)
        return ASK_PERIOD
    cohort = await service.cohort_problem(prepared)
    if cohort is not None:
        await reply_in_chat(update, context, problem_text(t, cohort))
        draft.value = None
        await reply_in_chat(
            update,
            context,
            t(
                "figures.record.ask_value",
                name=indicator.name(t.language),
                measure=measure_text(t, indicator),
            ),
        )
        return ASK_VALUE
    result = await service.record(prepared, by=f"tg:{officer.user_id}")
    return await _answer_recorded(update, context, t, draft, result, draft.unit)


async def _answer_recorded(
    update: Update,
    context: Context,
    t: Translator,
    draft: Draft,
    result: RecordResult,
    unit_code: str,
) -> int:
    """Show what was recorded, or keep the result and ask why when a correction needs a reason."""
    if result.status == "needs_reason":
        draft.pending = result
        await reply_in_chat(
            update,
            context,
            _needs_reason_text(t, result, await _unit_label(context, t, unit_code)),
        )
        return ASK_REASON
    await reply_in_chat(
        update, context, _result_text(t, result, await _unit_label(context, t, unit_code))
    )
    _drop_draft(context)
    return ConversationHandler.END


async def _unit_label(context: Context, t: Translator, code: str) -> str:
    unit = await _service(context).unit(code)
    if unit is None:
        return code
    return t.label("figures.unit_with_code", name=unit.name(t.language), code=unit.code)


def _figure_values(t: Translator, result: RecordResult, unit_code: str) -> dict[str, str]:
    figure = result.figure
    return {
        "name": figure.indicator.name(t.language),
        "value": number(t, figure.value),
        "measure": measure_text(t, figure.indicator),
        "unit": unit_code,
        "period": period_text(t, figure.period),
    }


def _needs_reason_text(t: Translator, result: RecordResult, unit_code: str) -> str:
    previous = result.previous
    assert previous is not None
    return t(
        "figures.record.needs_reason",
        old=number(t, previous.value),
        by=previous.recorded_by,
        at=previous.recorded_at[:16].replace("T", " "),
        record=previous.id,
        **_figure_values(t, result, unit_code),
    )


def _result_text(t: Translator, result: RecordResult, unit_code: str) -> str:
    values = _figure_values(t, result, unit_code)
    if result.status == "unchanged":
        return t("figures.record.unchanged", record=result.record_id or 0, **values)
    if result.status == "corrected" and result.previous is not None:
        return t(
            "figures.record.corrected",
            record=result.record_id or 0,
            old=number(t, result.previous.value),
            old_record=result.previous.id,
            **values,
        )
    return t("figures.record.created", record=result.record_id or 0, **values)


async def _ask_indicator(update: Update, context: Context, t: Translator, *, page: int) -> None:
    catalog = await _service(context).catalog()
    active = catalog.active()
    pages = max(1, -(-len(active) // INDICATORS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = active[page * INDICATORS_PER_PAGE : (page + 1) * INDICATORS_PER_PAGE]
    rows = [
        [
            InlineKeyboardButton(
                indicator.name(t.language), callback_data=f"{_RECORD}:i:{indicator.key}"
            )
        ]
        for indicator in shown
    ]
    navigation: list[InlineKeyboardButton] = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton(
                t.label("figures.button.previous"), callback_data=f"{_RECORD}:p:{page - 1}"
            )
        )
    if page < pages - 1:
        navigation.append(
            InlineKeyboardButton(
                t.label("figures.button.next"), callback_data=f"{_RECORD}:p:{page + 1}"
            )
        )
    if navigation:
        rows.append(navigation)
    text = t("figures.record.ask_indicator", page=page + 1, pages=pages)
    query = update.callback_query
    if query is not None and query.message is not None and query.data and ":p:" in query.data:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
        return
    await reply_in_chat(update, context, text, InlineKeyboardMarkup(rows))


async def _ask_unit(update: Update, context: Context, officer: Officer, t: Translator) -> None:
    service = _service(context)
    units = context.services.units
    choices: list[Unit] = []
    if officer.unit_id is not None:
        own = await units.by_id(officer.unit_id)
        if own is not None:
            choices.append(own)
            choices.extend([u for u in await units.children(own.id) if u.active][:11])
    else:
        for root in await service.root_units():
            choices.append(root)
            choices.extend([u for u in await units.children(root.id) if u.active][:11])
    rows = [
        [InlineKeyboardButton(unit.name(t.language), callback_data=f"{_RECORD}:u:{unit.id}")]
        for unit in choices[:24]
    ]
    await reply_in_chat(
        update,
        context,
        t("figures.record.ask_unit"),
        InlineKeyboardMarkup(rows) if rows else None,
    )


def _period_choices(today: date) -> list[Period]:
    month = Period.month(today.year, today.month)
    previous_month_day = month.start - timedelta(days=1)
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    previous_quarter_day = quarter.start - timedelta(days=1)
    return [
        month,
        Period.month(previous_month_day.year, previous_month_day.month),
        quarter,
        Period.quarter(previous_quarter_day.year, (previous_quarter_day.month - 1) // 3 + 1),
        Period.year(today.year),
        Period.year(today.year - 1),
    ]


async def _ask_period(update: Update, context: Context, t: Translator) -> None:
    choices = _period_choices(_today(context))
    buttons = [
        InlineKeyboardButton(
            _capitalized(period_text(t, period)), callback_data=f"{_RECORD}:t:{period.label()}"
        )
        for period in choices
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    await reply_in_chat(update, context, t("figures.record.ask_period"), InlineKeyboardMarkup(rows))


async def record_button(update: Update, context: Context, officer: Officer) -> object:
    """Take a button answer of /record: an indicator, a page, a unit or a period."""
    query = update.callback_query
    assert query is not None
    t = context.t
    await query.answer()
    kind, _, value = (query.data or "").removeprefix(f"{_RECORD}:").partition(":")
    draft = _draft(context)
    if kind == "p" and value.isdigit():
        await _ask_indicator(update, context, t, page=int(value))
        return ASK_INDICATOR
    if kind == "i":
        draft.indicator = value
    elif kind == "u" and value.isdigit():
        unit = await context.services.units.by_id(int(value))
        draft.unit = unit.code if unit else None
    elif kind == "t":
        draft.period = value
    return await _next_step(update, context, officer, t)


async def record_text(update: Update, context: Context, officer: Officer) -> object:
    """Take a typed answer of /record for the step being asked."""
    message = update.effective_message
    t = context.t
    text = (message.text or "").strip() if message is not None else ""
    draft = _draft(context)
    state = _state_of(draft)
    if len(text) > MAX_ARGUMENTS_TEXT:
        await reply_in_chat(update, context, t("figures.error.too_long"))
        return state
    if state == ASK_INDICATOR:
        draft.indicator = text
    elif state == ASK_VALUE:
        draft.value = text
    elif state == ASK_UNIT:
        draft.unit = text
    elif state == ASK_PERIOD:
        draft.period = text
    return await _next_step(update, context, officer, t)


def _state_of(draft: Draft) -> int:
    if draft.indicator is None:
        return ASK_INDICATOR
    if draft.value is None:
        return ASK_VALUE
    if draft.unit is None:
        return ASK_UNIT
    return ASK_PERIOD


async def record_not_text(update: Update, context: Context, officer: Officer) -> object:
    """Answer a sticker, photo or anything but text where /record expects typing."""
    t = context.t
    draft = _draft(context)
    state = _state_of(draft)
    key = N_("figures.record.type_value") if state == ASK_VALUE else N_("figures.record.type_text")
    await reply_in_chat(update, context, t(key))
    return state


async def record_reason(update: Update, context: Context, officer: Officer) -> object:
    """Take the reason of a correction and record it, superseding the earlier figure."""
    message = update.effective_message
    t = context.t
    text = (message.text or "").strip() if message is not None else ""
    draft = _draft(context)
    pending = draft.pending
    if pending is None or draft.unit is None:
        _drop_draft(context)
        await reply_in_chat(update, context, t("callback.stale"))
        return ConversationHandler.END
    if not text or len(text) > 500:
        await reply_in_chat(update, context, t("figures.record.reason_length", limit=500))
        return ASK_REASON
    result = await _service(context).record(pending.figure, by=f"tg:{officer.user_id}", reason=text)
    # "needs_reason" again: the earlier figure changed meanwhile, so show the new one and ask again.
    return await _answer_recorded(update, context, t, draft, result, draft.unit)


async def reason_not_text(update: Update, context: Context, officer: Officer) -> object:
    """Answer anything but text where a correction's reason is expected."""
    t = context.t
    await reply_in_chat(update, context, t("figures.record.type_text"))
    return ASK_REASON


async def cancel(update: Update, context: Context) -> int:
    """End /record or /import and forget what was typed."""
    _drop_draft(context)
    t = context.t
    await reply_in_chat(update, context, t("figures.cancelled"))
    return ConversationHandler.END


# ---------------------------------------------------------------- /import


async def import_command(update: Update, context: Context, officer: Officer) -> object:
    """Ask for the CSV or XLSX file to import."""
    t = context.t
    await reply_in_chat(update, context, t("figures.import.send_file"))
    return WAIT_FILE


async def import_file(update: Update, context: Context, officer: Officer) -> object:
    """Validate a sent file row by row; write every row or none, and say which rows are bad."""
    t = context.t
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        await reply_in_chat(update, context, t("figures.import.send_file"))
        return WAIT_FILE
    name = document.file_name or "file"
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        await reply_in_chat(update, context, t("figures.import.unsupported"))
        return WAIT_FILE
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await reply_in_chat(
            update,
            context,
            t("figures.import.too_big", limit=str(MAX_FILE_BYTES // (1024 * 1024))),
        )
        return ConversationHandler.END
    telegram_file = await document.get_file()
    content = bytes(await telegram_file.download_as_bytearray())
    try:
        parsed = await asyncio.to_thread(parse_file, name, content)
    except FileError as error:
        await reply_in_chat(update, context, problem_text(t, error.problem))
        return ConversationHandler.END
    if parsed.problems:
        await reply_in_chat(update, context, _problems_text(t, name, parsed.problems))
        return ConversationHandler.END
    digest = hashlib.sha256(content).hexdigest()[:12]
    result = await _service(context).import_rows(
        parsed.rows,
        scope=_scope(officer),
        by=f"tg:{officer.user_id}",
        source=f"import:{name[:100]}#{digest}",
        default_reason=t.label("figures.import.reason", file=name[:100]),
        today=_today(context),
    )
    if not result.ok:
        await reply_in_chat(update, context, _problems_text(t, name, result.problems))
        return ConversationHandler.END
    summary = t(
        "figures.import.done",
        file=name,
        rows=t.number(result.rows),
        created=t.number(result.created),
        corrected=t.number(result.corrected),
        unchanged=t.number(result.unchanged),
    )
    if parsed.ignored_columns:
        summary += "\n" + t("figures.import.ignored", columns=", ".join(parsed.ignored_columns))
    await reply_in_chat(update, context, summary)
    return ConversationHandler.END


def _problems_text(t: Translator, name: str, problems: Sequence[RowProblem]) -> str:
    parts = [t("figures.import.rejected", file=name, count=t.number(len(problems)))]
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        reason = problem_text(t, problem.problem)
        if problem.line and problem.column:
            parts.append(
                t("figures.import.problem", line=problem.line, column=problem.column) + " " + reason
            )
        elif problem.line:
            parts.append(t("figures.import.problem_line", line=problem.line) + " " + reason)
        else:
            parts.append(reason)
    if len(problems) > MAX_LISTED_PROBLEMS:
        parts.append(t("figures.more", count=t.number(len(problems) - MAX_LISTED_PROBLEMS)))
    return "\n".join(parts)


async def import_waiting(update: Update, context: Context, officer: Officer) -> object:
    """Answer anything but a document while the import waits for its file."""
    t = context.t
    await reply_in_chat(update, context, t("figures.import.send_file"))
    return WAIT_FILE


# ---------------------------------------------------------------- wiring


SPREADSHEET = filters.Document.FileExtension("csv") | filters.Document.FileExtension("xlsx")


def _conversation(
    name: str,
    entry_points: list[BaseHandler[Update, Context, object]],
    states: dict[object, list[BaseHandler[Update, Context, object]]],
) -> ConversationHandler[Context]:
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat rather than per message; that is
        # what these short, one-at-a-time dialogues want.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
            allow_reentry=True,
            name=name,
            conversation_timeout=timedelta(minutes=30),
        )


def figures_handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the figures handlers, in order; add them before the core fallbacks.

    The bare-spreadsheet handler comes last among them, and the figures line in `bot.app`
    after any feature whose conversation waits for a document (unit imports, tips), so that
    such a conversation gets its file first.
    """
    text = PRIVATE & filters.TEXT & ~filters.COMMAND
    not_text = PRIVATE & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL

    def typed(callback: Any) -> list[BaseHandler[Update, Context, object]]:
        return [
            officer_message(text, callback, roles=WRITERS),
            officer_message(not_text, record_not_text, roles=WRITERS),
        ]

    record = _conversation(
        "figures.record",
        [
            officer_command(
                "record",
                record_command,
                roles=WRITERS,
                description=N_("figures.command.record"),
            )
        ],
        {
            ASK_INDICATOR: [
                officer_callback(f"^{_RECORD}:[ip]:", record_button, roles=WRITERS),
                *typed(record_text),
            ],
            ASK_VALUE: typed(record_text),
            ASK_UNIT: [
                officer_callback(f"^{_RECORD}:u:", record_button, roles=WRITERS),
                *typed(record_text),
            ],
            ASK_PERIOD: [
                officer_callback(f"^{_RECORD}:t:", record_button, roles=WRITERS),
                *typed(record_text),
            ],
            ASK_REASON: [
                officer_message(text, record_reason, roles=WRITERS),
                officer_message(not_text, reason_not_text, roles=WRITERS),
            ],
        },
    )
    importing = _conversation(
        "figures.import",
        [
            officer_command(
                "import",
                import_command,
                roles=WRITERS,
                description=N_("figures.command.import"),
            )
        ],
        {
            WAIT_FILE: [
                officer_message(PRIVATE & filters.Document.ALL, import_file, roles=WRITERS),
                officer_message(
                    PRIVATE & ~filters.COMMAND & ~filters.Document.ALL,
                    import_waiting,
                    roles=WRITERS,
                ),
            ],
        },
    )
    return [
        record,
        importing,
        officer_command(
            "figures", figures_command, roles=READERS, description=N_("figures.command.figures")
        ),
        officer_command(
            "report", report_command, roles=READERS, description=N_("figures.command.report")
        ),
        officer_command(
            "stats", stats_command, roles=READERS, description=N_("figures.command.stats")
        ),
        officer_command(
            "export", export_command, roles=WRITERS, description=N_("figures.command.export")
        ),
        officer_command(
            "indicators",
            indicators_command,
            roles=READERS,
            description=N_("figures.command.indicators"),
        ),
        officer_command(
            "add_indicator",
            add_indicator_command,
            roles=ADMINS,
            description=N_("figures.command.add_indicator"),
        ),
        officer_callback(f"^{_BREAKDOWN}:", breakdown_pressed, roles=READERS),
        officer_callback(f"^{_EXPORT}:", export_pressed, roles=WRITERS),
        officer_message(
            PRIVATE & filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?\b"),
            import_file,
            roles=WRITERS,
        ),
        officer_message(PRIVATE & SPREADSHEET, import_file, roles=WRITERS),
    ]
