"""SQL for `audit_log`, the hash chain's table (the audit package owns it).

The chain's logic (hashing, verifying, anchoring) is in bot/audit/log.py and anchor.py; this
module only reads and appends rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from bot.db import Database


class AuditRepository:
    """Read and append rows of `audit_log`; appends inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def last_in(conn: aiosqlite.Connection) -> tuple[int, str] | None:
        """Return the newest row's id and hash, read on `conn` (inside the caller's write)."""
        async with conn.execute(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
        ) as cursor:
            last = await cursor.fetchone()
        return None if last is None else (int(last[0]), str(last[1]))

    @staticmethod
    async def insert_in(
        conn: aiosqlite.Connection,
        row: tuple[int, str, str, str, str | None, str, str, str],
    ) -> None:
        """Insert (id, at, actor, action, target, details, prev_hash, hash) on `conn`."""
        await conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, target, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    @asynccontextmanager
    async def chain(self) -> AsyncIterator[aiosqlite.Cursor]:
        """Stream every row, oldest first, from one snapshot (`db.stream`)."""
        async with self._db.stream(
            "SELECT id, at, actor, action, target, details, prev_hash, hash "
            "FROM audit_log ORDER BY id"
        ) as cursor:
            yield cursor

    async def entries(
        self,
        *,
        actor: str | None,
        action: str | None,
        target: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[sqlite3.Row]:
        """Return rows newest first, filtered (an action matches itself and its sub-actions)."""
        return await self._db.fetch_all(
            """
            SELECT id, at, actor, action, target, details FROM audit_log
            WHERE (? IS NULL OR actor = ?)
              AND (? IS NULL OR action = ? OR action LIKE ? || '.%')
              AND (? IS NULL OR target = ?)
              AND (? IS NULL OR id < ?)
            ORDER BY id DESC LIMIT ?
            """,
            (actor, actor, action, action, action, target, target, before_id, before_id, limit),
        )

    async def head(self) -> tuple[int, str] | None:
        """Return the newest row's id and hash (a fresh snapshot), or None for an empty chain."""
        row = await self._db.fetch_one("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        return None if row is None else (int(row[0]), str(row[1]))

    async def hash_at(self, row_id: int) -> str | None:
        """Return row `row_id`'s hash, or None if there is no such row."""
        value = await self._db.fetch_value("SELECT hash FROM audit_log WHERE id = ?", (row_id,))
        return None if value is None else str(value)
