"""What the maintenance jobs and commands use of the application's services."""

from __future__ import annotations

from typing import Protocol

from bot.audit.needs import DatabaseNeeds
from bot.core.repository import PreferencesRepository
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.officers.needs import AccessNeeds
from bot.tips.service import TipService


class MaintenanceNeeds(DatabaseNeeds, Protocol):
    """The jobs': the database, its keys and clock, and the people seen (retention, backups)."""

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
