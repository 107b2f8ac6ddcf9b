"""The aiosqlite connections of the process (one writer, one reader) and their discipline."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite

# Parameters accepted by sqlite3: a sequence for `?` placeholders, a mapping for `:name`.
Params = Sequence[Any] | Mapping[str, Any]

BUSY_TIMEOUT_MS = 5000

# The database whose transaction the running task is inside, if any (see Database._reading).
_IN_TRANSACTION: ContextVar[Database | None] = ContextVar("in_transaction", default=None)


class Database:
    """Own the process's SQLite connections: open, pragmas, transactions, reads, close.

    Every write goes through one connection, inside `transaction()`. Reads outside a transaction
    go through a second, read-only connection: updates of different people run at once
    (bot.concurrency), and on the writing connection a read could see another handler's
    transaction half-done — rows a rollback would then take back. In WAL mode the reader sees
    only what is committed, and its queries run beside the writer's.

    Each read runs whole in one hand-off to the reader's thread (`execute_fetchall`): a statement
    left open between hand-offs would hold the reader's snapshot for every other read, which
    would then miss what was committed meanwhile. Reads that stream (`stream()`) therefore get
    a connection of their own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        # One connection is shared by every handler; the lock keeps two coroutines from
        # interleaving statements inside one BEGIN ... COMMIT.
        self._write_lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        """Say whether the connection is open."""
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        """Return the open connection or fail loudly if `open()` was not awaited."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open the file (creating its folder), and set WAL, foreign keys and busy timeout."""
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so sqlite3 never opens
        # implicit transactions behind our back.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a receipt promises the tip is on disk, even if the machine loses power.
        await conn.execute("PRAGMA synchronous=FULL")
        self._conn = conn
        self._reader = await self._open_reader()

    async def _open_reader(self) -> aiosqlite.Connection:
        reader = await aiosqlite.connect(self.path, isolation_level=None)
        reader.row_factory = sqlite3.Row
        # The writer's settings where they mean anything to a reader, then read-only.
        await reader.execute("PRAGMA foreign_keys=ON")
        await reader.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await reader.execute("PRAGMA query_only=ON")
        return reader

    def _reading(self) -> aiosqlite.Connection:
        """Return the connection a read uses: the task's own transaction's, or the reader."""
        if _IN_TRANSACTION.get() is self or self._reader is None:
            return self.conn
        return self._reader

    async def close(self) -> None:
        """Checkpoint the WAL and close the connection; safe to call twice."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        reader, self._reader = self._reader, None
        try:
            if reader is not None:
                await reader.close()
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one BEGIN IMMEDIATE ... COMMIT, rolling back on any error."""
        async with self._write_lock:
            conn = self.conn
            # Reads through this object inside the block see the block's own changes.
            inside = _IN_TRANSACTION.set(self)
            try:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                else:
                    await conn.execute("COMMIT")
            finally:
                _IN_TRANSACTION.reset(inside)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Return every row of a query, read in one hand-off (see the class's docstring)."""
        return list(await self._reading().execute_fetchall(sql, params))

    @asynccontextmanager
    async def stream(self, sql: str, params: Params = ()) -> AsyncIterator[aiosqlite.Cursor]:
        """Open a cursor to read a long result a few rows at a time (exports, audit checks).

        On a connection of its own, so the rest of the bot's reads are not held to this one's
        snapshot while it lasts; inside a transaction, on the transaction's connection.
        """
        if _IN_TRANSACTION.get() is self:
            async with self.conn.execute(sql, params) as cursor:
                yield cursor
            return
        connection = await self._open_reader()
        try:
            async with connection.execute(sql, params) as cursor:
                yield cursor
        finally:
            await connection.close()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows inside a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def backup_to(self, target: Path) -> None:
        """Copy the live database to `target` with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        async with aiosqlite.connect(partial) as destination:
            await self.conn.backup(destination)
        # Rename last so a reader never sees a half-written backup under the final name.
        partial.replace(target)
