"""The tips feature's wiring: the conversation, /mytips, /status, its jobs and the flood guard.

`bot/app.py` adds these in order: `flood_guard()` in the first group, `handlers()` in the
features' group *before* the core handlers (so "/start tip" reaches the conversation and plain
"/start" still reaches core), and `schedule_jobs(application)` once.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import translator
from bot.ptb.application import TipsApplication
from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text
from bot.ptb.persistence import ConversationStore, SqlitePersistence
from bot.tips.codes import normalize_code
from bot.tips.conversation import CB_SEND, TipConversation, build_conversation, send_again
from bot.tips.conversation.offer import CB_OFFER, offer_answered
from bot.tips.conversation.offer import offer_tip as offer_tip
from bot.tips.flood import flood_guard
from bot.tips.model import Tip
from bot.tips.needs import TipsNeeds
from bot.tips.render import addition_keyboard, my_tips_text, status_timeline
from bot.tips.service import CONVERSATION
from bot.tips.status import OPEN, as_status

log = logging.getLogger(__name__)

Context: TypeAlias = BotContext[TipsNeeds]
EXPIRY_JOB = "tips.drafts.expire"
EXPIRY_INTERVAL_SECONDS = 60

__all__ = [
    "expire_idle_drafts",
    "flood_guard",
    "handlers",
    "my_tips",
    "offer_tip",
    "persistence",
    "schedule_jobs",
    "send_from_menu",
]


def persistence(db: Database, keyring: Keyring, clock: Clock) -> SqlitePersistence:
    """Return the application's persistence; the tip flow writes its own states."""
    store = ConversationStore(db, keyring, clock)
    return SqlitePersistence(store, self_written={CONVERSATION})


async def my_tips(update: Update, context: Context) -> None:
    """List the resident's own tips with status and date."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    services = context.services
    t = context.t
    tips, total = await services.tips.tips_of(user.id)
    categories = {category.code: category for category in await services.tips.categories()}
    await send_text(
        context.bot,
        chat.id,
        my_tips_text(t, tips, total, categories, services.settings.zone),
    )


async def status(update: Update, context: Context) -> None:
    """Show the timeline (never the content) of the tip whose code is given."""
    chat = update.effective_chat
    if chat is None:
        return
    services = context.services
    t = context.t
    typed = " ".join(context.args or [])
    if not typed:
        await send_text(context.bot, chat.id, t("tips.status.usage"))
        return
    code = normalize_code(typed)
    found = await services.tips.timeline_of(code, t.language) if code else None
    if code is None or found is None:
        await send_text(context.bot, chat.id, t("tips.status.not_found", code=typed[:40]))
        return
    await send_text(
        context.bot,
        chat.id,
        status_timeline(t, found, services.settings.zone, services.settings.service_target_days),
        reply_markup=_addition_button(update, context, found.tip),
    )


def _addition_button(update: Update, context: Context, tip: Tip) -> InlineKeyboardMarkup | None:
    """Offer «Bổ sung thông tin» to the tip's own tipster, in its chat, while it is open;
    anyone else with the code gets the timeline alone."""
    user = update.effective_user
    chat = update.effective_chat
    tips = context.services.tips
    known = as_status(tip.status)
    if user is None or chat is None or known is None or known not in OPEN:
        return None
    if not tips.is_reporter_here(tip, user.id, chat.id):
        return None
    return addition_keyboard(context.t, tips.keyring, tip.id)


async def send_from_menu(update: Update, context: Context) -> None:
    """Stand in for the menu's "Send a tip" button, which the conversation itself answers.

    The conversation's entry point matches the label first (it sits before the core handlers),
    so this runs only if the wiring changed; it points to /tip rather than start a draft that
    the ConversationHandler would not know about.
    """
    chat = update.effective_chat
    if chat is None:
        return
    log.warning("the tip conversation did not take the menu's button; check bot/app.py's order")
    t = context.t
    await send_text(context.bot, chat.id, t("tips.use_command"))


def handlers() -> list[BaseHandler[Update, Any, Any]]:
    """Return the tips handlers, to be added before the core handlers."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        build_conversation(),
        # "Send" pressed again after the conversation ended: the same receipt, nothing new.
        CallbackQueryHandler(send_again, pattern=f"^{CB_SEND}"),
        # "No" to "start a tip with this?", and a "Yes" while another tip is being written.
        CallbackQueryHandler(offer_answered, pattern=f"^{CB_OFFER}"),
        CommandHandler("mytips", my_tips, filters=private),
        CommandHandler("status", status, filters=private),
    ]


def conversation_of(application: TipsApplication[Any]) -> TipConversation | None:
    """Return the application's tip ConversationHandler."""
    for group in application.handlers.values():
        for handler in group:
            if isinstance(handler, TipConversation):
                return handler
    return None


async def expire_idle_drafts(application: TipsApplication[Any]) -> int:
    """Discard drafts idle for TIP_DRAFT_IDLE_MINUTES and tell their residents; return count."""
    services: TipsNeeds = application.services
    expired = await services.tips.expire_idle()
    conversation = conversation_of(application)
    for item in expired:
        if item.chat_id is None:
            continue
        if conversation is not None:
            # A private chat: the chat's id is the resident's.
            await conversation.forget(application, item.chat_id, item.chat_id)
        t = translator(item.language)
        try:
            await send_text(
                application.bot,
                item.chat_id,
                t("tips.expired", minutes=services.settings.tip_draft_idle_minutes),
                reply_markup=services.menu.keyboard(t),
            )
        except TelegramError as error:
            log.info("could not tell a resident their draft expired: %s", error)
    if expired:
        log.info("discarded %d idle tip drafts", len(expired))
    return len(expired)


async def _expiry_job(context: Context) -> None:
    application = context.application
    if isinstance(application, TipsApplication):
        await expire_idle_drafts(application)


def schedule_jobs(application: TipsApplication[Any]) -> None:
    """Start the idle-draft expiry on the application's JobQueue (the outbox is bot.outbox)."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("the tips feature needs python-telegram-bot's job-queue extra")
    queue.run_repeating(_expiry_job, interval=EXPIRY_INTERVAL_SECONDS, first=5, name=EXPIRY_JOB)
