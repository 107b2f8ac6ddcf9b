"""The one seam between the figures feature and the access layer (`bot.officers.access`).

Every figures handler is built with these helpers, so the officers' guard looks the person up,
refuses anyone without the role exactly as if the command did not exist, and hands the callback
the `Officer`. Should the access layer change shape, only this module needs to follow it.

Roles: administrators and officers record, import and export; analysts read figures, stats and
reports (aggregates, never a tip); residents get the answer to an unknown command.
"""

from __future__ import annotations

from typing import Final

from bot.officers.access import (
    ADMIN_ONLY,
    CASE_WORKERS,
    STAFF,
    Officer,
    Role,
    current_officer,
    officer_callback,
    officer_command,
    officer_message,
)

READERS: Final = STAFF
WRITERS: Final = CASE_WORKERS
ADMINS: Final = ADMIN_ONLY

__all__ = [
    "ADMINS",
    "READERS",
    "WRITERS",
    "Officer",
    "Role",
    "current_officer",
    "officer_callback",
    "officer_command",
    "officer_message",
]
