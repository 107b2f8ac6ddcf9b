"""Handlers for /start, /help, /language, the main menu and everything nobody else took."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.kernel.i18n import LANGUAGES, as_language, translator
from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

if TYPE_CHECKING:
    from bot.services import Services


# Until this feature names its needs in a Protocol, it sees the whole container.
Context: TypeAlias = "BotContext[Services]"

LANGUAGE_CALLBACK = "lang:"
# New messages in private chats only: python-telegram-bot's command and message handlers also
# match edited messages, and re-running /start because someone fixed a typo would be wrong.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def start(update: Update, context: Context) -> None:
    """Greet the person and show the main menu."""
    t = context.t
    user = update.effective_user
    name = user.first_name if user else ""
    await _reply(update, context, t("start.welcome", name=name), menu=True)


async def help_command(update: Update, context: Context) -> None:
    """Explain what the bot does and list the commands."""
    t = context.t
    await _reply(update, context, t("help.text"), menu=True)


async def language_command(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    t = context.t
    buttons = [
        InlineKeyboardButton(
            translator(language).label("language.name"),
            callback_data=f"{LANGUAGE_CALLBACK}{language}",
        )
        for language in LANGUAGES
    ]
    await _reply(update, context, t("language.choose"), markup=InlineKeyboardMarkup([buttons]))


async def language_chosen(update: Update, context: Context) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    services = context.services
    language = as_language((query.data or "").removeprefix(LANGUAGE_CALLBACK))
    if language is None:
        t = context.t
        await query.answer(t.label("callback.stale"), show_alert=False)
        return
    await services.set_language(user.id, language)
    t = translator(language)
    await query.answer(t.label("language.changed.short"))
    if query.message is not None and update.effective_chat is not None:
        await query.edit_message_text(t("language.changed"))
        await send_text(
            context.bot,
            update.effective_chat.id,
            t("menu.shown"),
            reply_markup=context.services.menu.keyboard(t),
        )


async def menu_button(update: Update, context: Context) -> None:
    """Run what a main-menu button stands for."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    entry = context.services.menu.entry_for(message.text)
    if entry is not None:
        await entry.callback(update, context)


async def cancel_outside_conversation(update: Update, context: Context) -> None:
    """Answer /cancel when nothing is in progress."""
    t = context.t
    await _reply(update, context, t("cancel.nothing"), menu=True)


async def unknown_command(update: Update, context: Context) -> None:
    """Answer a command this bot does not have."""
    t = context.t
    await _reply(update, context, t("fallback.unknown_command"), menu=True)


async def not_understood(update: Update, context: Context) -> None:
    """Answer a private message no feature handled with a hint and the menu."""
    t = context.t
    message = update.effective_message
    text = message.text if message is not None else None
    key = "fallback.text" if text else "fallback.other"
    await _reply(update, context, t(key), menu=True)


async def stale_button(update: Update, context: Context) -> None:
    """Answer a button press that no handler claims (an old or forged button)."""
    query = update.callback_query
    if query is None:
        return
    t = context.t
    await query.answer(t.label("callback.stale"), show_alert=True)


async def _reply(
    update: Update,
    context: Context,
    text: str,
    *,
    menu: bool = False,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    services = context.services
    reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = markup
    if menu and reply_markup is None and chat.type == chat.PRIVATE:
        reply_markup = services.menu.keyboard(await services.translator_for(update))
    await send_text(context.bot, chat.id, text, reply_markup=reply_markup)


def handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the core handlers that must come before the features' handlers."""
    return [
        CommandHandler("start", start, filters=PRIVATE),
        CommandHandler("help", help_command, filters=PRIVATE),
        CommandHandler("language", language_command, filters=PRIVATE),
        CallbackQueryHandler(language_chosen, pattern=f"^{LANGUAGE_CALLBACK}"),
    ]


def fallbacks() -> list[BaseHandler[Update, Context, object]]:
    """Return the catch-all handlers that must come after every feature's handlers."""
    return [
        CommandHandler("cancel", cancel_outside_conversation, filters=PRIVATE),
        MessageHandler(PRIVATE & filters.COMMAND, unknown_command),
        MessageHandler(PRIVATE & ~filters.StatusUpdate.ALL, not_understood),
        CallbackQueryHandler(stale_button),
    ]
