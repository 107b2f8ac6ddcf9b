"""A tipster's «➕ Bổ sung thông tin» under `/status CODE`: the press, the addition sent (text, a
photo, a video, a voice note, a file) and its receipt (bot.triage.additions stores it)."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import ConversationHandler

from bot.core import handlers as core
from bot.outbox.jobs import kick_outbox
from bot.ptb.messaging import send_text
from bot.tips.conversation.attachments import attachment_of
from bot.tips.render import parse_addition
from bot.triage.needs import Context
from bot.triage.service import TriageError

# The conversation's one state: a tipster sending what they add.
WAIT_ADDITION: Final = 0
ADDITION_TIMEOUT_SECONDS: Final = 1800


async def addition_pressed(update: Update, context: Context) -> object:
    """Ask the tipster for what they add to their own open tip."""
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    if query is None or user is None or chat is None:
        return None
    services = context.services
    t = context.t
    tip_id = parse_addition(services.keyring, query.data or "")
    if tip_id is None:
        await core.stale_button(update, context)
        return None
    # One thing at a time: a tip being written, or an answer being typed, takes the messages.
    if await services.tips.has_draft(user.id):
        await query.answer(t.label("tips.addition.finish_draft"), show_alert=True)
        return None
    if await services.triage.answering(user.id) is not None:
        await query.answer(t.label("tips.addition.finish_answer"), show_alert=True)
        return None
    try:
        tip = await services.triage.additions.begin(user.id, chat.id, tip_id)
    except TriageError as error:
        await query.answer(error.label(t), show_alert=True)
        return None
    if tip is None:
        # Someone else's tip, or the tipster's own from another chat: nothing to tell.
        await core.stale_button(update, context)
        return None
    await query.answer()
    await send_text(
        context.bot, chat.id, t("tips.addition.prompt", code=tip.code), protect_content=True
    )
    return WAIT_ADDITION


async def addition_sent(update: Update, context: Context) -> object:
    """Relay the addition (text, or a file with its caption) and give the tipster a receipt."""
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    if user is None or chat is None or message is None:
        return ConversationHandler.END
    services = context.services
    t = context.t
    attachment = attachment_of(message)
    if attachment is None and message.text is None:
        # A sticker, a location, a contact: not something officers can read as information.
        await send_text(context.bot, chat.id, t("tips.addition.ask"), protect_content=True)
        return None
    text = message.text if attachment is None else message.caption
    try:
        tip = await services.triage.additions.add(user.id, chat.id, text or "", attachment)
    except TriageError as error:
        await send_text(context.bot, chat.id, error.text(t), protect_content=True)
        # Too long or empty: try again; a tip closed meanwhile: nothing more to add.
        if await services.triage.additions.waiting(user.id):
            return None
        return ConversationHandler.END
    if tip is None:
        await send_text(context.bot, chat.id, t("tips.addition.expired"), protect_content=True)
        return ConversationHandler.END
    kick_outbox(context)
    await send_text(
        context.bot,
        chat.id,
        t("tips.addition.sent", code=tip.code),
        protect_content=True,
        reply_markup=services.menu.keyboard(t),
    )
    return ConversationHandler.END


async def addition_cancel(update: Update, context: Context) -> object:
    """Stop the addition; nothing is sent."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return ConversationHandler.END
    services = context.services
    await services.triage.additions.stop(user.id)
    t = context.t
    await send_text(
        context.bot, chat.id, t("tips.addition.cancelled"), reply_markup=services.menu.keyboard(t)
    )
    return ConversationHandler.END
