"""Triage wiring: officers' commands and card buttons, tipsters' answers, the daily digest.

Officers' commands, in private chats, each limited to the officer's unit subtree:
/tips [status] [category] [unit] [period]   the tips, most urgent first, paged with buttons
/tip CODE                                   the full view (audited): card, history, messages, files
/file CODE N                                file N of a tip as it was sent, metadata too (audited)
/assign CODE [ID]                           choose the handler with buttons, or name them
/note CODE text                             an internal note (never shown to the tipster)
/transfer CODE UNIT | investigation         hand the tip to another unit or the investigation body
/ask CODE text                              a question to the tipster (also a button on the card)
/overdue                                    deadlines past or within 3 days; tips nobody took
/audit [ID] [action] [CODE]                 admins: the audit log, newest first, paged

Every handler here is guarded (bot.officers.access) except the tipster's own "Reply" flow; a
button acting on a tip is signed and re-checked against the officer's scope on every press.

`bot/app.py` adds `early_handlers()` in a group before the features (the officers' "/tip CODE"
falls through to residents' "/tip" for everyone else), `tipster_handlers()` after the tip
conversation and the menu, `handlers()` before the core fallbacks, and `register(app)` once.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterable
from typing import Any, Final, TypeAlias

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.core import handlers as core
from bot.kernel.i18n import N_, Translator, translator
from bot.kernel.periods import PeriodError, looks_like_period, parse_period
from bot.kernel.status import Status
from bot.kernel.telegram_text import utf16_length
from bot.kernel.text import fold
from bot.officers.access import (
    ADMIN_ONLY,
    CASE_WORKERS,
    Officer,
    OfficerCallback,
    officer_callback,
    officer_command,
    officer_message,
    refuse,
)
from bot.ptb.application import TipsApplication
from bot.ptb.context import BotContext
from bot.ptb.errors import is_benign
from bot.ptb.messaging import reply_in_chat, send_text
from bot.services import Services
from bot.tips.codes import normalize_code
from bot.tips.model import LEGAL_TYPES, Tip, TipCard
from bot.tips.outbox import deliverer_of, kick_outbox
from bot.tips.render import card_text
from bot.triage.model import Overdue, Scope, TipQuery, officer_ref
from bot.triage.relay import link_warning, register_deliveries
from bot.triage.render import (
    CB_ACTION,
    CB_ASK,
    CB_AUDIT,
    CB_LIST,
    CB_REPLY,
    EXTENSIONS,
    OUTCOMES,
    VERB_ASSIGN,
    VERB_BACK,
    VERB_CLOSE,
    VERB_CLOSE_MENU,
    VERB_EXTEND,
    VERB_EXTEND_MENU,
    VERB_LEGAL,
    VERB_LEGAL_MENU,
    VERB_STATUS,
    VERB_TO_INVESTIGATION,
    VERB_TO_UNIT,
    VERB_TRANSFER_MENU,
    VERB_VIEW,
    assign_keyboard,
    audit_keyboard,
    audit_text,
    card_keyboard,
    close_keyboard,
    extend_keyboard,
    history_text,
    indexed,
    legal_keyboard,
    list_keyboard,
    list_text,
    overdue_text,
    parse_action,
    parse_ask,
    parse_reply,
    status_at,
    transfer_keyboard,
)
from bot.triage.service import OVERDUE_LIMIT, Change, TriageError
from bot.triage.states import OPEN, as_status, status_label
from bot.units.lookup import InputError, resolve_unit

log = logging.getLogger(__name__)

# Until this feature names its needs in a Protocol, it sees the whole container.
Context: TypeAlias = "BotContext[Services]"

PAGE: Final = 10
AUDIT_PAGE: Final = 15
DIGEST_JOB: Final = "triage.digest"
# Conversation states: an officer typing a question; a tipster typing an answer.
WAIT_QUESTION: Final = 0
WAIT_ANSWER: Final = 0
ASK_TIMEOUT_SECONDS: Final = 600
ANSWER_TIMEOUT_SECONDS: Final = 1800
_ASKING = "triage.asking"
# What means "the competent investigation body" in /transfer (folded: any case, any accents).
_INVESTIGATION_WORDS: Final = frozenset(
    {"investigation", "investigation body", "cqdt", "co quan dieu tra", "dieu tra"}
)
_AUDIT_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")
# New messages in private chats only: an edited "/note ..." must not add the note again.
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
# Everything but commands and service messages: what a typed answer may be instead of text.
_NOT_TEXT = PRIVATE & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND


# ---------------------------------------------------------------- helpers


def _answers_errors(callback: OfficerCallback) -> OfficerCallback:
    """Turn a refused action or bad input into a translated answer."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: Context, officer: Officer) -> object:
        t = context.t
        try:
            return await callback(update, context, officer)
        except TriageError as error:
            await reply_in_chat(update, context, error.text(t))
        except InputError as error:
            await reply_in_chat(update, context, error.text(t))
        return None

    return wrapper


def _after_command(update: Update, parts: int) -> list[str]:
    """Split the message text after the command into at most `parts` pieces, keeping newlines."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    pieces = text.split(None, 1)
    if len(pieces) < 2:
        return []
    return pieces[1].strip().split(None, parts - 1) if parts > 1 else [pieces[1].strip()]


async def _names(services: Services, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Return officers' display names (their id when none is known)."""
    names: dict[int, str] = {}
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        record = await services.officers.record(user_id)
        stored = record.display_name if record is not None else ""
        names[user_id] = services.officers.name_of(user_id, stored) or str(user_id)
    return names


async def _lookups(services: Services, tips: Iterable[Tip]) -> dict[str, Any]:
    """Return what list lines need: categories, units by id, handlers' names."""
    listed = list(tips)
    return {
        "categories": {category.code: category for category in await services.tips.categories()},
        "units": {unit.id: unit for unit in await services.units.all()},
        "names": await _names(services, (tip.assignee_id for tip in listed)),
    }


async def _message_translator(services: Services, update: Update, message: Message) -> Translator:
    """Cards in groups speak the default language; a private view, its reader's."""
    if message.chat.type == ChatType.PRIVATE:
        return await services.translator_for(update)
    return translator(services.settings.default_language)


# ---------------------------------------------------------------- cards


async def refresh_card(
    context: Context,
    tip_id: int,
    *,
    pressed: tuple[Message, Translator] | None = None,
    retired: TipCard | None = None,
) -> None:
    """Redraw the tip's card, and the pressed message when it is another view of the tip.

    `retired`: a card left behind by a transfer to another chat keeps its text and loses its
    buttons (the receiving chat gets a new card). Telegram's refusals are logged: the state is
    committed either way.
    """
    services = context.services
    application = context.application
    if not isinstance(application, TipsApplication):
        return
    deliverer = deliverer_of(application)
    # Serialised, so the last edit of a card always shows the latest committed state.
    async with services.triage.card_edits:
        tip = await services.tips.tips.by_id(tip_id)
        if tip is None:
            return
        card = await services.tips.tips.card(tip_id)
        # (chat, message, language, with buttons)
        targets: list[tuple[int, int, Translator, bool]] = []
        if retired is not None:
            targets.append((retired.chat_id, retired.message_id, deliverer.t, False))
        if card is not None and card != retired:
            targets.append((card.chat_id, card.message_id, deliverer.t, True))
        if pressed is not None:
            message, t = pressed
            if all((message.chat.id, message.message_id) != target[:2] for target in targets):
                targets.append((message.chat.id, message.message_id, t, True))
        facts = await deliverer.card_facts(tip)
        for chat_id, message_id, t, buttons in targets:
            try:
                await context.bot.edit_message_text(
                    card_text(t, tip, facts, services.settings.zone),
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=card_keyboard(t, services.keyring, tip) if buttons else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except TelegramError as error:
                if not is_benign(error):
                    log.warning("could not redraw the card of tip %s: %s", tip.id, error)


async def _after(
    context: Context, change: Change, *, pressed: tuple[Message, Translator] | None = None
) -> None:
    """Redraw after a change; a card that moved loses its buttons and is posted anew."""
    await refresh_card(context, change.after.id, pressed=pressed, retired=change.moved_from)
    kick_outbox(context)


# ---------------------------------------------------------------- the full view


async def show_tip(
    context: Context, chat_id: int, officer: Officer, tip: Tip, t: Translator
) -> None:
    """Send the full view of a tip: card, history and messages, map pin and files."""
    services = context.services
    application = context.application
    if not isinstance(application, TipsApplication):
        return
    deliverer = deliverer_of(application)
    await services.triage.record_view(officer, tip)
    facts = await deliverer.card_facts(tip)
    # The whole card, untrimmed: the posted card points here for what it had to cut, and
    # send_text splits it over as many messages as it takes.
    head = await send_text(
        context.bot,
        chat_id,
        card_text(t, tip, facts, services.settings.zone, limit=None),
        reply_markup=card_keyboard(t, services.keyring, tip),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    events = await services.triage.history(tip.id)
    messages = await services.triage.messages(tip.id)
    people: list[int | None] = [message.officer_id for message in messages]
    for event in events:
        for ref in (event.actor_ref, event.note):
            if ref is not None and ref.startswith("officer:") and ref[8:].isdigit():
                people.append(int(ref[8:]))
    names = await _names(services, people)
    units = {unit.code: unit.name(t.language) for unit in await services.units.all()}
    await send_text(
        context.bot,
        chat_id,
        history_text(t, events, messages, zone=services.settings.zone, names=names, units=units),
    )
    reply = ReplyParameters(message_id=head[0].message_id, allow_sending_without_reply=True)
    if tip.latitude is not None and tip.longitude is not None:
        await context.bot.send_location(
            chat_id, tip.latitude, tip.longitude, reply_parameters=reply
        )
    for item in facts.evidence:
        try:
            await deliverer.send_evidence(chat_id, reply, tip, item, len(facts.evidence))
        except BadRequest as error:
            log.warning("evidence %d could not be re-sent: %s", item.id, error)
            await send_text(
                context.bot,
                chat_id,
                t(
                    "tips.card.attachment_failed",
                    code=tip.code,
                    index=item.position,
                    total=len(facts.evidence),
                ),
            )


@_answers_errors
async def view_command(update: Update, context: Context, officer: Officer) -> object:
    """Show the full view of the tip whose code follows /tip."""
    services = context.services
    t = context.t
    args = context.args or []
    if len(args) != 1:
        raise TriageError(N_("triage.view.usage"))
    tip = await services.triage.find(officer, args[0])
    chat = update.effective_chat
    if chat is not None:
        await show_tip(context, chat.id, officer, tip, t)
    return None


@_answers_errors
async def file_command(update: Update, context: Context, officer: Officer) -> object:
    """Send file N of a tip as it was stored, metadata and all, and audit the opening.

    With EVIDENCE_DOWNLOAD on, a file whose metadata could not be removed is withheld from the
    officers' chat; this is the one way to see it, in private and on the record. A code that
    does not exist, a tip outside the officer's scope and a file number the tip lacks are all
    answered like an unknown command, so /file reveals nothing about tips out of reach.
    """
    services = context.services
    t = context.t
    args = context.args or []
    chat = update.effective_chat
    if len(args) != 2 or chat is None:
        raise TriageError(N_("triage.file.usage"))
    code = normalize_code(args[0])
    tip = await services.tips.tips.by_code(code) if code is not None else None
    if tip is None or not await services.triage.in_scope(officer, tip):
        await refuse(update, context)
        return None
    wanted = int(args[1]) if args[1].isdecimal() else None
    evidence = await services.tips.tips.evidence(tip.id)
    item = next((item for item in evidence if item.position == wanted), None)
    application = context.application
    if item is None or not isinstance(application, TipsApplication):
        await refuse(update, context)
        return None
    # Audited before it is sent: an opening whose message is lost is still on the record.
    await services.triage.record_file_opened(officer, tip, item.position)
    caption = t("triage.file.caption", code=tip.code, index=item.position)
    try:
        await deliverer_of(application).send_file(chat.id, item, item.file_id, caption)
    except BadRequest as error:
        log.warning("evidence %d could not be sent by /file: %s", item.id, error)
        await reply_in_chat(
            update,
            context,
            t(
                "tips.card.attachment_failed",
                code=tip.code,
                index=item.position,
                total=len(evidence),
            ),
        )
    return None


# ---------------------------------------------------------------- /tips


async def _query(services: Services, officer: Officer, t: Translator, args: list[str]) -> TipQuery:
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
        unit = await resolve_unit(
            services.units, " ".join(words), within=officer.unit_id, language=t.language
        )
        unit_id = unit.id
    chosen: frozenset[Status] | None = None if every else frozenset(statuses) or OPEN
    return TipQuery(chosen, category, unit_id, period)


async def _list_page(
    services: Services, officer: Officer, t: Translator, query: TipQuery, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    tips, total = await services.triage.list_tips(officer, query, offset=offset, limit=PAGE)
    lookups = await _lookups(services, tips)
    text = list_text(t, tips, total, offset, today=services.triage.today(), **lookups)
    return text, list_keyboard(t, services.keyring, tips, query, offset, total, PAGE)


@_answers_errors
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


# ---------------------------------------------------------------- /assign /note /transfer /ask


async def _assigned(context: Context, officer: Officer, change: Change, t: Translator) -> str:
    """Redraw the card, tell the new handler, and return the answer for the one who assigned."""
    services = context.services
    await _after(context, change)
    assignee = change.after.assignee_id
    assert assignee is not None
    names = await _names(services, [assignee])
    if assignee != officer.user_id:
        theirs = translator(await services.language_of(assignee))
        try:
            await send_text(
                context.bot,
                assignee,
                theirs(
                    "triage.assign.notice",
                    code=change.after.code,
                    by=officer.display_name or str(officer.user_id),
                ),
            )
        except TelegramError as error:
            log.info("could not tell an officer about an assignment: %s", error)
    return t("triage.assign.done", code=change.after.code, name=names[assignee])


@_answers_errors
async def assign_command(update: Update, context: Context, officer: Officer) -> object:
    """Make an officer of the unit the tip's handler (buttons when nobody is named)."""
    services = context.services
    t = context.t
    args = context.args or []
    if not args or len(args) > 2:
        raise TriageError(N_("triage.assign.usage"))
    tip = await services.triage.find(officer, args[0])
    if len(args) == 2:
        if not args[1].isdigit() or len(args[1]) > 16:
            raise TriageError(N_("triage.assign.usage"))
        change = await services.triage.assign(officer, tip.id, int(args[1]))
        await reply_in_chat(update, context, await _assigned(context, officer, change, t))
        return None
    people = await services.triage.candidates(tip)
    names = await _names(services, (person.user_id for person in people))
    choices = [(person.user_id, names[person.user_id]) for person in people]
    if not choices:
        raise TriageError(N_("triage.assign.nobody"))
    await reply_in_chat(
        update,
        context,
        t("triage.assign.choose", code=tip.code),
        assign_keyboard(services.keyring, tip, choices),
    )
    return None


@_answers_errors
async def note_command(update: Update, context: Context, officer: Officer) -> object:
    """Add an internal note to a tip."""
    services = context.services
    t = context.t
    parts = _after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.note.usage"))
    tip = await services.triage.find(officer, parts[0])
    await services.triage.add_note(officer, tip.id, parts[1])
    await reply_in_chat(update, context, t("triage.note.done", code=tip.code))
    return None


@_answers_errors
async def transfer_command(update: Update, context: Context, officer: Officer) -> object:
    """Transfer a tip to any active unit, or to the competent investigation body."""
    services = context.services
    t = context.t
    parts = _after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.transfer.usage"))
    tip = await services.triage.find(officer, parts[0])
    target = " ".join(parts[1].split())
    unit = None
    if fold(target) not in _INVESTIGATION_WORDS:
        # Any unit: a transfer hands the tip to a unit outside one's own subtree.
        unit = await resolve_unit(services.units, target, within=None, language=t.language)
    change = await services.triage.transfer(officer, tip.id, None, unit)
    await _after(context, change)
    where = t.label("tips.card.investigation_body") if unit is None else unit.name(t.language)
    await reply_in_chat(update, context, t("triage.transfer.done", code=tip.code, target=where))
    return None


@_answers_errors
async def ask_command(update: Update, context: Context, officer: Officer) -> object:
    """Relay a question to a tipster without revealing either side."""
    services = context.services
    t = context.t
    parts = _after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.ask.usage"))
    tip = await services.triage.find(officer, parts[0])
    asked = await services.triage.ask(officer, tip.id, parts[1])
    kick_outbox(context)
    queued = t("triage.ask.queued", code=tip.code) + link_warning(t, asked.body)
    await reply_in_chat(update, context, queued)
    return None


# ---------------------------------------------------------------- the card's "Ask" button


async def ask_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Ask the officer, in private, for the question to relay."""
    query = update.callback_query
    services = context.services
    if query is None:
        return ConversationHandler.END
    tip_id = parse_ask(services.keyring, query.data or "")
    tip = None if tip_id is None else await services.triage.get(officer, tip_id)
    if tip is None:
        await refuse(update, context)
        return ConversationHandler.END
    t = translator(await services.language_of(officer.user_id))
    try:
        services.triage.check_askable(tip)
    except TriageError as error:
        await query.answer(error.label(t), show_alert=True)
        return ConversationHandler.END
    try:
        await send_text(context.bot, officer.user_id, t("triage.ask.prompt", code=tip.code))
    except TelegramError:
        # The officer never opened a private chat with the bot: it may not write first.
        await query.answer(t.label("triage.ask.open_private"), show_alert=True)
        return ConversationHandler.END
    if context.user_data is not None:
        context.user_data[_ASKING] = tip.id
    await query.answer(t.label("triage.ask.see_private"))
    return WAIT_QUESTION


async def question_typed(update: Update, context: Context, officer: Officer) -> object:
    """Relay the question the officer typed."""
    services = context.services
    t = context.t
    message = update.effective_message
    tip_id = (context.user_data or {}).get(_ASKING)
    if message is None or not isinstance(tip_id, int):
        return ConversationHandler.END
    try:
        asked = await services.triage.ask(officer, tip_id, message.text or "")
    except TriageError as error:
        await reply_in_chat(update, context, error.text(t))
        return None if error.key == "triage.error.too_long" else ConversationHandler.END
    if context.user_data is not None:
        context.user_data.pop(_ASKING, None)
    kick_outbox(context)
    tip = await services.tips.tips.by_id(tip_id)
    queued = t("triage.ask.queued", code=tip.code if tip else "?") + link_warning(t, asked.body)
    await reply_in_chat(update, context, queued)
    return ConversationHandler.END


async def question_not_text(update: Update, context: Context, officer: Officer) -> object:
    """Ask for the question as text."""
    t = context.t
    await reply_in_chat(update, context, t("triage.ask.text_only"))
    return None


async def ask_cancel(update: Update, context: Context) -> object:
    """Stop waiting for the officer's question."""
    if context.user_data is not None:
        context.user_data.pop(_ASKING, None)
    t = context.t
    await reply_in_chat(update, context, t("triage.ask.cancelled"))
    return ConversationHandler.END


# ---------------------------------------------------------------- card buttons


async def action_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Act on a tip from its card or its full view; every press is checked again."""
    query = update.callback_query
    services = context.services
    if query is None or not isinstance(query.message, Message):
        if query is not None:
            await refuse(update, context)
        return None
    parsed = parse_action(services.keyring, query.data or "")
    tip = None if parsed is None else await services.triage.get(officer, parsed[1])
    if parsed is None or tip is None:
        # Forged, malformed, or a tip outside the officer's scope: a dead button.
        await refuse(update, context)
        return None
    verb, tip_id, argument = parsed
    message = query.message
    t = context.t
    shown = await _message_translator(services, update, message)
    triage = services.triage
    try:
        if verb in (VERB_STATUS, VERB_CLOSE):
            here = status_at(argument[:1])
            if len(argument) != 2 or here is None:
                await refuse(update, context)
                return None
            if verb == VERB_STATUS:
                wanted = status_at(argument[1:])
                if wanted is None:
                    await refuse(update, context)
                    return None
                change = await triage.change_status(officer, tip_id, here, wanted)
            else:
                outcome = indexed(OUTCOMES, argument[1:])
                if outcome is None:
                    await refuse(update, context)
                    return None
                change = await triage.change_status(
                    officer, tip_id, here, Status.CLOSED, outcome=outcome
                )
            await query.answer(
                t.label("triage.done.status", status=status_label(t, change.after.status))
            )
            await _after(context, change, pressed=(message, shown))
        elif verb in (VERB_TO_INVESTIGATION, VERB_TO_UNIT):
            here_text, _, unit_text = argument.partition(".")
            here = status_at(here_text)
            unit = None
            if verb == VERB_TO_UNIT:
                unit = await services.units.by_id(int(unit_text)) if unit_text.isdigit() else None
                if unit is None:
                    await refuse(update, context)
                    return None
            if here is None:
                await refuse(update, context)
                return None
            change = await triage.transfer(officer, tip_id, here, unit)
            await query.answer(
                t.label("triage.done.status", status=status_label(t, Status.TRANSFERRED))
            )
            await _after(context, change, pressed=(message, shown))
        elif verb == VERB_EXTEND:
            extension = indexed(EXTENSIONS, argument)
            if extension is None:
                await refuse(update, context)
                return None
            change = await triage.extend(officer, tip_id, extension)
            await query.answer(t.label("triage.done.extended"))
            await _after(context, change, pressed=(message, shown))
        elif verb == VERB_LEGAL:
            legal = indexed(LEGAL_TYPES, argument)
            if legal is None:
                await refuse(update, context)
                return None
            change = await triage.set_legal_type(officer, tip_id, legal)
            await query.answer(t.label("triage.done.legal"))
            await _after(context, change, pressed=(message, shown))
        elif verb == VERB_ASSIGN:
            if not argument.isdigit() or len(argument) > 16:
                await refuse(update, context)
                return None
            change = await triage.assign(officer, tip_id, int(argument))
            await query.answer()
            text = await _assigned(context, officer, change, t)
            await query.edit_message_text(text, parse_mode=ParseMode.HTML)
        elif verb == VERB_VIEW:
            await query.answer()
            await show_tip(context, officer.user_id, officer, tip, t)
        else:
            await _menu(update, context, verb, argument, tip, shown)
    except TriageError as error:
        await query.answer(error.label(t), show_alert=True)
        await refresh_card(context, tip_id, pressed=(message, shown))
    return None


async def _menu(
    update: Update, context: Context, verb: str, argument: str, tip: Tip, t: Translator
) -> None:
    """Swap the pressed message's buttons for a submenu (or back to the card's)."""
    query = update.callback_query
    assert query is not None
    services = context.services
    keyring = services.keyring
    markup: InlineKeyboardMarkup | None
    if verb in (VERB_CLOSE_MENU, VERB_TRANSFER_MENU):
        here = status_at(argument)
        if here is None:
            await refuse(update, context)
            return
        if tip.status != here:
            raise TriageError(
                N_("triage.refused.changed"), status=as_status(tip.status) or tip.status
            )
        if verb == VERB_CLOSE_MENU:
            markup = close_keyboard(t, keyring, tip, here)
        else:
            parent = None
            if tip.unit_id is not None:
                unit = await services.units.by_id(tip.unit_id)
                if unit is not None and unit.parent_id is not None:
                    parent = await services.units.by_id(unit.parent_id)
            markup = transfer_keyboard(t, keyring, tip, here, parent)
    elif verb == VERB_EXTEND_MENU:
        markup = extend_keyboard(t, keyring, tip)
    elif verb == VERB_LEGAL_MENU:
        markup = legal_keyboard(t, keyring, tip)
    elif verb == VERB_BACK:
        markup = card_keyboard(t, keyring, tip)
    else:
        await refuse(update, context)
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except TelegramError as error:
        if not is_benign(error):
            raise


# ---------------------------------------------------------------- /overdue and the digest


async def _overdue_text(
    services: Services, t: Translator, overdue: Overdue, *, digest: bool
) -> str:
    lookups = await _lookups(services, [*overdue.due, *overdue.untaken])
    return overdue_text(t, overdue, digest=digest, **lookups)


async def overdue_command(update: Update, context: Context, officer: Officer) -> object:
    """List the officer's tips past or near their deadline, and tips nobody has taken."""
    services = context.services
    t = context.t
    overdue = await services.triage.overdue(await services.triage.scope_of(officer))
    await reply_in_chat(update, context, await _overdue_text(services, t, overdue, digest=False))
    return None


async def send_digest(application: TipsApplication[Any]) -> int:
    """Send each officers' chat its digest of deadlines and untaken tips; return how many."""
    services = application.services
    overdue = await services.triage.overdue(Scope(None, True), limit=10 * OVERDUE_LIMIT)
    by_chat: dict[int, Overdue] = {}
    for field in ("due", "untaken"):
        for tip in getattr(overdue, field):
            chat_id = await services.triage.chat_of(tip)
            if chat_id is None:
                continue
            entry = by_chat.setdefault(
                chat_id, Overdue(overdue.today, [], [], overdue.untaken_hours)
            )
            listed = getattr(entry, field)
            if len(listed) < OVERDUE_LIMIT:
                listed.append(tip)
    t = translator(services.settings.default_language)
    sent = 0
    for chat_id, entry in sorted(by_chat.items()):
        try:
            await send_text(
                application.bot, chat_id, await _overdue_text(services, t, entry, digest=True)
            )
            sent += 1
        except TelegramError as error:
            log.warning("the daily digest could not reach chat %s: %s", chat_id, error)
    log.info("daily digest sent to %d officers' chats", sent)
    return sent


async def digest_job(context: BotContext[Services]) -> None:
    """Send the daily digest (a JobQueue callback)."""
    application = context.application
    if isinstance(application, TipsApplication):
        await send_digest(application)


# ---------------------------------------------------------------- /audit


def _audit_filters(
    args: list[str],
) -> tuple[int | None, str | None, str | None]:
    actor: int | None = None
    action: str | None = None
    code: str | None = None
    for token in args:
        found = normalize_code(token) if token.upper().startswith("TB") else None
        if found is not None:
            code = found
        elif token.isdigit() and len(token) <= 16:
            actor = int(token)
        elif _AUDIT_ACTION.match(token.lower()) and len(token) <= 20:
            action = token.lower()
        else:
            raise TriageError(N_("triage.audit.usage"))
    return actor, action, code


async def _audit_page(
    services: Services,
    t: Translator,
    actor: int | None,
    action: str | None,
    code: str | None,
    before: int | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    entries = await services.audit.entries(
        actor=None if actor is None else officer_ref(actor),
        action=action,
        target=None if code is None else f"tip:{code}",
        before_id=before,
        limit=AUDIT_PAGE,
    )
    names = await _names(
        services,
        (
            int(entry.actor[8:])
            for entry in entries
            if entry.actor.startswith("officer:") and entry.actor[8:].isdigit()
        ),
    )
    text = audit_text(t, entries, zone=services.settings.zone, names=names)
    filters_text = f"{actor or ''}:{action or ''}:{code or ''}"
    return text, audit_keyboard(t, entries, filters_text, AUDIT_PAGE)


@_answers_errors
async def audit_command(update: Update, context: Context, officer: Officer) -> object:
    """Show the audit log, newest first: filter by officer id, action, tip code."""
    services = context.services
    t = context.t
    args = list(context.args or [])
    if len(args) > 3:
        raise TriageError(N_("triage.audit.usage"))
    actor, action, code = _audit_filters(args)
    text, markup = await _audit_page(services, t, actor, action, code, None)
    await reply_in_chat(update, context, text, markup)
    return None


async def audit_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Show the next, older page of the audit log."""
    query = update.callback_query
    services = context.services
    if query is None:
        return None
    parts = (query.data or "").removeprefix(CB_AUDIT).split(":")
    try:
        if len(parts) != 4 or not parts[0].isdigit():
            raise TriageError(N_("triage.audit.usage"))
        actor, action, code = _audit_filters([part for part in parts[1:] if part])
    except TriageError:
        await refuse(update, context)
        return None
    t = context.t
    text, markup = await _audit_page(services, t, actor, action, code, int(parts[0]))
    await query.answer()
    await reply_in_chat(update, context, text, markup)
    return None


# ---------------------------------------------------------------- the tipster's answer


async def answer_pressed(update: Update, context: Context) -> object:
    """Start the tipster's answer to a question (their own question only)."""
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    services = context.services
    # Refusals return None: no conversation starts, and one already going keeps its question.
    if query is None or user is None or chat is None:
        return None
    message_id = parse_reply(services.keyring, query.data or "")
    t = context.t
    if message_id is None:
        await core.stale_button(update, context)
        return None
    if await services.tips.drafts.get(services.tips.pseudonym(user.id)) is not None:
        # A tip being written takes the resident's messages first; one thing at a time.
        await query.answer(t.label("triage.reply.finish_draft"), show_alert=True)
        return None
    started = await services.triage.begin_answer(user.id, message_id)
    if started is None:
        await core.stale_button(update, context)
        return None
    tip, _question = started
    await query.answer()
    await send_text(
        context.bot, chat.id, t("triage.reply.prompt", code=tip.code), protect_content=True
    )
    return WAIT_ANSWER


async def answer_typed(update: Update, context: Context) -> object:
    """Pass the tipster's answer on to the officers' chat."""
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    services = context.services
    if user is None or chat is None or message is None:
        return ConversationHandler.END
    t = context.t
    try:
        tip = await services.triage.answer(user.id, message.text or "")
    except TriageError as error:
        await send_text(context.bot, chat.id, error.text(t), protect_content=True)
        return None
    if tip is None:
        await send_text(context.bot, chat.id, t("triage.reply.expired"), protect_content=True)
        return ConversationHandler.END
    kick_outbox(context)
    await send_text(
        context.bot,
        chat.id,
        t("triage.reply.sent", code=tip.code),
        protect_content=True,
        reply_markup=services.menu.keyboard(t),
    )
    return ConversationHandler.END


async def answer_not_text(update: Update, context: Context) -> object:
    """Ask the tipster to type the answer (a sticker, a file, a poll are not passed on)."""
    chat = update.effective_chat
    if chat is None:
        return None
    t = context.t
    await send_text(context.bot, chat.id, t("triage.reply.ask_text"), protect_content=True)
    return None


async def answer_cancel(update: Update, context: Context) -> object:
    """Stop the tipster's answer."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return ConversationHandler.END
    services = context.services
    await services.triage.stop_answering(user.id)
    t = context.t
    await send_text(
        context.bot, chat.id, t("triage.reply.cancelled"), reply_markup=services.menu.keyboard(t)
    )
    return ConversationHandler.END


# ---------------------------------------------------------------- wiring


def early_handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the officers' extension of a resident command, for a group before the features.

    "/tip CODE" opens a tip for an officer; for anyone else it falls through, untouched, to the
    resident "/tip" (send a tip) of the tips feature.
    """
    return [
        officer_command(
            "tip",
            view_command,
            roles=CASE_WORKERS,
            filters=PRIVATE & filters.Regex(r"^/tip(@\w+)?\s+\S"),
            fallthrough=True,
        )
    ]


def tipster_handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the tipster's answer flow; it goes after the tip conversation and the menu."""
    with warnings.catch_warnings():
        # per_message=False is deliberate: the answer follows the person, not one message.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        answering = ConversationHandler(
            entry_points=[CallbackQueryHandler(answer_pressed, pattern=f"^{CB_REPLY}")],
            states={
                WAIT_ANSWER: [
                    MessageHandler(_TEXT, answer_typed),
                    MessageHandler(_NOT_TEXT, answer_not_text),
                    CallbackQueryHandler(answer_pressed, pattern=f"^{CB_REPLY}"),
                ]
            },
            fallbacks=[CommandHandler("cancel", answer_cancel, filters=PRIVATE)],
            name="triage.answer",
            persistent=True,
            conversation_timeout=ANSWER_TIMEOUT_SECONDS,
        )
    return [answering]


def handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the officers' triage handlers, to be added before the core fallbacks."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        asking = ConversationHandler(
            entry_points=[officer_callback(f"^{CB_ASK}", ask_pressed, roles=CASE_WORKERS)],
            states={
                WAIT_QUESTION: [
                    officer_message(_TEXT, question_typed, roles=CASE_WORKERS),
                    officer_message(_NOT_TEXT, question_not_text, roles=CASE_WORKERS),
                ]
            },
            fallbacks=[CommandHandler("cancel", ask_cancel, filters=PRIVATE)],
            name="triage.ask",
            # The button is pressed in the officers' group, the question typed in private.
            per_chat=False,
            # "Ask" pressed on another card while typing a question switches to that tip.
            allow_reentry=True,
            conversation_timeout=ASK_TIMEOUT_SECONDS,
        )
    return [
        asking,
        officer_command("tips", list_command, description=N_("command.tips")),
        officer_command("assign", assign_command, description=N_("command.assign")),
        officer_command("note", note_command, description=N_("command.note")),
        officer_command("transfer", transfer_command, description=N_("command.transfer")),
        officer_command("ask", ask_command, description=N_("command.ask")),
        officer_command("overdue", overdue_command, description=N_("command.overdue")),
        officer_command("file", file_command, description=N_("command.file")),
        officer_command("audit", audit_command, roles=ADMIN_ONLY, description=N_("command.audit")),
        officer_callback(f"^{CB_ACTION}", action_pressed, roles=CASE_WORKERS),
        officer_callback(f"^{CB_LIST}", list_pressed, roles=CASE_WORKERS),
        officer_callback(f"^{CB_AUDIT}", audit_pressed, roles=ADMIN_ONLY),
    ]


def register(application: TipsApplication[Any]) -> None:
    """Teach the outbox triage's deliveries, give cards their buttons, schedule the digest."""
    deliverer = deliverer_of(application)
    register_deliveries(deliverer)
    keyring = application.services.keyring
    deliverer.set_card_keyboard(lambda tip: card_keyboard(deliverer.t, keyring, tip))
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("triage needs python-telegram-bot's job-queue extra")
    queue.run_daily(digest_job, time=application.services.settings.digest_at, name=DIGEST_JOB)
