"""What the maintenance jobs and commands use of the application's services."""

from __future__ import annotations

from typing import Protocol

from bot.core.repository import PreferencesRepository
from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.officers.needs import AccessNeeds
from bot.tips.service import TipService


class MaintenanceNeeds(Protocol):
    """The jobs': the database, its keys and clock, and the people seen (retention, backups)."""

    @property
    def settings(self) -> Settings:
        """The configuration (retention days, where and how often to back up)."""
        ...

    @property
    def db(self) -> Database:
        """The database."""
        ...

    @property
    def keyring(self) -> Keyring:
        """The keys (audit rows, backups' anchors)."""
        ...

    @property
    def clock(self) -> Clock:
        """The bot's clock."""
        ...

    @property
    def prefs(self) -> PreferencesRepository:
        """The people's language choices, purged after RETENTION_DAYS unseen."""
        ...

    async def save_seen(self) -> None:
        """Write today's sightings."""
        ...

    def forget_languages(self) -> None:
        """Drop the cached language choices (after a purge)."""
        ...


class DeadLettersNeeds(AccessNeeds, Protocol):
    """/deadletters': the outbox (kept by the tips feature), the clock and the time zone."""

    @property
    def settings(self) -> Settings:
        """The configuration (the time zone)."""
        ...

    @property
    def clock(self) -> Clock:
        """When a dead letter is put back."""
        ...

    @property
    def tips(self) -> TipService:
        """The tips and their outbox."""
        ...
