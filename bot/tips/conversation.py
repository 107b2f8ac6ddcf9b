"""The tip conversation: category, story, place, time, evidence, identity, review, send.

Buttons first; typing only for the story, an address, a unit's name, a date or a contact.
Every answered step is saved (sealed draft and conversation state in one transaction) before
the next question is asked, so a restart, even a SIGKILL, resumes the resident where they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.inbox import is_replay
from bot.kernel.i18n import LANGUAGES, N_, Html, Translator, translator
from bot.kernel.telegram_text import clip, utf16_length
from bot.ptb.context import BotContext
from bot.ptb.errors import is_benign
from bot.ptb.messaging import send_text
from bot.ptb.persistence import ConversationKey
from bot.services import Services
from bot.tips import steps
from bot.tips.dates import DateProblem, parse_past_date
from bot.tips.model import (
    ADDRESS_MAX_CHARS,
    ADDRESS_MIN_CHARS,
    CONTACT_MAX_CHARS,
    LEGAL_TYPES,
    MAX_EVIDENCE,
    STORY_MAX_CHARS,
    STORY_MIN_CHARS,
    STORY_MIN_WORDS,
    Attachment,
    Draft,
    DraftRecord,
    Tip,
)
from bot.tips.outbox import kick_outbox
from bot.tips.render import day, legal_type_label, moment, receipt_text, review_text
from bot.tips.service import (
    CONVERSATION,
    DraftGoneError,
    IncompleteDraftError,
    LimitReached,
    TipService,
)
from bot.units import Unit

log = logging.getLogger(__name__)

# Until this feature names its needs in a Protocol, it sees the whole container.
Context: TypeAlias = "BotContext[Services]"
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
END = ConversationHandler.END

# Callback data of the conversation's buttons: "td:" (tip draft), never the officers' "tip:".
PREFIX = "td:"
CB_CATEGORY = "td:cat:"
CB_STORY_DONE = "td:story:done"
CB_UNIT = "td:unit:"
CB_WHEN = "td:when:"
CB_EVIDENCE_DONE = "td:ev:done"
CB_EVIDENCE_CLEAR = "td:ev:clear"
CB_IDENTITY = "td:id:"
CB_EDIT = "td:edit:"
CB_LEGAL = "td:legal:"
CB_SEND = "td:send:"
CB_CANCEL = "td:cancel"
CB_REVIEW = "td:review"

_EDITABLE = {
    "category": steps.CATEGORY,
    "story": steps.STORY,
    "place": steps.PLACE,
    "when": steps.WHEN,
    "evidence": steps.EVIDENCE,
    "identity": steps.IDENTITY,
    "legal": steps.LEGAL,
}
_HINTS = {
    steps.CATEGORY: N_("tips.hint.category"),
    steps.STORY: N_("tips.hint.story"),
    steps.PLACE: N_("tips.hint.place"),
    steps.PLACE_UNIT: N_("tips.hint.place_unit"),
    steps.WHEN: N_("tips.hint.when"),
    steps.WHEN_DATE: N_("tips.hint.when_date"),
    steps.EVIDENCE: N_("tips.hint.evidence"),
    steps.IDENTITY: N_("tips.hint.identity"),
    steps.CONTACT: N_("tips.hint.contact"),
    steps.REVIEW: N_("tips.hint.review"),
    steps.LEGAL: N_("tips.hint.legal"),
}
_UNIT_RESULTS = 8
_CONTACT_MIN_CHARS = 5
_CONTACT_MIN_DIGITS = 6
# "/start tip": the deep link t.me/<bot>?start=tip.
_START_TIP = re.compile(r"^/start(@\w+)?\s+tip\s*$", re.IGNORECASE)


def labels(key: str) -> list[str]:
    """Return a button label in every language (a reply button comes back as its text)."""
    return sorted({translator(language).label(key) for language in LANGUAGES})


# ------------------------------------------------------------------ one turn of the dialogue


@dataclass
class Turn:
    """One update of a resident in the conversation, with what every step needs."""

    update: Update
    context: Context
    services: Services
    t: Translator
    user_id: int
    chat_id: int
    answered: bool = False
    # The pressed button being settled while the step goes on (see settle_button).
    settling: asyncio.Task[None] | None = None

    @property
    def tips(self) -> TipService:
        """Return the tip service."""
        return self.services.tips

    @property
    def query(self) -> CallbackQuery | None:
        """Return the pressed button, if this turn is one."""
        return self.update.callback_query

    @property
    def data(self) -> str:
        """Return the pressed button's data ("" for a message)."""
        return (self.query.data or "") if self.query else ""

    @property
    def message(self) -> Message:
        """Return the resident's new message (only for message handlers)."""
        message = self.update.message
        if message is None:
            raise RuntimeError("this step expects a message")
        return message

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button once (stops the client's spinner)."""
        if self.query is None or self.answered:
            return
        self.answered = True
        try:
            await self.query.answer(text, show_alert=alert)
        except TelegramError as error:
            if not is_benign(error):
                raise

    async def say(self, text: str, markup: Markup | None = None) -> None:
        """Send HTML text to the resident."""
        await send_text(self.context.bot, self.chat_id, text, reply_markup=markup)

    def settle_button(self, choice: str | None = None) -> None:
        """Start answering the pressed button and taking its keyboard off, noting the choice.

        It runs while the step goes on (the draft saved, the next question sent): each call is a
        round trip to Telegram, so the resident's spinner stops after one, and the next question
        does not wait for the old one's keyboard. `settled()` waits for it before the update ends.
        """
        query = self.query
        if query is None or not isinstance(query.message, Message) or self.settling is not None:
            return
        self.settling = asyncio.create_task(self._settle(query, query.message, choice))

    async def settled(self) -> None:
        """Wait until the pressed button has been answered and its keyboard taken off."""
        if self.settling is not None:
            await self.settling

    async def _settle(self, query: CallbackQuery, message: Message, choice: str | None) -> None:
        await asyncio.gather(
            self._answer_quietly(), self._take_keyboard_off(query, message, choice)
        )

    async def _answer_quietly(self) -> None:
        # A failed answer only leaves the spinner turning; it must not stop the step.
        with contextlib.suppress(TelegramError):
            await self.answer()

    async def _take_keyboard_off(
        self, query: CallbackQuery, message: Message, choice: str | None
    ) -> None:
        with contextlib.suppress(TelegramError):
            if choice is not None and message.text is not None:
                await query.edit_message_text(
                    message.text_html + "\n\n" + self.t("tips.chosen", choice=choice),
                    reply_markup=None,
                )
            else:
                await query.edit_message_reply_markup(reply_markup=None)


async def _turn(update: Update, context: Context) -> Turn | None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return None
    services = context.services
    t = context.t
    return Turn(update, context, services, t, user.id, chat.id)


Step = Callable[[Turn, DraftRecord], Awaitable[object]]
Callback = Callable[[Update, Context], Coroutine[Any, Any, object]]


def _with_draft(step: Step) -> Callback:
    """Run a step with the resident's draft; a draft that is gone ends the conversation."""

    @functools.wraps(step)
    async def callback(update: Update, context: Context) -> object:
        turn = await _turn(update, context)
        if turn is None:
            return None
        try:
            record = await turn.tips.load_draft(turn.user_id)
            if record is None:
                return await _draft_gone(turn)
            return await step(turn, record)
        except DraftGoneError:
            return await _draft_gone(turn)
        finally:
            await turn.settled()
            with contextlib.suppress(TelegramError):
                await turn.answer()

    return callback


def _main_menu(turn: Turn) -> ReplyKeyboardMarkup:
    return turn.services.menu.keyboard(turn.t)


def step_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """Return the reply keyboard that replaces the main menu while a tip is written."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.label("tips.button.cancel"))]],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t.label("tips.placeholder"),
    )


async def _draft_gone(turn: Turn) -> object:
    await turn.answer()
    await turn.say(turn.t("tips.draft_gone"), _main_menu(turn))
    return END


def _limit_text(turn: Turn, limit: LimitReached) -> str:
    when = moment(limit.retry_at, turn.services.settings.zone)
    if limit.period == "hour":
        return turn.t("tips.limit.hour", limit=limit.limit, time=when)
    return turn.t("tips.limit.day", limit=limit.limit, time=when)


# ------------------------------------------------------------------ prompts


def _inline(rows: list[list[InlineKeyboardButton]], draft: Draft, t: Translator) -> Markup | None:
    if draft.reviewed:
        rows = [*rows, [InlineKeyboardButton(t.label("tips.button.back"), callback_data=CB_REVIEW)]]
    return InlineKeyboardMarkup(rows) if rows else None


def _done_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.label("tips.button.done"), callback_data=CB_STORY_DONE)]]
    )


def _evidence_keyboard(t: Translator, draft: Draft) -> Markup | None:
    if draft.evidence:
        rows = [
            [InlineKeyboardButton(t.label("tips.button.done"), callback_data=CB_EVIDENCE_DONE)],
            [
                InlineKeyboardButton(
                    t.label("tips.button.evidence_clear"), callback_data=CB_EVIDENCE_CLEAR
                )
            ],
        ]
    else:
        rows = [
            [
                InlineKeyboardButton(
                    t.label("tips.button.evidence_none"), callback_data=CB_EVIDENCE_DONE
                )
            ]
        ]
    return _inline(rows, draft, t)


async def _unit_label(turn: Turn, unit: Unit) -> str:
    name = unit.name(turn.t.language)
    if unit.parent_id is not None:
        parent = await turn.services.units.by_id(unit.parent_id)
        if parent is not None:
            return f"{name} · {parent.name(turn.t.language)}"
    return name


async def _unit_name(turn: Turn, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    unit = await turn.services.units.by_id(unit_id)
    return None if unit is None else await _unit_label(turn, unit)


async def _prompt(turn: Turn, draft: Draft, step: str) -> tuple[str, Markup | None]:
    """Return the question of a step and its keyboard."""
    t = turn.t
    number = steps.NUMBER.get(step)
    progress = Html(t("tips.progress", n=number, total=steps.COUNTED) if number else "")
    if step == steps.CATEGORY:
        rows = [
            [
                InlineKeyboardButton(
                    category.label(t.language), callback_data=CB_CATEGORY + category.code
                )
            ]
            for category in await turn.tips.categories()
        ]
        return t("tips.ask.category", progress=progress), _inline(rows, draft, t)
    if step == steps.STORY:
        if draft.reviewed:
            return t("tips.ask.story_again", progress=progress, max=STORY_MAX_CHARS), _inline(
                [], draft, t
            )
        return t("tips.ask.story", progress=progress, max=STORY_MAX_CHARS), None
    if step == steps.PLACE:
        buttons = [[KeyboardButton(t.label("tips.button.share_location"), request_location=True)]]
        if await turn.tips.any_units():
            buttons.append([KeyboardButton(t.label("tips.button.pick_unit"))])
        buttons.append([KeyboardButton(t.label("tips.button.place_unknown"))])
        buttons.append([KeyboardButton(t.label("tips.button.cancel"))])
        keyboard = ReplyKeyboardMarkup(
            buttons,
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=t.label("tips.placeholder.address"),
        )
        return t("tips.ask.place", progress=progress), keyboard
    if step == steps.PLACE_UNIT:
        return t("tips.ask.unit", progress=progress), None
    if step == steps.WHEN:
        rows = [
            [InlineKeyboardButton(t.label("tips.button.when_now"), callback_data=CB_WHEN + "now")],
            [
                InlineKeyboardButton(
                    t.label("tips.button.when_today"), callback_data=CB_WHEN + "today"
                )
            ],
            [
                InlineKeyboardButton(
                    t.label("tips.button.when_earlier"), callback_data=CB_WHEN + "earlier"
                )
            ],
            [
                InlineKeyboardButton(
                    t.label("tips.button.when_skip"), callback_data=CB_WHEN + "skip"
                )
            ],
        ]
        return t("tips.ask.when", progress=progress), _inline(rows, draft, t)
    if step == steps.WHEN_DATE:
        return t("tips.ask.date", progress=progress, example=day(turn.tips.local_today())), None
    if step == steps.EVIDENCE:
        return (
            t("tips.ask.evidence", progress=progress, max=MAX_EVIDENCE, count=len(draft.evidence)),
            _evidence_keyboard(t, draft),
        )
    if step == steps.IDENTITY:
        rows = [
            [
                InlineKeyboardButton(
                    t.label("tips.button.anonymous"), callback_data=CB_IDENTITY + "anon"
                )
            ],
            [
                InlineKeyboardButton(
                    t.label("tips.button.leave_contact"), callback_data=CB_IDENTITY + "contact"
                )
            ],
        ]
        return t("tips.ask.identity", progress=progress), _inline(rows, draft, t)
    if step == steps.CONTACT:
        keyboard = ReplyKeyboardMarkup(
            [
                [KeyboardButton(t.label("tips.button.share_contact"), request_contact=True)],
                [KeyboardButton(t.label("tips.button.stay_anonymous"))],
                [KeyboardButton(t.label("tips.button.cancel"))],
            ],
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=t.label("tips.placeholder.contact"),
        )
        return t("tips.ask.contact", progress=progress), keyboard
    if step == steps.LEGAL:
        rows = [
            [InlineKeyboardButton(t.label(key), callback_data=CB_LEGAL + legal)]
            for legal, key in (
                ("to_giac", "tips.legal.to_giac"),
                ("tin_bao", "tips.legal.tin_bao"),
                ("phan_anh", "tips.legal.phan_anh"),
            )
        ]
        rows.append(
            [
                InlineKeyboardButton(
                    t.label("tips.button.legal_default"), callback_data=CB_LEGAL + "default"
                )
            ]
        )
        return t("tips.ask.legal"), _inline(rows, draft, t)
    return await _review(turn, draft)


async def _review(turn: Turn, draft: Draft) -> tuple[str, Markup]:
    t = turn.t
    category = await turn.tips.category(draft.category)
    text = review_text(t, draft, category=category, unit_name=await _unit_name(turn, draft.unit_id))

    def edit(key: str, target: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(t.label(key), callback_data=CB_EDIT + target)

    keyboard = InlineKeyboardMarkup(
        [
            [
                edit("tips.button.edit_category", "category"),
                edit("tips.button.edit_story", "story"),
            ],
            [edit("tips.button.edit_place", "place"), edit("tips.button.edit_when", "when")],
            [
                edit("tips.button.edit_evidence", "evidence"),
                edit("tips.button.edit_identity", "identity"),
            ],
            [edit("tips.button.edit_legal", "legal")],
            [
                InlineKeyboardButton(
                    t.label("tips.button.send"), callback_data=CB_SEND + draft.submission_key
                )
            ],
            [InlineKeyboardButton(t.label("tips.button.cancel_inline"), callback_data=CB_CANCEL)],
        ]
    )
    return text, keyboard


async def _show(turn: Turn, draft: Draft, step: str) -> None:
    text, markup = await _prompt(turn, draft, step)
    await turn.say(text, markup)


async def _go(turn: Turn, record: DraftRecord, step: str, *, ack: str | None = None) -> str:
    """Save the draft at `step`, then ask that step's question; return the new state.

    `ack` confirms an answer given on a reply keyboard and puts the step keyboard back.
    """
    if step == steps.REVIEW:
        record.draft.reviewed = True
        record.draft.story_replacing = False
    saved = await turn.tips.save_draft(turn.user_id, turn.chat_id, record, step, turn.t.language)
    try:
        if ack is not None:
            await turn.say(ack, step_keyboard(turn.t))
        await _show(turn, saved.draft, step)
    except TelegramError as error:
        # The draft is already saved at `step`. Raising would leave the conversation at the old
        # step while the database says `step`; moving on keeps both in agreement, and the
        # resident's next message is handled at `step`.
        log.warning("could not ask the %s question: %s", step, error)
    return step


async def _advance(turn: Turn, record: DraftRecord, done: str, *, ack: str | None = None) -> str:
    """Move past an answered step: to the next one, or back to the review once it was seen."""
    following = steps.REVIEW if record.draft.reviewed else steps.after(done)
    return await _go(turn, record, following, ack=ack)


async def _stay(turn: Turn, record: DraftRecord) -> DraftRecord:
    """Save an answer that keeps the resident at the same step."""
    return await turn.tips.save_draft(
        turn.user_id, turn.chat_id, record, record.step, turn.t.language
    )


# ------------------------------------------------------------------ entry, cancel, re-entry


async def start_tip(update: Update, context: Context) -> object:
    """Start a tip: check the resident's limits, then ask for the category."""
    turn = await _turn(update, context)
    if turn is None:
        return END
    limit = await turn.tips.limit_reached(turn.user_id)
    if limit is not None:
        await turn.say(_limit_text(turn, limit), _main_menu(turn))
        return END
    record = await turn.tips.start_draft(
        turn.user_id, turn.chat_id, turn.t.language, steps.CATEGORY
    )
    try:
        await turn.say(turn.t("tips.intro"), step_keyboard(turn.t))
        await _show(turn, record.draft, steps.CATEGORY)
    except TelegramError as error:
        # As in _go: the draft exists at CATEGORY, so the conversation must be there too.
        log.warning("could not ask for the category: %s", error)
    return steps.CATEGORY


async def cancel(update: Update, context: Context) -> object:
    """Discard the draft and bring the main menu back."""
    turn = await _turn(update, context)
    if turn is None:
        return END
    await turn.tips.discard_draft(turn.user_id, turn.chat_id)
    await turn.answer()
    turn.settle_button()
    try:
        await turn.say(turn.t("tips.cancelled"), _main_menu(turn))
    finally:
        await turn.settled()
    return END


async def already_started(update: Update, context: Context) -> object:
    """Remind a resident who asks for a new tip of the one in progress."""
    turn = await _turn(update, context)
    if turn is None:
        return None
    record = await turn.tips.load_draft(turn.user_id)
    if record is None:
        return await start_tip(update, context)
    await turn.say(turn.t("tips.already"))
    await _show(turn, record.draft, record.step)
    return None


async def _hint(turn: Turn, record: DraftRecord) -> object:
    """Tell the resident what this step expects (a sticker, a poll, a file where text is asked)."""
    step = record.step
    text = turn.t(_HINTS.get(step, "tips.hint.review"))
    markup: Markup | None = None
    if step in (steps.CATEGORY, steps.WHEN, steps.EVIDENCE, steps.IDENTITY, steps.LEGAL):
        _question, markup = await _prompt(turn, record.draft, step)
    elif step == steps.REVIEW:
        _question, markup = await _review(turn, record.draft)
    elif step == steps.STORY and (record.draft.story_parts or record.draft.story_voice):
        markup = _done_keyboard(turn.t)
    await turn.say(text, markup)
    return None


hint = _with_draft(_hint)


async def stale_button(update: Update, context: Context) -> object:
    """Answer a button of an earlier step."""
    turn = await _turn(update, context)
    if turn is None:
        return None
    record = await turn.tips.load_draft(turn.user_id) if is_replay() else None
    if record is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    # The press was taken before the bot stopped, and its answer may never have gone out:
    # the draft has moved on because of it, so show where it stands now (bot.inbox.turns).
    await turn.answer()
    await _show(turn, record.draft, record.step)
    return None


@_with_draft
async def back_to_review(turn: Turn, record: DraftRecord) -> object:
    """Return to the review without changing the answer."""
    turn.settle_button()
    return await _go(turn, record, steps.REVIEW)


# ------------------------------------------------------------------ 1. category


@_with_draft
async def choose_category(turn: Turn, record: DraftRecord) -> object:
    """Record the category."""
    category = await turn.tips.category(turn.data.removeprefix(CB_CATEGORY))
    if category is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    record.draft.category = category.code
    turn.settle_button(category.label(turn.t.language))
    return await _advance(turn, record, steps.CATEGORY)


# ------------------------------------------------------------------ 2. what happened


def story_is_enough(draft: Draft) -> bool:
    """Say whether the story has at least a few words (or is a voice note)."""
    if draft.story_voice is not None:
        return True
    story = draft.story.strip()
    return len(story) >= STORY_MIN_CHARS and len(story.split()) >= STORY_MIN_WORDS


@_with_draft
async def story_text(turn: Turn, record: DraftRecord) -> object:
    """Add one message to the story."""
    draft = record.draft
    text = (turn.message.text or "").strip()
    if not text:
        return await _hint(turn, record)
    parts = [] if draft.story_replacing else list(draft.story_parts)
    # Counted as Telegram counts (UTF-16 units): an emoji is two, and the officers' card, which
    # carries the whole story in one message, must stay under Telegram's 4096.
    used = utf16_length("\n\n".join(parts))
    separator = 2 if parts else 0
    length = utf16_length(text)
    if length > STORY_MAX_CHARS:
        await turn.say(turn.t("tips.story.too_long", max=STORY_MAX_CHARS, length=length))
        return None
    if used + separator + length > STORY_MAX_CHARS:
        left = max(0, STORY_MAX_CHARS - used - separator)
        await turn.say(turn.t("tips.story.too_long_total", max=STORY_MAX_CHARS, left=left))
        return None
    if draft.story_replacing:
        draft.story_voice = None
        draft.story_replacing = False
    draft.story_parts = [*parts, text]
    await _stay(turn, record)
    await turn.say(
        turn.t("tips.story.added", length=utf16_length(draft.story), max=STORY_MAX_CHARS),
        _done_keyboard(turn.t),
    )
    return steps.STORY


@_with_draft
async def story_voice(turn: Turn, record: DraftRecord) -> object:
    """Take a voice note as the story."""
    voice = turn.message.voice
    if voice is None:
        return None
    draft = record.draft
    if draft.story_replacing:
        draft.story_parts = []
        draft.story_replacing = False
    draft.story_voice = Attachment(
        kind="voice",
        file_id=voice.file_id,
        file_unique_id=voice.file_unique_id,
        mime=voice.mime_type,
        size=voice.file_size,
    )
    await _stay(turn, record)
    await turn.say(turn.t("tips.story.voice_added"), _done_keyboard(turn.t))
    return steps.STORY


@_with_draft
async def story_done(turn: Turn, record: DraftRecord) -> object:
    """Finish the story if it says enough."""
    if not story_is_enough(record.draft):
        await turn.answer()
        await turn.say(
            turn.t("tips.story.too_short", words=STORY_MIN_WORDS), _story_markup(turn, record)
        )
        return None
    turn.settle_button()
    return await _advance(turn, record, steps.STORY)


def _story_markup(turn: Turn, record: DraftRecord) -> Markup | None:
    if record.draft.reviewed:
        return _inline([], record.draft, turn.t)
    return None


# ------------------------------------------------------------------ 3. where


@_with_draft
async def place_location(turn: Turn, record: DraftRecord) -> object:
    """Record a shared location (or venue)."""
    message = turn.message
    location = message.location
    if location is None:
        return None
    draft = record.draft
    draft.place_kind = "location"
    draft.latitude = location.latitude
    draft.longitude = location.longitude
    draft.unit_id = None
    draft.place_text = None
    if message.venue is not None:
        venue = f"{message.venue.title}, {message.venue.address}"
        draft.place_text = clip(venue, ADDRESS_MAX_CHARS)
    return await _advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_location"))


@_with_draft
async def place_unknown(turn: Turn, record: DraftRecord) -> object:
    """Record that the resident does not remember where."""
    draft = record.draft
    draft.place_kind = "unknown"
    draft.place_text = None
    draft.latitude = draft.longitude = None
    draft.unit_id = None
    return await _advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_unknown"))


@_with_draft
async def place_address(turn: Turn, record: DraftRecord) -> object:
    """Record a typed address."""
    text = " ".join((turn.message.text or "").split())
    # UTF-16 units, as Telegram counts: the address goes on the officers' card, which must fit.
    length = utf16_length(text)
    if length < ADDRESS_MIN_CHARS:
        await turn.say(turn.t("tips.place.too_short", min=ADDRESS_MIN_CHARS))
        return None
    if length > ADDRESS_MAX_CHARS:
        await turn.say(turn.t("tips.place.too_long", max=ADDRESS_MAX_CHARS, length=length))
        return None
    draft = record.draft
    draft.place_kind = "address"
    draft.place_text = text
    draft.latitude = draft.longitude = None
    draft.unit_id = None
    return await _advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_address"))


@_with_draft
async def place_pick_unit(turn: Turn, record: DraftRecord) -> object:
    """Ask for the name of the commune or ward."""
    return await _go(turn, record, steps.PLACE_UNIT)


@_with_draft
async def unit_search(turn: Turn, record: DraftRecord) -> object:
    """Offer the units whose names match what the resident typed (diacritics don't matter)."""
    query = " ".join((turn.message.text or "").split())
    found = await turn.services.units.search(query, limit=_UNIT_RESULTS)
    if not found:
        await turn.say(turn.t("tips.unit.none", query=query))
        return None
    rows = [
        [InlineKeyboardButton(await _unit_label(turn, unit), callback_data=f"{CB_UNIT}{unit.id}")]
        for unit in found
    ]
    await turn.say(turn.t("tips.unit.pick", query=query), InlineKeyboardMarkup(rows))
    return None


@_with_draft
async def unit_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record the unit picked from the search results."""
    raw = turn.data.removeprefix(CB_UNIT)
    unit = await turn.services.units.by_id(int(raw)) if raw.isdigit() else None
    if unit is None or not unit.active:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    label = await _unit_label(turn, unit)
    draft = record.draft
    draft.place_kind = "unit"
    draft.unit_id = unit.id
    draft.place_text = None
    draft.latitude = draft.longitude = None
    turn.settle_button(label)
    return await _advance(
        turn, record, steps.PLACE, ack=turn.t("tips.place.saved_unit", unit=label)
    )


# ------------------------------------------------------------------ 4. when


@_with_draft
async def when_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record now / today / skip, or ask for the date."""
    choice = turn.data.removeprefix(CB_WHEN)
    keys = {
        "now": "tips.button.when_now",
        "today": "tips.button.when_today",
        "earlier": "tips.button.when_earlier",
        "skip": "tips.button.when_skip",
    }
    if choice not in keys:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    turn.settle_button(turn.t.label(keys[choice]))
    if choice == "earlier":
        return await _go(turn, record, steps.WHEN_DATE)
    draft = record.draft
    today = turn.tips.local_today()
    if choice == "skip":
        draft.occurred, draft.occurred_on = "unknown", None
    else:
        draft.occurred = "now" if choice == "now" else "today"
        draft.occurred_on = today.isoformat()
    return await _advance(turn, record, steps.WHEN)


@_with_draft
async def when_typed(turn: Turn, record: DraftRecord) -> object:
    """Record a typed date of the events."""
    text = (turn.message.text or "").strip()
    result = parse_past_date(text, turn.tips.local_today())
    if isinstance(result, date):
        record.draft.occurred = "date"
        record.draft.occurred_on = result.isoformat()
        return await _advance(turn, record, steps.WHEN)
    if record.step == steps.WHEN and result is DateProblem.MALFORMED:
        # At the buttons' step, text that is not a date is a wrong turn, not a bad date.
        return await _hint(turn, record)
    example = day(turn.tips.local_today())
    if result is DateProblem.FUTURE:
        await turn.say(turn.t("tips.when.future", date=text, example=example))
    elif result is DateProblem.TOO_OLD:
        await turn.say(turn.t("tips.when.too_old", date=text, example=example))
    else:
        await turn.say(turn.t("tips.when.malformed", date=text, example=example))
    return None


# ------------------------------------------------------------------ 5. evidence


def attachment_of(message: Message) -> Attachment | None:
    """Return the file a message carries as evidence, or None."""
    caption = message.caption or None
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Attachment(
            "photo", photo.file_id, photo.file_unique_id, "image/jpeg", photo.file_size, caption
        )
    if message.video is not None:
        video = message.video
        return Attachment(
            "video", video.file_id, video.file_unique_id, video.mime_type, video.file_size, caption
        )
    if message.voice is not None:
        voice = message.voice
        return Attachment(
            "voice", voice.file_id, voice.file_unique_id, voice.mime_type, voice.file_size, caption
        )
    if message.audio is not None:
        audio = message.audio
        return Attachment(
            "audio", audio.file_id, audio.file_unique_id, audio.mime_type, audio.file_size, caption
        )
    if message.video_note is not None:
        note = message.video_note
        return Attachment(
            "video_note", note.file_id, note.file_unique_id, "video/mp4", note.file_size
        )
    if message.document is not None:
        document = message.document
        return Attachment(
            "document",
            document.file_id,
            document.file_unique_id,
            document.mime_type,
            document.file_size,
            caption,
        )
    return None


EVIDENCE_FILTER = (
    filters.PHOTO
    | filters.VIDEO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
)


@_with_draft
async def evidence_added(turn: Turn, record: DraftRecord) -> object:
    """Keep one more attachment (Telegram's file id only), up to the limit."""
    item = attachment_of(turn.message)
    if item is None:
        return None
    draft = record.draft
    if len(draft.evidence) >= MAX_EVIDENCE:
        await turn.say(
            turn.t("tips.evidence.full", max=MAX_EVIDENCE), _evidence_keyboard(turn.t, draft)
        )
        return None
    draft.evidence.append(item)
    await _stay(turn, record)
    await turn.say(
        turn.t("tips.evidence.added", count=len(draft.evidence), max=MAX_EVIDENCE),
        _evidence_keyboard(turn.t, draft),
    )
    return steps.EVIDENCE


@_with_draft
async def evidence_done(turn: Turn, record: DraftRecord) -> object:
    """Finish the evidence step (with or without files)."""
    record.draft.evidence_done = True
    turn.settle_button()
    return await _advance(turn, record, steps.EVIDENCE)


@_with_draft
async def evidence_clear(turn: Turn, record: DraftRecord) -> object:
    """Drop every attachment and ask again."""
    record.draft.evidence = []
    turn.settle_button()
    return await _go(turn, record, steps.EVIDENCE)


# ------------------------------------------------------------------ 6. identity


@_with_draft
async def identity_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record anonymity, or ask for the contact."""
    choice = turn.data.removeprefix(CB_IDENTITY)
    draft = record.draft
    if choice == "contact":
        turn.settle_button(turn.t.label("tips.button.leave_contact"))
        return await _go(turn, record, steps.CONTACT)
    if choice != "anon":
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    draft.anonymous = True
    draft.contact = None
    draft.identity_done = True
    turn.settle_button(turn.t.label("tips.button.anonymous"))
    return await _advance(turn, record, steps.IDENTITY)


async def _keep_contact(turn: Turn, record: DraftRecord, contact: str) -> object:
    draft = record.draft
    draft.anonymous = False
    draft.contact = contact
    draft.identity_done = True
    return await _advance(turn, record, steps.IDENTITY, ack=turn.t("tips.contact.saved"))


@_with_draft
async def contact_shared(turn: Turn, record: DraftRecord) -> object:
    """Record the resident's own phone number shared with the button."""
    contact = turn.message.contact
    if contact is None:
        return None
    if contact.user_id != turn.user_id:
        await turn.say(turn.t("tips.contact.not_own"))
        return None
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    value = f"{contact.phone_number} ({name})" if name else contact.phone_number
    return await _keep_contact(turn, record, clip(value, CONTACT_MAX_CHARS))


@_with_draft
async def contact_typed(turn: Turn, record: DraftRecord) -> object:
    """Record a typed phone number, e-mail or other way to reach the resident."""
    text = " ".join((turn.message.text or "").split())
    digits = sum(char.isdigit() for char in text)
    # UTF-16 units, as Telegram counts (the contact goes on the officers' card).
    length = utf16_length(text)
    if length > CONTACT_MAX_CHARS:
        await turn.say(turn.t("tips.contact.too_long", max=CONTACT_MAX_CHARS, length=length))
        return None
    if length < _CONTACT_MIN_CHARS or (digits < _CONTACT_MIN_DIGITS and "@" not in text):
        await turn.say(turn.t("tips.contact.invalid", max=CONTACT_MAX_CHARS))
        return None
    return await _keep_contact(turn, record, text)


@_with_draft
async def contact_to_anonymous(turn: Turn, record: DraftRecord) -> object:
    """Go back to anonymity from the contact step."""
    draft = record.draft
    draft.anonymous = True
    draft.contact = None
    draft.identity_done = True
    return await _advance(turn, record, steps.IDENTITY, ack=turn.t("tips.identity.saved_anonymous"))


# ------------------------------------------------------------------ review, legal type, send


@_with_draft
async def edit_step(turn: Turn, record: DraftRecord) -> object:
    """Go back to one step from the review."""
    step = _EDITABLE.get(turn.data.removeprefix(CB_EDIT))
    if step is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    if step == steps.STORY:
        record.draft.story_replacing = True
    turn.settle_button()
    return await _go(turn, record, step)


@_with_draft
async def legal_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record the legal type the resident chose (or go back to the category's)."""
    choice = turn.data.removeprefix(CB_LEGAL)
    draft = record.draft
    if choice == "default":
        draft.legal_type = None
        draft.legal_type_source = "category"
        label = turn.t.label("tips.button.legal_default")
    elif choice in LEGAL_TYPES:
        draft.legal_type = choice
        draft.legal_type_source = "resident"
        label = legal_type_label(turn.t, choice)
    else:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    turn.settle_button(label)
    return await _go(turn, record, steps.REVIEW)


async def _receipt(turn: Turn, tip: Tip) -> None:
    await turn.answer(turn.t.label("tips.sent.short", code=tip.code))
    turn.settle_button()
    try:
        await turn.say(receipt_text(turn.t, tip, turn.services.settings.zone), _main_menu(turn))
    finally:
        await turn.settled()


async def send(update: Update, context: Context) -> object:
    """Write the tip (once, however often "Send" arrives), then give the receipt."""
    turn = await _turn(update, context)
    if turn is None:
        return None
    key = turn.data.removeprefix(CB_SEND)
    existing = await turn.tips.existing_submission(turn.user_id, key)
    if existing is not None:
        # A second press, or Telegram redelivering the first: the same receipt, nothing new.
        await _receipt(turn, existing)
        return END
    record = await turn.tips.load_draft(turn.user_id)
    if record is None:
        return await _draft_gone(turn)
    if record.draft.submission_key != key:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    limit = await turn.tips.limit_reached(turn.user_id)
    if limit is not None:
        await turn.answer()
        await turn.say(_limit_text(turn, limit))
        return None
    try:
        submission = await turn.tips.submit(turn.user_id, turn.chat_id, record, turn.t.language)
    except IncompleteDraftError as missing:
        await turn.answer()
        return await _go(turn, record, missing.step)
    # The tip is committed: only now does the resident get the receipt.
    await _receipt(turn, submission.tip)
    if submission.created:
        kick_outbox(context)
    return END


async def send_again(update: Update, context: Context) -> None:
    """Answer "Send" pressed after the conversation ended: the same receipt, or a stale button."""
    turn = await _turn(update, context)
    if turn is None:
        return
    existing = None
    # PTB lets a button with empty data through any pattern: answer it as core would.
    if turn.data.startswith(CB_SEND):
        existing = await turn.tips.existing_submission(
            turn.user_id, turn.data.removeprefix(CB_SEND)
        )
    if existing is None:
        await turn.answer(turn.t.label("callback.stale"), alert=True)
        return
    await _receipt(turn, existing)


# ------------------------------------------------------------------ the handler


class TipConversation(ConversationHandler[Context]):
    """The tip ConversationHandler, with a way to end one conversation from a job."""

    def forget(self, key: ConversationKey) -> None:
        """End a conversation in memory (the idle-expiry job removed its stored state)."""
        self._update_state(self.END, key)


def build_conversation() -> TipConversation:
    """Return the persistent ConversationHandler of the tip flow."""
    private = filters.ChatType.PRIVATE
    # New messages only: an edited message is not a new answer.
    message = private & filters.UpdateType.MESSAGE
    cancel_labels = labels("tips.button.cancel")
    send_labels = labels("tips.menu.send")
    reserved = filters.Text([*cancel_labels, *send_labels, *labels("tips.menu.mine")])
    free_text = message & filters.TEXT & ~filters.COMMAND & ~reserved
    # Whatever a step did not expect: stickers, polls, files where text is asked, text where a
    # button is. Commands are left to their own handlers.
    anything = message & ~filters.COMMAND & ~filters.StatusUpdate.ALL & ~reserved

    def unexpected() -> MessageHandler[Context, object]:
        return MessageHandler(anything, hint)

    back = CallbackQueryHandler(back_to_review, pattern=f"^{CB_REVIEW}$")
    location = MessageHandler(message & filters.LOCATION, place_location)
    unknown = MessageHandler(
        message & filters.Text(labels("tips.button.place_unknown")), place_unknown
    )
    pick_unit = MessageHandler(
        message & filters.Text(labels("tips.button.pick_unit")), place_pick_unit
    )
    when_button = CallbackQueryHandler(when_chosen, pattern=f"^{CB_WHEN}")
    states: dict[object, list[BaseHandler[Update, Context, object]]] = {
        steps.CATEGORY: [
            CallbackQueryHandler(choose_category, pattern=f"^{CB_CATEGORY}"),
            back,
            unexpected(),
        ],
        steps.STORY: [
            MessageHandler(free_text, story_text),
            MessageHandler(message & filters.VOICE, story_voice),
            CallbackQueryHandler(story_done, pattern=f"^{CB_STORY_DONE}$"),
            back,
            unexpected(),
        ],
        steps.PLACE: [
            location,
            unknown,
            pick_unit,
            MessageHandler(free_text, place_address),
            unexpected(),
        ],
        steps.PLACE_UNIT: [
            location,
            unknown,
            pick_unit,
            MessageHandler(free_text, unit_search),
            CallbackQueryHandler(unit_chosen, pattern=f"^{CB_UNIT}"),
            unexpected(),
        ],
        steps.WHEN: [when_button, MessageHandler(free_text, when_typed), back, unexpected()],
        steps.WHEN_DATE: [when_button, MessageHandler(free_text, when_typed), unexpected()],
        steps.EVIDENCE: [
            MessageHandler(message & EVIDENCE_FILTER, evidence_added),
            CallbackQueryHandler(evidence_done, pattern=f"^{CB_EVIDENCE_DONE}$"),
            CallbackQueryHandler(evidence_clear, pattern=f"^{CB_EVIDENCE_CLEAR}$"),
            back,
            unexpected(),
        ],
        steps.IDENTITY: [
            CallbackQueryHandler(identity_chosen, pattern=f"^{CB_IDENTITY}"),
            back,
            unexpected(),
        ],
        steps.CONTACT: [
            MessageHandler(message & filters.CONTACT, contact_shared),
            MessageHandler(
                message & filters.Text(labels("tips.button.stay_anonymous")), contact_to_anonymous
            ),
            MessageHandler(free_text, contact_typed),
            unexpected(),
        ],
        steps.REVIEW: [
            CallbackQueryHandler(edit_step, pattern=f"^{CB_EDIT}"),
            CallbackQueryHandler(send, pattern=f"^{CB_SEND}"),
            unexpected(),
        ],
        steps.LEGAL: [
            CallbackQueryHandler(legal_chosen, pattern=f"^{CB_LEGAL}"),
            back,
            unexpected(),
        ],
    }
    entry_points: list[BaseHandler[Update, Context, object]] = [
        CommandHandler("tip", start_tip, filters=message),
        CommandHandler("start", start_tip, filters=message & filters.Regex(_START_TIP)),
        MessageHandler(message & filters.Text(send_labels), start_tip),
    ]
    fallbacks: list[BaseHandler[Update, Context, object]] = [
        CommandHandler("cancel", cancel, filters=message),
        MessageHandler(message & filters.Text(cancel_labels), cancel),
        CallbackQueryHandler(cancel, pattern=f"^{CB_CANCEL}$"),
        CommandHandler("tip", already_started, filters=message),
        CommandHandler("start", already_started, filters=message & filters.Regex(_START_TIP)),
        MessageHandler(message & filters.Text(send_labels), already_started),
        # Any other button of this flow belongs to an earlier step.
        CallbackQueryHandler(stale_button, pattern=f"^{PREFIX}"),
    ]
    with warnings.catch_warnings():
        # per_message=False is deliberate: the conversation follows the resident, not one
        # message, so PTB's note about CallbackQueryHandlers does not apply.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return TipConversation(
            entry_points=entry_points,
            states=states,
            fallbacks=fallbacks,
            name=CONVERSATION,
            persistent=True,
            allow_reentry=False,
        )
