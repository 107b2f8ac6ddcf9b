"""What features do with the outbox besides delivering it: alert the administrators inside
their own transaction, and list or put back the rows that failed for good.

The container holds one `OutboxQueue` (`context.services.outbox`); handlers and jobs use it, never
the outbox's repository, which only the deliverer and this queue hold.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.outbox.alerts import enqueue_admin_alert
from bot.outbox.repository import DeadLetter, OutboxRepository


class OutboxQueue:
    """Admins' alerts and dead letters."""

    def __init__(self, repository: OutboxRepository) -> None:
        self._rows = repository

    async def alert_admins_in(
        self, conn: aiosqlite.Connection, key: str, now: datetime, **values: str | int
    ) -> None:
        """Queue an alert to the administrators in the caller's open transaction
        (see `bot.outbox.alerts`: the key and its placeholders are checked at once)."""
        await enqueue_admin_alert(conn, self._rows, key, now, **values)

    async def dead_letters(self, *, limit: int) -> list[DeadLetter]:
        """Return the newest dead letters first."""
        return await self._rows.dead_letters(limit=limit)

    async def dead_count(self) -> int:
        """Count the dead letters."""
        return await self._rows.dead_count()

    async def revive(self, now: datetime, row_id: int | None = None) -> int:
        """Put a dead letter (None: every one) back in the queue, due now; return how many."""
        return await self._rows.revive(now, row_id)
