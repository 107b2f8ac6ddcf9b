"""A photo, video, voice note, file or location sent at the main menu: "start a tip with it?"

Telegram taught residents to send the picture first. Outside every conversation such a message
is held, sealed to the resident's pseudonym like a draft (bot.tips.service.hold_item), and one
question asks whether it starts a tip: "Yes" starts the conversation with the item already in
the draft (a file as evidence, a location as the place), in the transaction that takes the item;
"No" forgets it. An item nobody answers for goes with the idle drafts. The offer's buttons carry
the item's random token, so an older offer cannot take a newer item.

An officer's open question comes first: bot.triage.handlers.answer decides that a file is an
answer before it calls `offer_tip` (and answers anything it returns False for).
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import filters

from bot.kernel.telegram_text import clip
from bot.ptb.messaging import send_text
from bot.tips import steps
from bot.tips.conversation.attachments import EVIDENCE_FILTER, attachment_of
from bot.tips.conversation.prompts import limit_text, show
from bot.tips.conversation.turn import END, Context, main_menu, step_keyboard, turn_of
from bot.tips.model import ADDRESS_MAX_CHARS, HeldItem

log = logging.getLogger(__name__)

# `tm:y:<token>` starts the tip, `tm:n:<token>` forgets the item (server-side state: the token
# must be the one held for the presser's own pseudonym).
CB_OFFER: Final = "tm:"
CB_OFFER_YES: Final = "tm:y:"
CB_OFFER_NO: Final = "tm:n:"
# What may start a tip from the main menu (stickers, contacts, polls may not).
OFFER_FILTER: Final = EVIDENCE_FILTER | filters.LOCATION
_TOKEN_MAX: Final = 24


def held_item_of(message: Message) -> HeldItem | None:
    """Return what a message could start a tip with, or None (a sticker, a contact...)."""
    attachment = attachment_of(message)
    if attachment is not None:
        return HeldItem(attachment=attachment)
    location = message.location
    if location is None:
        return None
    venue = None
    if message.venue is not None:
        venue = clip(f"{message.venue.title}, {message.venue.address}", ADDRESS_MAX_CHARS)
    return HeldItem(latitude=location.latitude, longitude=location.longitude, venue=venue)


def token_in(data: str, prefix: str) -> str | None:
    """Return the token of an offer's button data with this prefix, or None."""
    if not data.startswith(prefix):
        return None
    token = data.removeprefix(prefix)
    if (
        not token
        or len(token) > _TOKEN_MAX
        or not token.replace("-", "").replace("_", "").isalnum()
    ):
        return None
    return token


async def offer_tip(update: Update, context: Context) -> bool:
    """Hold a file or location sent outside every conversation and ask whether it starts a
    tip; return False for anything that cannot start one (the caller answers it)."""
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None or chat.type != ChatType.PRIVATE:
        return False
    item = held_item_of(message)
    if item is None:
        return False
    t = context.t
    token = await context.services.tips.hold_item(user.id, item)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.label("tips.offer.button.yes"), callback_data=f"{CB_OFFER_YES}{token}"
                ),
                InlineKeyboardButton(
                    t.label("tips.offer.button.no"), callback_data=f"{CB_OFFER_NO}{token}"
                ),
            ]
        ]
    )
    key = "tips.offer.ask_place" if item.attachment is None else "tips.offer.ask_file"
    await send_text(context.bot, chat.id, t(key), reply_markup=keyboard)
    return True


async def start_with_item(update: Update, context: Context) -> object:
    """Start a tip with the held item already in it (the conversation's entry point)."""
    turn = await turn_of(update, context)
    if turn is None:
        return END
    token = token_in(turn.data, CB_OFFER_YES)
    if token is None:
        # Not an offer's data (python-telegram-bot hands a press without data to the first
        # button handler): the answer every unknown button gets.
        await turn.answer(turn.t.label("callback.stale"), alert=True)
        return END
    limit = await turn.tips.limit_reached(turn.user_id)
    if limit is not None:
        # No tip can start now: the item is not kept for a later one.
        await turn.tips.drop_held(turn.user_id, token)
        turn.settle_button()
        try:
            await turn.say(limit_text(turn, limit), main_menu(turn))
        finally:
            await turn.settled()
        return END
    started = await turn.tips.start_draft_with_held(
        turn.user_id, turn.chat_id, turn.t.language, token
    )
    if started is None:
        await turn.answer(turn.t.label("tips.offer.gone"), alert=True)
        return END
    record, item = started
    turn.settle_button(turn.t.label("tips.offer.button.yes"))
    kept = "tips.offer.kept_place" if item.attachment is None else "tips.offer.kept_file"
    try:
        await turn.say(turn.t("tips.intro") + "\n\n" + turn.t(kept), step_keyboard(turn.t))
        await show(turn, record.draft, steps.CATEGORY)
    except TelegramError as error:
        # As in entry.start_tip: the draft exists at CATEGORY, so the conversation must be too.
        log.warning("could not ask for the category: %s", error)
    finally:
        await turn.settled()
    return steps.CATEGORY


async def offer_answered(update: Update, context: Context) -> None:
    """Forget the held item on "No"; answer a "Yes" the tip conversation did not take."""
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    if query is None or user is None or chat is None:
        return
    services = context.services
    t = context.t
    data = query.data or ""
    token = token_in(data, CB_OFFER_NO)
    if token is not None:
        if not await services.tips.drop_held(user.id, token):
            await query.answer(t.label("tips.offer.gone"), show_alert=True)
            return
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        await send_text(
            context.bot, chat.id, t("tips.offer.declined"), reply_markup=services.menu.keyboard(t)
        )
        return
    if token_in(data, CB_OFFER_YES) is None:
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    # "Yes" reaches here only while a tip is being written, or after its item went.
    key = "tips.offer.busy" if await services.tips.has_draft(user.id) else "tips.offer.gone"
    await query.answer(t.label(key), show_alert=True)
