"""/help, the deep link's help and the reply keyboard of officers, analysts and admins.

Everything here is generated from the menu Telegram shows the same person (`menu_of`), so the
help lists exactly the published commands of their role. The handlers extend the resident ones
(`fallthrough`): for a resident they do nothing and the core's /help and /start answer.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

from telegram import BotCommand, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.core.help import command_help, help_text, payload_command
from bot.core.menu import Callback
from bot.kernel.i18n import Translator
from bot.officers.access import (
    ANSWERED_IN_OFFICERS_CHATS,
    OFFICER_CHATS,
    PRIVATE,
    STAFF,
    Guarded,
    Officer,
    application_handlers,
    guard_of,
    officer_command,
)
from bot.officers.labels import role_label
from bot.officers.menus import OFFICER_EXAMPLES, menu_of
from bot.officers.needs import OfficersNeeds
from bot.ptb.commands import RESIDENT_COMMANDS
from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

Context: TypeAlias = BotContext[OfficersNeeds]

# The buttons of each role's reply keyboard, as (catalog key, command it runs), in order; help
# and language follow. Only commands that need no argument: a button sends no text after it.
KEYBOARDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "admin": (
        ("officers.menu.tips", "tips"),
        ("officers.menu.overdue", "overdue"),
        ("officers.menu.figures", "figures"),
        ("officers.menu.officers", "officers"),
    ),
    "officer": (
        ("officers.menu.tips", "tips"),
        ("officers.menu.overdue", "overdue"),
        ("officers.menu.figures", "figures"),
        ("officers.menu.stats", "stats"),
    ),
    "analyst": (
        ("officers.menu.figures", "figures"),
        ("officers.menu.stats", "stats"),
    ),
}


async def staff_help(update: Update, context: Context, officer: Officer) -> None:
    """List the commands of the officer's menu with an example each, or explain one."""
    t = context.t
    menu = menu_of(context.application, officer, t.language)
    args = context.args or []
    if args:
        text = command_help(t, menu, OFFICER_EXAMPLES, " ".join(args))
    else:
        intro = t("officers.help.intro", role=role_label(t, officer.role))
        text = help_text(
            t, menu, OFFICER_EXAMPLES, intro=intro, footer=_group_note(t, update, menu)
        )
    await _answer(update, context, officer, text)


def _group_note(t: Translator, update: Update, menu: list[BotCommand]) -> str:
    """In a group, say which of the listed commands answer there (the others in private)."""
    chat = update.effective_chat
    if chat is None or chat.type == chat.PRIVATE:
        return ""
    here = [f"/{c.command}" for c in menu if c.command in ANSWERED_IN_OFFICERS_CHATS]
    return t("officers.help.group", commands=", ".join(here))


async def staff_start_help(update: Update, context: Context, officer: Officer) -> None:
    """Answer "/start help_NAME" (the group's button): that command's help, or the list."""
    t = context.t
    menu = menu_of(context.application, officer, t.language)
    asked = payload_command(context.args or [])
    if asked is None:
        intro = t("officers.help.intro", role=role_label(t, officer.role))
        text = help_text(t, menu, OFFICER_EXAMPLES, intro=intro)
    else:
        text = command_help(t, menu, OFFICER_EXAMPLES, asked)
    await _answer(update, context, officer, text)


async def _answer(update: Update, context: Context, officer: Officer, text: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != chat.PRIVATE:
        # No reply keyboard in a group: it would cover every member's input field.
        await send_text(context.bot, chat.id, text)
        return
    keyboard = context.services.menu.keyboard(context.t, officer.role)
    await send_text(context.bot, chat.id, text, reply_markup=keyboard)


def command_button(command: str) -> Callback:
    """Return what a keyboard button does: run the guarded `/command` as if typed bare."""

    async def press(update: Update, context: BotContext[Any]) -> None:
        for handler in application_handlers(context.application):
            guard = guard_of(handler)
            if (
                guard is not None
                and isinstance(handler, CommandHandler)
                and command in handler.commands
            ):
                # A button's text has no arguments; the guard checks the role again.
                context.args = []
                await guard(update, context)
                return

    return press


def help_button() -> Callback:
    """Return what the staff's help button does: the officer's help, guarded."""
    return Guarded(staff_help, STAFF, command="help")


async def _never_called(update: Update, context: Context, officer: Officer) -> None:
    """Stand for a resident command in a group, where the guard only points to private."""


def early_handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the staff's /help and deep-link /start, for a group before the core's.

    The resident commands of an officer's menu (/tip, /status...) work in private only; typed
    by an officer in their officers' group they get the button to the private chat too, rather
    than silence. Anyone else there falls through to silence.
    """
    deep_link = PRIVATE & filters.Regex(r"^/start(@\w+)?\s+help_")
    in_groups = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS
    resident_in_groups: list[BaseHandler[Update, Context, object]] = [
        CommandHandler(
            name,
            Guarded(_never_called, STAFF, command=name, fallthrough=True, in_groups="private"),
            filters=in_groups,
        )
        for name, _key in RESIDENT_COMMANDS
        if name != "help"
    ]
    return [
        officer_command("help", staff_help, roles=STAFF, filters=OFFICER_CHATS, fallthrough=True),
        CommandHandler(
            "start",
            Guarded(staff_start_help, STAFF, command="start", fallthrough=True),
            filters=deep_link,
        ),
        *resident_in_groups,
    ]
