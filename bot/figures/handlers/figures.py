"""/figures with its breakdown buttons, /indicators and /add_indicator."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.figures._access import Officer
from bot.figures.handlers.args import WithUsage, command_query, mask, unmask
from bot.figures.handlers.common import (
    BREAKDOWN,
    CALLBACK_LIMIT,
    scope_of,
    service_of,
    too_long,
)
from bot.figures.needs import Context
from bot.figures.problems import Problem
from bot.figures.render import answer_text, breakdown_text, measure_text
from bot.kernel.i18n import N_
from bot.kernel.periods import PeriodError, parse_period
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals


@answers_refusals
async def figures_command(update: Update, context: Context, officer: Officer) -> None:
    """Answer the totals of a unit's subtree over a period, with breakdown buttons."""
    t = context.t
    parsed = await command_query(
        update, context, officer, N_("figures.usage.figures"), indicators=True
    )
    keys = [indicator.key for indicator in parsed.indicators]
    answer = await service_of(context).answer(parsed.unit.id, parsed.period, keys)
    if answer is None:
        await reply_in_chat(update, context, t("figures.error.unknown_unit", code=parsed.unit.code))
        return
    buttons: list[InlineKeyboardButton] = []
    indicators = mask(parsed.indicators)
    label = parsed.period.label()
    for mode, key, wanted in (
        ("c", N_("figures.button.by_child"), bool(answer.tree.children(answer.root.id))),
        ("y", N_("figures.button.by_year"), len(parsed.period.calendar_years()) > 1),
    ):
        data = f"{BREAKDOWN}:{mode}:{parsed.unit.id}:{label}:{indicators}"
        if wanted and len(data.encode()) <= CALLBACK_LIMIT:
            buttons.append(InlineKeyboardButton(t.label(key), callback_data=data))
    markup = InlineKeyboardMarkup([buttons]) if buttons else None
    await reply_in_chat(update, context, answer_text(t, answer), markup)


_BREAKDOWN_DATA = re.compile(rf"^{BREAKDOWN}:([cy]):(\d+):([0-9Q.\-]+):([0-9a-z]*)$")


async def breakdown_pressed(update: Update, context: Context, officer: Officer) -> None:
    """Send the breakdown by child unit or by year that a button asked for."""
    query = update.callback_query
    assert query is not None
    t = context.t
    match = _BREAKDOWN_DATA.match(query.data or "")
    service = service_of(context)
    try:
        period = parse_period(match.group(3)) if match else None
    except PeriodError:
        period = None
    if match is None or period is None:
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    unit_id = int(match.group(2))
    if not await service.in_scope(scope_of(officer), unit_id):
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    catalog = await service.catalog()
    keys = [catalog.by_id[i].key for i in unmask(match.group(4)) if i in catalog.by_id]
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


async def indicators_command(update: Update, context: Context, officer: Officer) -> None:
    """List the indicator catalog with keys, kinds and units of measure."""
    t = context.t
    catalog = await service_of(context).catalog()
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


@answers_refusals
async def add_indicator_command(update: Update, context: Context, officer: Officer) -> None:
    """Add an indicator to the catalog: KEY KIND MEASURE [part_of=BASE] Tên | Name."""
    t = context.t
    if too_long(update):
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
    result = await service_of(context).add_indicator(
        args[0], args[1], args[2], names[0], names[1], part_of=part_of
    )
    if isinstance(result, Problem):
        raise WithUsage(result, N_("figures.usage.add_indicator"))
    await reply_in_chat(
        update,
        context,
        t("figures.indicator_add.done", key=result.key, name=result.name(t.language)),
    )
