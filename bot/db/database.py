"""The one aiosqlite connection of the process and its transaction discipline."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite

# Parameters accepted by sqlite3 for `?` placeholders.
Params = Sequence[Any]

BUSY_TIMEOUT_MS = 5000

# Set for the task that handles one stored update (bot.inbox): awaited inside every write
# transaction just before COMMIT, with the transaction's connection. True: commit; False: roll
# back instead (the block's effects were applied by an earlier run of the same update) and
# return normally, so the handler goes on to answer.
BEFORE_COMMIT: ContextVar[Callable[[aiosqlite.Connection], Awaitable[bool]] | None] = ContextVar(
    "before_commit", default=None
)


class Database:
    """Own the process's single SQLite connection: open, pragmas, transactions, close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
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
        # What is deleted (a handled update's sealed content, a purged pseudonym) is overwritten
        # in the file, not left in free pages, whatever SQLite's build default is.
        await conn.execute("PRAGMA secure_delete=ON")
        self._conn = conn

    async def close(self) -> None:
        """Checkpoint the WAL and close the connection; safe to call twice."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one BEGIN IMMEDIATE ... COMMIT, rolling back on any error."""
        async with self._write_lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                hook = BEFORE_COMMIT.get()
                commit = True
                try:
                    if hook is not None:
                        commit = await hook(conn)
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT" if commit else "ROLLBACK")

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None."""
        async with self.conn.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Return every row of a query."""
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

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
