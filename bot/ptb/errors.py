"""The error handler: log with the traceback first, apologise briefly, ignore only the benign."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.inbox import note_failure, will_retry
from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

log = logging.getLogger(__name__)

# Telegram answers these when nothing is wrong with us: an edit that changes nothing, or a
# button pressed so long ago that the query can no longer be answered.
_BENIGN_BAD_REQUESTS = (
    "message is not modified",
    "query is too old",
)


def is_benign(error: BaseException | None) -> bool:
    """Say whether an error is a known-harmless Telegram answer."""
    if isinstance(error, Forbidden):
        # The person blocked the bot or left the chat; there is nobody to tell.
        return True
    if isinstance(error, BadRequest):
        return any(marker in error.message.lower() for marker in _BENIGN_BAD_REQUESTS)
    return False


async def on_error(update: object, context: BotContext[Any]) -> None:
    """Log a handler's exception and tell the person, in their language, to try again."""
    error = context.error
    if is_benign(error):
        log.info("ignored benign Telegram error: %s", error)
        return
    log.error("error while handling an update", exc_info=error)
    # An update from the durable inbox is run again (bot.inbox); apologise after the last try.
    note_failure(error)
    if will_retry():
        return
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        # python-telegram-bot does not refresh an error handler's context: resolve it here.
        t = await context.resolve_translator()
        await send_text(context.bot, update.effective_chat.id, t("error.generic"))
    except TelegramError as send_error:
        log.warning("could not send the apology: %s", send_error)
