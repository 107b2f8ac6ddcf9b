"""/record's draft and what it says: the questions with their buttons, and the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.figures._access import Officer
from bot.figures.handlers.common import (
    ASK_REASON,
    INDICATORS_PER_PAGE,
    RECORD,
    capitalized,
    service_of,
    today,
)
from bot.figures.needs import Context
from bot.figures.render import measure_text, number, period_text
from bot.figures.results import RecordResult
from bot.kernel.i18n import Translator
from bot.kernel.periods import Period
from bot.ptb.messaging import reply_in_chat
from bot.units.names import in_sentence

DRAFT_KEY: Final = "figures.record_draft"


@dataclass
class Draft:
    """What /record has gathered so far."""

    indicator: str | None = None
    value: str | None = None
    unit: str | None = None
    period: str | None = None
    pending: RecordResult | None = None


def draft_of(context: Context) -> Draft:
    """Return the person's /record draft, starting one if there is none."""
    data = context.user_data
    if data is None:
        return Draft()
    draft = data.get(DRAFT_KEY)
    if not isinstance(draft, Draft):
        draft = Draft()
        data[DRAFT_KEY] = draft
    return draft


def drop_draft(context: Context) -> None:
    """Forget the person's /record draft."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


async def answer_recorded(
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
    drop_draft(context)
    return ConversationHandler.END


async def _unit_label(context: Context, t: Translator, code: str) -> str:
    """Return the unit as the answers name it, after a dash mid-sentence: «tỉnh Kiên Giang (KG)»."""
    unit = await service_of(context).unit(code)
    if unit is None:
        return code
    return t.label(
        "figures.unit_with_code", name=in_sentence(unit.name(t.language)), code=unit.code
    )


def _figure_values(t: Translator, result: RecordResult, unit_code: str) -> dict[str, str]:
    figure = result.figure
    return {
        "name": figure.indicator.name(t.language),
        "value": number(t, figure.value),
        "measure": measure_text(t, figure.indicator, figure.value),
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


async def ask_indicator(update: Update, context: Context, t: Translator, *, page: int) -> None:
    """Ask for the indicator with a page of buttons (editing the page when one is turned)."""
    catalog = await service_of(context).catalog()
    active = catalog.active()
    pages = max(1, -(-len(active) // INDICATORS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = active[page * INDICATORS_PER_PAGE : (page + 1) * INDICATORS_PER_PAGE]
    rows = [
        [
            InlineKeyboardButton(
                indicator.name(t.language), callback_data=f"{RECORD}:i:{indicator.key}"
            )
        ]
        for indicator in shown
    ]
    navigation: list[InlineKeyboardButton] = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton(
                t.label("figures.button.previous"), callback_data=f"{RECORD}:p:{page - 1}"
            )
        )
    if page < pages - 1:
        navigation.append(
            InlineKeyboardButton(
                t.label("figures.button.next"), callback_data=f"{RECORD}:p:{page + 1}"
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


async def ask_unit(update: Update, context: Context, officer: Officer, t: Translator) -> None:
    """Ask for the unit with buttons: the officer's own and the units just below it."""
    choices = await service_of(context).unit_choices(officer.unit_id)
    rows = [
        [InlineKeyboardButton(unit.name(t.language), callback_data=f"{RECORD}:u:{unit.id}")]
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


async def ask_period(update: Update, context: Context, t: Translator) -> None:
    """Ask for the period with buttons: this and the last month, quarter and year."""
    choices = _period_choices(today(context))
    buttons = [
        InlineKeyboardButton(
            capitalized(period_text(t, period)), callback_data=f"{RECORD}:t:{period.label()}"
        )
        for period in choices
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    await reply_in_chat(update, context, t("figures.record.ask_period"), InlineKeyboardMarkup(rows))
