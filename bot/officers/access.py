"""The one access layer: who is an officer, what they may touch, and the guard on every handler.

Every officer, analyst and admin handler of every feature is declared with `officer_command`,
`officer_callback` or `officer_message` (or wraps its callback in `Guarded`). The guard looks the
person up once per update, refuses anyone without one of the handler's roles, and hands the
callback the `Officer`, so no callback checks roles itself. tests/officers/test_access.py walks
the application's handlers and fails on any command that is neither a resident command nor
guarded.

A refusal is indistinguishable from asking for something the bot does not have: a refused
command gets exactly the answer to an unknown command, a refused button exactly the answer to a
stale one, whatever the command and whatever the reason (not an officer, revoked, wrong role).
So a refusal reveals neither what the command would have shown nor that it exists.

In an officers' group (a chat registered for a unit, or OFFICER_CHAT_ID; bot.officers.chats) a
command declared without its own filters works for the officers of that chat's units. Those in
ANSWERED_IN_OFFICERS_CHATS (aggregates and the officer's own role: nothing of a tipster's words)
answer in the group; every other one (a tip, a file, a question to a tipster, the registry, the
audit) answers in the group with one line and a button opening the private chat at that
command's help (`/start help_NAME`). Anyone else in the group gets silence, and the log records
the command only, never who typed it. Commands declared with their own filters (the registry's
reply-in-group commands) keep them.

A guarded handler may extend a resident command instead (`fallthrough=True`: officers' "/tip
CODE" next to residents' "/tip"). It goes in a handler group before the resident one; a person it
refuses falls through to the resident meaning, untouched, and for an officer it serves the update
stops there. The refusal is then the resident's own answer, which again reveals nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.ext.filters import BaseFilter

from bot.core import handlers as core
from bot.core.help import HELP_PAYLOAD_PREFIX
from bot.officers.model import (
    ADMIN_ONLY,
    CASE_WORKERS,
    ROLES,
    STAFF,
    Officer,
    Role,
    as_role,
)
from bot.officers.needs import AccessNeeds
from bot.officers.service import person_name
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat

__all__ = [
    "ADMIN_ONLY",
    "ANSWERED_IN_OFFICERS_CHATS",
    "CASE_WORKERS",
    "OFFICER_CHATS",
    "ROLES",
    "STAFF",
    "Guarded",
    "GuardedCallback",
    "GuardedCommand",
    "Officer",
    "OfficerCallback",
    "Role",
    "application_handlers",
    "as_role",
    "can_act_on_unit",
    "current_officer",
    "guard_of",
    "guarded_commands",
    "officer_callback",
    "officer_command",
    "officer_message",
    "refuse",
    "scope_unit_ids",
    "walk_handlers",
]

log = logging.getLogger(__name__)

Context: TypeAlias = BotContext[AccessNeeds]
# The context of the feature whose handler is guarded: its services include the guard's.
C = TypeVar("C", bound=BotContext[AccessNeeds])
# A guarded callback receives the officer the guard found, so it never has to look again.
GuardedCallback: TypeAlias = Callable[[Update, C, Officer], Coroutine[Any, Any, object]]
# The same, whatever the feature's context (for decorators of guarded callbacks).
OfficerCallback: TypeAlias = GuardedCallback[BotContext[Any]]

# New messages only: editing an old "/setrole ..." must not run it a second time.
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
# The default of a guarded command: private chats, and groups, where the guard decides (below).
OFFICER_CHATS = filters.UpdateType.MESSAGE & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
# Commands answered in an officers' group itself: figures, statistics, the unit tree and one's
# own role. None shows a tip or a tipster's words; everything else answers in private.
ANSWERED_IN_OFFICERS_CHATS: frozenset[str] = frozenset(
    {"help", "figures", "stats", "indicators", "units", "whoami"}
)
# What a guarded command does in a group: answer there, point to the private chat, or (None)
# nothing of the guard's: the handler's own filters decided the group is fine.
InGroups: TypeAlias = Literal["answer", "private"] | None


async def current_officer(update: Update, context: Context) -> Officer | None:
    """Return the active officer behind an update (ADMIN_USER_IDS count as admins), or None.

    Only reads: a resident who talks to the bot is never written to the registry.
    """
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    return await context.services.officers.officer(user.id)


async def can_act_on_unit(officer: Officer, unit_id: int) -> bool:
    """Say whether the officer may act on the unit: it is their unit or below it, at any depth.

    Admins act on every unit; a revoked officer on none.
    """
    return officer.covers(unit_id)


def scope_unit_ids(officer: Officer) -> frozenset[int] | None:
    """Return the ids of every unit the officer may act on, or None for the whole tree (admins).

    Use it to filter queries: `WHERE unit_id IN (...)` unless None.
    """
    return officer.unit_ids()


async def refuse(update: Update, context: BotContext[Any]) -> None:
    """Answer as if the command or button did not exist (see the module docstring)."""
    if update.callback_query is not None:
        await core.stale_button(update, context)
        return
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        # In groups the bot does not answer commands it lacks either; silence is the same answer.
        return
    message = update.effective_message
    text = message.text if message is not None else None
    if text and text.startswith("/"):
        await core.unknown_command(update, context)
    else:
        await core.not_understood(update, context)


class Guarded(Generic[C]):
    """A handler callback that runs only for an active officer whose role is in `roles`."""

    def __init__(
        self,
        callback: GuardedCallback[C],
        roles: Iterable[Role],
        *,
        command: str | None = None,
        description: str | None = None,
        fallthrough: bool = False,
        in_groups: InGroups = None,
    ) -> None:
        self.roles: frozenset[Role] = frozenset(roles)
        self.fallthrough = fallthrough
        self.in_groups: InGroups = in_groups
        if not self.roles or not self.roles <= set(ROLES):
            raise ValueError(f"a guard needs roles among {ROLES}, got {sorted(self.roles)}")
        self.callback = callback
        self.command = command
        self.description = description
        # python-telegram-bot names handlers by their callback's __qualname__ in its repr.
        self.__qualname__ = f"Guarded({getattr(callback, '__qualname__', repr(callback))})"

    async def __call__(self, update: Update, context: C) -> object:
        """Run the callback for an allowed officer; otherwise refuse and end any conversation."""
        officer = await current_officer(update, context)
        chat = update.effective_chat
        if self.in_groups is not None and chat is not None and chat.type != chat.PRIVATE:
            return await self._in_group(update, context, officer, chat.id)
        if officer is None or officer.role not in self.roles:
            if self.fallthrough:
                # Later handler groups give this person the resident meaning of the update.
                return None
            log.info("refused %s: no access", self.command or self.__qualname__)
            await refuse(update, context)
            return ConversationHandler.END
        await _remember_name(update, context, officer)
        result = await self.callback(update, context, officer)
        if self.fallthrough:
            raise ApplicationHandlerStop(result)
        return result

    async def _in_group(
        self, update: Update, context: C, officer: Officer | None, chat_id: int
    ) -> object:
        """Serve a command typed in a group: only to the officers of that officers' chat."""
        if (
            officer is None
            or officer.role not in self.roles
            or not await context.services.officers.serves_chat(officer, chat_id)
        ):
            # Silence, as for any command the bot lacks; nothing of the person is logged.
            log.info("ignored %s in a group: not an officer of its units", self.command)
            return None if self.fallthrough else ConversationHandler.END
        await _remember_name(update, context, officer)
        result: object = ConversationHandler.END
        if self.in_groups == "answer":
            result = await self.callback(update, context, officer)
        else:
            await point_to_private(update, context, self.command or "help")
        if self.fallthrough:
            raise ApplicationHandlerStop(result)
        return result


async def _remember_name(update: Update, context: Context, officer: Officer) -> None:
    user = update.effective_user
    if user is not None:
        # The name in the order of the officer's language (family name first in Vietnamese).
        name = person_name(user.first_name, user.last_name, context.t.language)
        if name and name != officer.display_name:
            await context.services.officers.remember_name(user.id, name)


async def point_to_private(update: Update, context: BotContext[Any], command: str) -> None:
    """Answer in a group with one line and a button that opens the command's help in private."""
    t = context.t
    # The bot's username is the one getMe returned when the application was initialised.
    url = f"https://t.me/{context.bot.username}?start={HELP_PAYLOAD_PREFIX}{command}"
    button = InlineKeyboardButton(t.label("officers.group.open_private"), url=url)
    await reply_in_chat(
        update,
        context,
        t("officers.group.private", command=command),
        InlineKeyboardMarkup([[button]]),
    )


def officer_command(
    command: str,
    callback: GuardedCallback[C],
    *,
    roles: Iterable[Role] = CASE_WORKERS,
    description: str | None = None,
    filters: BaseFilter | None = OFFICER_CHATS,
    fallthrough: bool = False,
) -> CommandHandler[C, object]:
    """Return a guarded /command handler (private chats and officers' groups by default).

    `description` is the catalog key of the command's line in the officers' command menu (mark
    it with `N_`); without one the command works but is not listed. `fallthrough`: see the
    module docstring (an officers' extension of a resident command). With the default filters,
    the module docstring says what the command does in a group; given filters are the
    handler's own business.
    """
    in_groups: InGroups = None
    if filters is OFFICER_CHATS:
        in_groups = "answer" if command in ANSWERED_IN_OFFICERS_CHATS else "private"
    guarded = Guarded(
        callback,
        roles,
        command=command,
        description=description,
        fallthrough=fallthrough,
        in_groups=in_groups,
    )
    return CommandHandler(command, guarded, filters=filters)


def officer_callback(
    pattern: str | re.Pattern[str],
    callback: GuardedCallback[C],
    *,
    roles: Iterable[Role] = CASE_WORKERS,
) -> CallbackQueryHandler[C, object]:
    """Return a guarded handler of inline-button presses whose data matches `pattern`."""
    return CallbackQueryHandler(Guarded(callback, roles), pattern=pattern)


def officer_message(
    message_filter: BaseFilter,
    callback: GuardedCallback[C],
    *,
    roles: Iterable[Role] = CASE_WORKERS,
) -> MessageHandler[C, object]:
    """Return a guarded handler of messages (a conversation step, a document to import, ...)."""
    return MessageHandler(message_filter, Guarded(callback, roles))


def guard_of(handler: BaseHandler[Any, Any, Any]) -> Guarded[Any] | None:
    """Return the guard of a handler, or None if the handler is not guarded."""
    callback = handler.callback
    return callback if isinstance(callback, Guarded) else None


def walk_handlers(
    handlers: Iterable[BaseHandler[Any, Any, Any]],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Yield every handler, descending into conversations' entry points, states and fallbacks."""
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from walk_handlers(handler.entry_points)
            for state_handlers in handler.states.values():
                yield from walk_handlers(state_handlers)
            yield from walk_handlers(handler.fallbacks)
        else:
            yield handler


def application_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Iterator[BaseHandler[Any, Any, Any]]:
    """Yield every handler of an application, group by group, conversations opened."""
    for group in sorted(application.handlers):
        yield from walk_handlers(application.handlers[group])


@dataclass(frozen=True)
class GuardedCommand:
    """A guarded command as the menus list it."""

    name: str
    roles: frozenset[Role]
    description: str


def guarded_commands(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> list[GuardedCommand]:
    """Return the application's guarded commands that have a menu description, in order."""
    found: dict[str, GuardedCommand] = {}
    for handler in application_handlers(application):
        guard = guard_of(handler)
        if guard is None or guard.description is None or not isinstance(handler, CommandHandler):
            continue
        for name in sorted(handler.commands):
            found.setdefault(name, GuardedCommand(name, guard.roles, guard.description))
    return list(found.values())
