"""What the maintenance jobs and commands use of the application's services."""

from __future__ import annotations

from typing import Protocol

from bot.audit.needs import DatabaseNeeds
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.officers.needs import AccessNeeds
from bot.outbox.queue import OutboxQueue
from bot.tips.service import TipService


class MaintenanceNeeds(DatabaseNeeds, Protocol):
    """The jobs': the database, its keys and clock, and the people seen (retention, backups)."""

    async def purge_unseen_languages(self, days: int) -> int:
        """Delete the language choices of people unseen for `days` days; return how many."""
        ...

    async def save_seen(self) -> None:
        """Write today's sightings."""
        ...


class DeadLettersNeeds(AccessNeeds, Protocol):
    """/deadletters': the outbox's dead letters, the clock and the time zone."""

    @property
    def settings(self) -> Settings:
        """The configuration (the time zone)."""
        ...

    @property
    def clock(self) -> Clock:
        """When a dead letter is put back."""
        ...

    @property
    def outbox(self) -> OutboxQueue:
        """The dead letters, and putting them back."""
        ...

    @property
    def tips(self) -> TipService:
        """The receipt code of the tip a dead letter names."""
        ...
