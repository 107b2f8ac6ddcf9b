"""What the audit anchor's jobs use of the application's services (`context.services`)."""

from __future__ import annotations

from typing import Protocol

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.outbox.queue import OutboxQueue


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
    def outbox(self) -> OutboxQueue:
        """Where the daily anchor's alert is queued."""
        ...
