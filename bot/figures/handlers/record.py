"""/record: record a figure from arguments, asking with buttons for whatever is missing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.figures._access import Officer
from bot.figures.handlers.common import (
    ASK_INDICATOR,
    ASK_PERIOD,
    ASK_REASON,
    ASK_UNIT,
    ASK_VALUE,
    MAX_ARGUMENTS_TEXT,
    MAX_TOKEN,
    RECORD,
    scope_of,
    service_of,
    today,
    too_long,
)
from bot.figures.handlers.record_prompts import (
    Draft,
    answer_recorded,
    ask_indicator,
    ask_period,
    ask_unit,
    draft_of,
    drop_draft,
)
from bot.figures.model import Indicator
from bot.figures.needs import Context
from bot.figures.numbers import NumberError, parse_number
from bot.figures.problems import number_problem, period_problem
from bot.figures.render import measure_text
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import PeriodError, parse_period
from bot.ptb.messaging import reply_in_chat


async def record_command(update: Update, context: Context, officer: Officer) -> object:
    """Record a figure from arguments, asking with buttons for whatever is missing."""
    t = context.t
    drop_draft(context)
    if too_long(update):
        await reply_in_chat(update, context, t("figures.error.too_long"))
        return ConversationHandler.END
    draft = draft_of(context)
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
        drop_draft(context)
        return ConversationHandler.END
    if draft.unit is None and officer.unit_id is not None and len(args) >= 2:
        # An officer typing the whole command records for their own unit by default.
        unit = await service_of(context).unit_by_id(officer.unit_id)
        draft.unit = unit.code if unit else None
    return await _next_step(update, context, officer, t)


async def _next_step(update: Update, context: Context, officer: Officer, t: Translator) -> object:
    """Ask for the first missing piece, or validate and record when nothing is missing."""
    draft = draft_of(context)
    indicator = await _checked_indicator(update, context, t, draft)
    if indicator is None:
        await ask_indicator(update, context, t, page=0)
        return ASK_INDICATOR
    if not await _checked_value(update, context, t, draft, indicator):
        await _ask_value(update, context, t, indicator)
        return ASK_VALUE
    if not await _checked_unit(update, context, officer, t, draft):
        await ask_unit(update, context, officer, t)
        return ASK_UNIT
    if not await _checked_period(update, context, t, draft):
        await ask_period(update, context, t)
        return ASK_PERIOD
    return await _record_draft(update, context, officer, t, draft, indicator)


async def _checked_indicator(
    update: Update, context: Context, t: Translator, draft: Draft
) -> Indicator | None:
    """Return the draft's indicator; drop one the catalog does not know, and say so."""
    catalog = await service_of(context).catalog()
    if draft.indicator is not None and len(draft.indicator) > MAX_TOKEN:
        draft.indicator = draft.indicator[:MAX_TOKEN]
    indicator = catalog.find(draft.indicator) if draft.indicator else None
    if draft.indicator is not None and (indicator is None or not indicator.active):
        await reply_in_chat(
            update, context, t("figures.error.unknown_indicator", name=draft.indicator)
        )
        draft.indicator = None
    if draft.indicator is None or indicator is None:
        return None
    return indicator


async def _checked_value(
    update: Update, context: Context, t: Translator, draft: Draft, indicator: Indicator
) -> bool:
    """Say whether the draft has a value; drop one that does not parse, and say why."""
    if draft.value is not None:
        try:
            parse_number(draft.value, integer=indicator.integer_only)
        except NumberError as error:
            await reply_in_chat(update, context, number_problem(error).text(t))
            draft.value = None
    return draft.value is not None


async def _ask_value(update: Update, context: Context, t: Translator, indicator: Indicator) -> None:
    await reply_in_chat(
        update,
        context,
        t(
            "figures.record.ask_value",
            name=indicator.name(t.language),
            measure=measure_text(t, indicator),
        ),
    )


async def _checked_unit(
    update: Update, context: Context, officer: Officer, t: Translator, draft: Draft
) -> bool:
    """Say whether the draft has a unit; drop one unknown or outside the scope, and say so."""
    service = service_of(context)
    if draft.unit is not None:
        unit = await service.unit(draft.unit)
        if unit is None:
            await reply_in_chat(
                update, context, t("figures.error.unknown_unit", code=draft.unit[:64])
            )
            draft.unit = None
        elif not await service.in_scope(scope_of(officer), unit.id):
            await reply_in_chat(
                update, context, t("figures.error.unit_outside_scope", code=unit.code)
            )
            draft.unit = None
    return draft.unit is not None


async def _checked_period(update: Update, context: Context, t: Translator, draft: Draft) -> bool:
    """Say whether the draft has a period; drop one that does not parse, and say why."""
    if draft.period is not None:
        try:
            parse_period(draft.period)
        except PeriodError as error:
            await reply_in_chat(update, context, period_problem(error).text(t))
            draft.period = None
    return draft.period is not None


async def _record_draft(
    update: Update,
    context: Context,
    officer: Officer,
    t: Translator,
    draft: Draft,
    indicator: Indicator,
) -> object:
    """Check the whole figure and record it; ask again for what only the whole can refuse."""
    assert draft.indicator is not None
    assert draft.value is not None
    assert draft.unit is not None
    assert draft.period is not None
    service = service_of(context)
    prepared = await service.prepare(
        indicator=draft.indicator,
        value=draft.value,
        unit=draft.unit,
        period=draft.period,
        scope=scope_of(officer),
        today=today(context),
    )
    if isinstance(prepared, list):
        # Only the checks that need everything together remain (a period in the future).
        await reply_in_chat(update, context, "\n".join(p.text(t) for p in prepared))
        draft.period = None
        await ask_period(update, context, t)
        return ASK_PERIOD
    cohort = await service.cohort_problem(prepared)
    if cohort is not None:
        await reply_in_chat(update, context, cohort.text(t))
        draft.value = None
        await _ask_value(update, context, t, indicator)
        return ASK_VALUE
    result = await service.record(prepared, by=f"tg:{officer.user_id}")
    return await answer_recorded(update, context, t, draft, result, draft.unit)


async def record_button(update: Update, context: Context, officer: Officer) -> object:
    """Take a button answer of /record: an indicator, a page, a unit or a period."""
    query = update.callback_query
    assert query is not None
    t = context.t
    await query.answer()
    kind, _, value = (query.data or "").removeprefix(f"{RECORD}:").partition(":")
    draft = draft_of(context)
    if kind == "p" and value.isdigit():
        await ask_indicator(update, context, t, page=int(value))
        return ASK_INDICATOR
    if kind == "i":
        draft.indicator = value
    elif kind == "u" and value.isdigit():
        unit = await service_of(context).unit_by_id(int(value))
        draft.unit = unit.code if unit else None
    elif kind == "t":
        draft.period = value
    return await _next_step(update, context, officer, t)


async def record_text(update: Update, context: Context, officer: Officer) -> object:
    """Take a typed answer of /record for the step being asked."""
    message = update.effective_message
    t = context.t
    text = (message.text or "").strip() if message is not None else ""
    draft = draft_of(context)
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
    draft = draft_of(context)
    state = _state_of(draft)
    key = N_("figures.record.type_value") if state == ASK_VALUE else N_("figures.record.type_text")
    await reply_in_chat(update, context, t(key))
    return state


async def record_reason(update: Update, context: Context, officer: Officer) -> object:
    """Take the reason of a correction and record it, superseding the earlier figure."""
    message = update.effective_message
    t = context.t
    text = (message.text or "").strip() if message is not None else ""
    draft = draft_of(context)
    pending = draft.pending
    if pending is None or draft.unit is None:
        drop_draft(context)
        await reply_in_chat(update, context, t("callback.stale"))
        return ConversationHandler.END
    if not text or len(text) > 500:
        await reply_in_chat(update, context, t("figures.record.reason_length", limit=500))
        return ASK_REASON
    result = await service_of(context).record(
        pending.figure, by=f"tg:{officer.user_id}", reason=text
    )
    # "needs_reason" again: the earlier figure changed meanwhile, so show the new one and ask again.
    return await answer_recorded(update, context, t, draft, result, draft.unit)


async def reason_not_text(update: Update, context: Context, officer: Officer) -> object:
    """Answer anything but text where a correction's reason is expected."""
    t = context.t
    await reply_in_chat(update, context, t("figures.record.type_text"))
    return ASK_REASON


async def cancel(update: Update, context: Context) -> int:
    """End /record or /import and forget what was typed."""
    drop_draft(context)
    t = context.t
    await reply_in_chat(update, context, t("figures.cancelled"))
    return ConversationHandler.END
