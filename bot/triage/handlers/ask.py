"""/ask and the card's "Ask" button: an officer's question, relayed to the tipster."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot.kernel.i18n import N_, translator
from bot.officers.access import Officer, refuse
from bot.outbox.jobs import kick_outbox
from bot.ptb.messaging import reply_in_chat, send_text
from bot.ptb.refusals import answers_refusals
from bot.triage.handlers.common import after_command
from bot.triage.needs import Context
from bot.triage.relay import link_warning
from bot.triage.render import parse_ask
from bot.triage.service import TriageError

# The conversation's one state: an officer typing a question.
WAIT_QUESTION: Final = 0
ASK_TIMEOUT_SECONDS: Final = 600
_ASKING = "triage.asking"


@answers_refusals
async def ask_command(update: Update, context: Context, officer: Officer) -> object:
    """Relay a question to a tipster without revealing either side."""
    services = context.services
    t = context.t
    parts = after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.ask.usage"))
    tip = await services.triage.find(officer, parts[0])
    asked = await services.triage.ask(officer, tip.id, parts[1])
    kick_outbox(context)
    queued = t("triage.ask.queued", code=tip.code) + link_warning(t, asked.body)
    await reply_in_chat(update, context, queued)
    return None


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
    tip = await services.tips.tip(tip_id)
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
