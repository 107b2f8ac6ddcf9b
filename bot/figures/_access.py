"""The one seam between the figures feature and the access layer (`bot.officers.access`).

Every figures handler is built with these helpers, so the officers' guard looks the person up,
refuses anyone without the role exactly as if the command did not exist, and hands the callback
the `Officer`. Should the access layer change shape, only this module needs to follow it.

Roles: administrators and officers record, import and export; analysts read figures, stats and
reports (aggregates, never a tip); residents get the answer to an unknown command.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, TypeAlias, cast

from telegram import Update
from telegram.ext import BaseHandler
from telegram.ext.filters import BaseFilter

from bot.figures.needs import Context
from bot.officers import access
from bot.officers.access import ADMIN_ONLY, CASE_WORKERS, STAFF, Officer, Role

READERS: Final = STAFF
WRITERS: Final = CASE_WORKERS
ADMINS: Final = ADMIN_ONLY

# A figures callback: the guard hands it the officer it found. It reads `context.services`
# as `FiguresNeeds`; the guard passes the application's context, whose container has them.
FiguresCallback: TypeAlias = Callable[[Update, Context, Officer], Awaitable[object]]
Handler: TypeAlias = BaseHandler[Update, Context, object]


def _guarded(callback: FiguresCallback) -> access.OfficerCallback:
    return cast(access.OfficerCallback, callback)


def officer_command(
    command: str,
    callback: FiguresCallback,
    *,
    roles: Iterable[Role],
    description: str | None = None,
) -> Handler:
    """Return a guarded /command handler in private chats (see `bot.officers.access`)."""
    handler = access.officer_command(
        command, _guarded(callback), roles=roles, description=description
    )
    return cast(Handler, handler)


def officer_callback(
    pattern: str | re.Pattern[str], callback: FiguresCallback, *, roles: Iterable[Role]
) -> Handler:
    """Return a guarded handler of inline-button presses whose data matches `pattern`."""
    return cast(Handler, access.officer_callback(pattern, _guarded(callback), roles=roles))


def officer_message(
    message_filter: BaseFilter, callback: FiguresCallback, *, roles: Iterable[Role]
) -> Handler:
    """Return a guarded handler of messages (a conversation step, a document to import)."""
    return cast(Handler, access.officer_message(message_filter, _guarded(callback), roles=roles))


__all__ = [
    "ADMINS",
    "READERS",
    "WRITERS",
    "FiguresCallback",
    "Handler",
    "Officer",
    "Role",
    "officer_callback",
    "officer_command",
    "officer_message",
]
