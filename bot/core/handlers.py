"""Handlers for /start, /help, /language, the main menu and everything nobody else took."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core.help import RESIDENT_EXAMPLES, command_help, help_text, payload_command
from bot.core.needs import CoreNeeds
from bot.kernel.i18n import LANGUAGES, Translator, as_language, translator
from bot.ptb.commands import resident_commands
from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

Context: TypeAlias = BotContext[CoreNeeds]

LANGUAGE_CALLBACK = "lang:"
# New messages in private chats only: python-telegram-bot's command and message handlers also
# match edited messages, and re-running /start because someone fixed a typo would be wrong.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def start(update: Update, context: Context) -> None:
    """Greet the person and show the main menu (or a command's help, from a deep link)."""
    t = context.t
    asked = payload_command(context.args or [])
    if asked is not None and asked in {command.command for command in resident_commands("vi")}:
        await _reply(update, context, resident_command_help(t, asked), menu=True)
        return
    # Any other payload (forged, stale, or an officer's command asked by a resident) is the
    # plain welcome: it neither fails nor tells which commands exist.
    user = update.effective_user
    name = user.first_name if user else ""
    await _reply(update, context, t("start.welcome", name=name), menu=True)


async def help_command(update: Update, context: Context) -> None:
    """List the resident's commands with an example each, or explain one ("/help status")."""
    t = context.t
    args = context.args or []
    if args:
        await _reply(update, context, resident_command_help(t, " ".join(args)), menu=True)
        return
    text = help_text(
        t,
        resident_commands(t.language),
        RESIDENT_EXAMPLES,
        intro=t("help.intro"),
        footer=t("help.footer"),
    )
    await _reply(update, context, text, menu=True)


def resident_command_help(t: Translator, asked: str) -> str:
    """Return the help of one resident command, or the answer to an unknown one."""
    return command_help(t, resident_commands(t.language), RESIDENT_EXAMPLES, asked)


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
            reply_markup=services.menu.keyboard(t, await services.audience_of(user.id)),
        )


async def menu_button(update: Update, context: Context) -> None:
    """Run what a main-menu button stands for."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.text is None or user is None:
        return
    services = context.services
    entry = services.menu.entry_for(message.text, await services.audience_of(user.id))
    if entry is None:
        # A button of another person's menu (a keyboard kept from before a role changed).
        await not_understood(update, context)
        return
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


async def stale_button(update: Update, context: BotContext[Any]) -> None:
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
    user = update.effective_user
    if menu and reply_markup is None and chat.type == chat.PRIVATE and user is not None:
        # context.t: the translator of the update's person, resolved once for the update.
        reply_markup = services.menu.keyboard(context.t, await services.audience_of(user.id))
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
