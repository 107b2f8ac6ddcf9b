"""/tips: the officer's tips, most urgent first, with filters and paging buttons."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import PeriodError, looks_like_period, parse_period
from bot.kernel.status import Status
from bot.kernel.telegram_text import utf16_length
from bot.officers.access import Officer, refuse
from bot.ptb.errors import is_benign
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals
from bot.tips.status import OPEN, as_status
from bot.triage.handlers.common import list_lookups
from bot.triage.model import TipQuery
from bot.triage.needs import Context, TriageNeeds
from bot.triage.render import CB_LIST, list_keyboard, list_text
from bot.triage.service import TriageError

PAGE: Final = 10


async def _query(
    services: TriageNeeds, officer: Officer, t: Translator, args: list[str]
) -> TipQuery:
    statuses: set[Status] = set()
    every = False
    category = None
    period = None
    words: list[str] = []
    codes = {category.code for category in await services.tips.categories()}
    for token in args:
        low = token.lower()
        status = as_status(low)
        if low == "all":
            every = True
        elif low == "open":
            statuses |= OPEN
        elif status is not None:
            statuses.add(status)
        elif low in codes:
            category = low
        elif looks_like_period(token):
            try:
                period = parse_period(token)
            except PeriodError:  # pragma: no cover - looks_like_period said it parses
                raise TriageError(N_("triage.list.usage")) from None
        else:
            words.append(token)
    unit_id = None
    if words:
        unit = await services.units.resolve(
            " ".join(words), within=officer.unit_id, language=t.language
        )
        unit_id = unit.id
    chosen: frozenset[Status] | None = None if every else frozenset(statuses) or OPEN
    return TipQuery(chosen, category, unit_id, period)


async def _list_page(
    services: TriageNeeds, officer: Officer, t: Translator, query: TipQuery, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    tips, total = await services.triage.list_tips(officer, query, offset=offset, limit=PAGE)
    lookups = await list_lookups(services, tips)
    text = list_text(t, tips, total, offset, today=services.triage.today(), **lookups)
    return text, list_keyboard(t, services.keyring, tips, query, offset, total, PAGE)


@answers_refusals
async def list_command(update: Update, context: Context, officer: Officer) -> object:
    """List the officer's tips, most urgent deadline first, with filters."""
    services = context.services
    t = context.t
    message = update.effective_message
    if message is not None and utf16_length(message.text or "") > 300:
        raise TriageError(N_("triage.list.usage"))
    query = await _query(services, officer, t, list(context.args or []))
    text, markup = await _list_page(services, officer, t, query, 0)
    await reply_in_chat(update, context, text, markup)
    return None


async def list_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Show another page of /tips in the same message."""
    query = update.callback_query
    services = context.services
    if query is None:
        return None
    offset_text, _, encoded = (query.data or "").removeprefix(CB_LIST).partition(":")
    parsed = TipQuery.decode(encoded)
    if parsed is None or not offset_text.isdigit() or int(offset_text) > 1_000_000:
        await refuse(update, context)
        return None
    t = context.t
    text, markup = await _list_page(services, officer, t, parsed, int(offset_text))
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
    except TelegramError as error:
        if not is_benign(error):
            raise
    return None
