"""SQL of the outbox: messages waiting to be delivered, retried, given up or dead (`?` only).

Methods ending in `_in` run inside the caller's transaction, so a feature queues its message in
the same transaction as the change it announces.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.db import Database
from bot.db.stamps import stamp


@dataclass(frozen=True)
class OutboxRow:
    """One message (or set of messages) waiting to be delivered."""

    id: int
    kind: str
    target_chat_id: int | None
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    # Permanent refusals counted towards OUTBOX_MAX_PERMANENT_FAILURES (transient ones never).
    permanent_failures: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """An outbox row given up after repeated permanent failures, kept for an admin to retry."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime


_SELECT_ROW = (
    "SELECT id, kind, target_chat_id, payload, attempts, next_attempt_at, last_error, "
    "permanent_failures FROM outbox"
)
# Rows still to deliver: neither delivered, nor given up (resident blocked the bot), nor dead.
_WAITING = "delivered_at IS NULL AND undeliverable_at IS NULL AND dead_at IS NULL"


class OutboxRepository:
    """Read and write the outbox of messages to officers' chats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue_in(
        self,
        conn: aiosqlite.Connection,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        target_chat_id: int | None = None,
    ) -> int:
        """Queue one delivery, due at once; return its id."""
        cursor = await conn.execute(
            "INSERT INTO outbox (kind, target_chat_id, payload, attempts, next_attempt_at, "
            "created_at) VALUES (?, ?, ?, 0, ?, ?)",
            (kind, target_chat_id, json.dumps(payload), stamp(now), stamp(now)),
        )
        row_id = cursor.lastrowid
        if row_id is None:
            raise RuntimeError("SQLite returned no id for the outbox row")
        return row_id

    async def due(self, now: datetime, *, limit: int) -> list[OutboxRow]:
        """Return undelivered rows whose next attempt is due, oldest first."""
        rows = await self._db.fetch_all(
            f"{_SELECT_ROW} WHERE {_WAITING} AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (stamp(now), limit),
        )
        return [self._row(row) for row in rows]

    async def row(self, row_id: int) -> OutboxRow | None:
        """Return one row, whatever its state."""
        found = await self._db.fetch_one(f"{_SELECT_ROW} WHERE id = ?", (row_id,))
        return None if found is None else self._row(found)

    @staticmethod
    def _row(row: sqlite3.Row) -> OutboxRow:
        return OutboxRow(
            id=int(row["id"]),
            kind=str(row["kind"]),
            target_chat_id=row["target_chat_id"],
            payload=json.loads(str(row["payload"])),
            attempts=int(row["attempts"]),
            next_attempt_at=datetime.fromisoformat(str(row["next_attempt_at"])),
            last_error=row["last_error"],
            permanent_failures=int(row["permanent_failures"]),
        )

    async def pending_count(self) -> int:
        """Count rows not delivered yet (dead letters and given-up rows excluded)."""
        value = await self._db.fetch_value(f"SELECT count(*) FROM outbox WHERE {_WAITING}")
        return int(value or 0)

    async def save_progress_in(
        self,
        conn: aiosqlite.Connection,
        row_id: int,
        payload: dict[str, Any],
        *,
        target_chat_id: int | None,
    ) -> None:
        """Record which parts of a delivery are done, so a retry never repeats them."""
        await conn.execute(
            "UPDATE outbox SET payload = ?, target_chat_id = ? WHERE id = ?",
            (json.dumps(payload), target_chat_id, row_id),
        )

    async def mark_delivered(self, row_id: int, now: datetime) -> None:
        """Mark a row delivered."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?",
                (stamp(now), row_id),
            )

    async def mark_failed(
        self, row_id: int, *, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """Record a failed attempt and when to try again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                (attempts, stamp(next_attempt_at), error[:500], row_id),
            )

    async def mark_undeliverable(self, row_id: int, now: datetime, error: str) -> None:
        """Give a row up for good (the resident blocked the bot): it is never retried."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET undeliverable_at = ?, last_error = ? WHERE id = ?",
                (stamp(now), error[:500], row_id),
            )

    async def postpone(self, row_id: int, until: datetime) -> None:
        """Try a row again at `until` without counting a failed attempt."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (stamp(until), row_id)
            )

    async def postpone_all(self, until: datetime) -> None:
        """Push every due row to `until` (Telegram asked the bot to wait), keeping attempts."""
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE outbox SET next_attempt_at = ? WHERE {_WAITING} AND next_attempt_at < ?",
                (stamp(until), stamp(until)),
            )

    # ------------------------------------------------------------ dead letters

    async def mark_refused(
        self,
        row_id: int,
        *,
        attempts: int,
        permanent_failures: int,
        next_attempt_at: datetime,
        error: str,
    ) -> None:
        """Record a permanent refusal that is not yet the last allowed, and when to try again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = ?, permanent_failures = ?, next_attempt_at = ?, "
                "last_error = ? WHERE id = ?",
                (attempts, permanent_failures, stamp(next_attempt_at), error[:500], row_id),
            )

    async def mark_dead_in(
        self,
        conn: aiosqlite.Connection,
        row_id: int,
        now: datetime,
        *,
        attempts: int,
        permanent_failures: int,
        error: str,
    ) -> bool:
        """Make a waiting row a dead letter (payload kept); say whether it was waiting.

        Only a waiting row dies, so a row dies once per time it is put back, and the caller
        alerts the administrators only when this returns True.
        """
        cursor = await conn.execute(
            "UPDATE outbox SET dead_at = ?, attempts = ?, permanent_failures = ?, "
            f"last_error = ? WHERE id = ? AND {_WAITING}",
            (stamp(now), attempts, permanent_failures, error[:500], row_id),
        )
        return cursor.rowcount == 1

    async def dead_letters(self, *, limit: int) -> list[DeadLetter]:
        """Return the newest dead letters first."""
        rows = await self._db.fetch_all(
            "SELECT id, kind, payload, attempts, last_error, created_at, dead_at FROM outbox "
            "WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            DeadLetter(
                id=int(row["id"]),
                kind=str(row["kind"]),
                payload=json.loads(str(row["payload"])),
                attempts=int(row["attempts"]),
                last_error=row["last_error"],
                created_at=datetime.fromisoformat(str(row["created_at"])),
                dead_at=datetime.fromisoformat(str(row["dead_at"])),
            )
            for row in rows
        ]

    async def dead_count(self) -> int:
        """Count the dead letters."""
        value = await self._db.fetch_value("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")
        return int(value or 0)

    async def revive(self, now: datetime, row_id: int | None = None) -> int:
        """Put a dead letter (None: every one) back in the queue, due now; return how many.

        Its permanent refusals start from zero again, so it gets the full number of tries;
        attempts and the last error stay as a record of what happened.
        """
        where = "dead_at IS NOT NULL" + ("" if row_id is None else " AND id = ?")
        params: tuple[Any, ...] = (stamp(now),) if row_id is None else (stamp(now), row_id)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET dead_at = NULL, permanent_failures = 0, next_attempt_at = ? "
                f"WHERE {where}",
                params,
            )
            return int(cursor.rowcount)
