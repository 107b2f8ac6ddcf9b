"""Every statement on the `inbox` table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.db import Database

PENDING = "pending"
DONE = "done"
PARKED = "parked"


@dataclass(frozen=True)
class InboxRow:
    """A stored update that has not been handled to the end."""

    update_id: int
    sealed: str
    writes_applied: int
    attempts: int


@dataclass(frozen=True)
class ParkedRow:
    """An update that kept failing, kept for an administrator (its content stays sealed)."""

    update_id: int
    received_at: str
    attempts: int
    last_error: str | None


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class InboxRepository:
    """SQL for the inbox; `?` placeholders only."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def store_new_in(
        self, conn: aiosqlite.Connection, rows: Sequence[tuple[int, str]], now: datetime
    ) -> set[int]:
        """Insert the updates not seen before; return their ids (a redelivery inserts nothing)."""
        if not rows:
            return set()
        ids = [update_id for update_id, _sealed in rows]
        marks = ",".join("?" * len(ids))
        known = {
            int(row[0])
            for row in await conn.execute_fetchall(
                f"SELECT update_id FROM inbox WHERE update_id IN ({marks})",
                ids,
            )
        }
        fresh = [(update_id, sealed) for update_id, sealed in rows if update_id not in known]
        stamp = _stamp(now)
        await conn.executemany(
            "INSERT INTO inbox (update_id, received_at, sealed) VALUES (?, ?, ?)",
            [(update_id, stamp, sealed) for update_id, sealed in fresh],
        )
        return {update_id for update_id, _sealed in fresh}

    async def record_write_in(
        self, conn: aiosqlite.Connection, update_id: int, applied: int
    ) -> None:
        """Record, inside a handler's own transaction, how many of its writes are applied."""
        await conn.execute(
            "UPDATE inbox SET writes_applied = ? WHERE update_id = ? AND writes_applied < ?",
            (applied, update_id, applied),
        )

    async def writes_applied(self, update_id: int) -> int:
        """Return how many write transactions of an update have committed."""
        value = await self._db.fetch_value(
            "SELECT writes_applied FROM inbox WHERE update_id = ?", (update_id,)
        )
        return int(value or 0)

    async def finish(self, update_ids: Sequence[int], now: datetime) -> None:
        """Mark updates handled and forget their content (secure_delete overwrites it)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE inbox SET state = 'done', sealed = NULL, finished_at = ? "
                "WHERE update_id = ? AND state = 'pending'",
                [(_stamp(now), update_id) for update_id in update_ids],
            )

    async def begin_recovery(self, max_attempts: int, now: datetime) -> list[int]:
        """Count one more attempt for every unfinished update; park those out of attempts.

        Called once at start-up: an update still pending was being handled (or waiting) when
        the process stopped. Counting here, not before each run, keeps the hot path free of a
        write, and still ends a loop of crashes on one poisonous update.
        """
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE inbox SET attempts = attempts + 1 WHERE state = 'pending'")
            parked = [
                int(row[0])
                for row in await conn.execute_fetchall(
                    "SELECT update_id FROM inbox WHERE state = 'pending' AND attempts >= ? "
                    "ORDER BY update_id",
                    (max_attempts,),
                )
            ]
            await conn.executemany(
                "UPDATE inbox SET state = 'parked', finished_at = ?, "
                "last_error = coalesce(last_error, 'the bot stopped while handling it') "
                "WHERE update_id = ?",
                [(_stamp(now), update_id) for update_id in parked],
            )
        return parked

    async def unfinished(self) -> list[InboxRow]:
        """Return the pending updates, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT update_id, sealed, writes_applied, attempts FROM inbox "
            "WHERE state = 'pending' ORDER BY update_id"
        )
        return [
            InboxRow(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows if r[1] is not None
        ]

    async def park_in(
        self, conn: aiosqlite.Connection, update_id: int, attempts: int, error: str, now: datetime
    ) -> None:
        """Set a failing update aside; its sealed content is kept."""
        await conn.execute(
            "UPDATE inbox SET state = 'parked', attempts = ?, last_error = ?, finished_at = ? "
            "WHERE update_id = ?",
            (attempts, error, _stamp(now), update_id),
        )

    async def prune(self, done_before: datetime) -> int:
        """Delete handled rows older than the redelivery window; return how many."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM inbox WHERE state = 'done' AND finished_at < ?",
                (_stamp(done_before),),
            )
            return int(cursor.rowcount)

    async def counts(self) -> dict[str, int]:
        """Return the number of rows per state."""
        rows = await self._db.fetch_all("SELECT state, count(*) FROM inbox GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

    async def parked(self, *, limit: int = 20) -> list[ParkedRow]:
        """Return the newest parked updates."""
        rows = await self._db.fetch_all(
            "SELECT update_id, received_at, attempts, last_error FROM inbox "
            "WHERE state = 'parked' ORDER BY update_id DESC LIMIT ?",
            (limit,),
        )
        return [ParkedRow(int(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    async def requeue_parked(self) -> int:
        """Put every parked update back in the queue (handled at the next start-up)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE inbox SET state = 'pending', attempts = 0, finished_at = NULL "
                "WHERE state = 'parked' AND sealed IS NOT NULL"
            )
            return int(cursor.rowcount)
