"""The tipster's answer to an officer's question: the "Reply" button and the typed answer."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import ConversationHandler

from bot.core import handlers as core
from bot.outbox.jobs import kick_outbox
from bot.ptb.messaging import send_text
from bot.triage.needs import Context
from bot.triage.render import parse_reply
from bot.triage.service import TriageError

# The conversation's one state: a tipster typing an answer.
WAIT_ANSWER: Final = 0
ANSWER_TIMEOUT_SECONDS: Final = 1800


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
    if await services.tips.has_draft(user.id):
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
