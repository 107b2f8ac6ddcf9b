"""What the audit anchor's jobs use of the application's services (`context.services`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring

if TYPE_CHECKING:
    # The outbox's table is still kept by bot.tips (the generic bot/outbox/ is on its way);
    # named here for the type only, so audit does not import the tips feature at run time.
    from bot.outbox.repository import OutboxRepository


class HasOutbox(Protocol):
    """Whatever holds the outbox the admins' alerts are queued in."""

    @property
    def outbox(self) -> OutboxRepository:
        """The outbox's table."""
        ...


class DatabaseNeeds(Protocol):
    """The database and its file's place (settings), its keys and the clock."""

    @property
    def settings(self) -> Settings:
        """The configuration (where the database and the backups are, retention, backups)."""
        ...

    @property
    def db(self) -> Database:
        """The database."""
        ...

    @property
    def keyring(self) -> Keyring:
        """The keys (the anchor's MAC, audit rows, backups' anchors)."""
        ...

    @property
    def clock(self) -> Clock:
        """The bot's clock."""
        ...


class AuditNeeds(DatabaseNeeds, Protocol):
    """The database and its file's place, the key of the anchor's MAC, the clock, the outbox."""

    @property
    def tips(self) -> HasOutbox:
        """Where the daily anchor alert is queued (`tips.outbox`)."""
        ...
