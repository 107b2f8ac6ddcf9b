"""The process's SQLite connections: one writer, a small pool of read-only readers.

Updates of different people run at once (bot/ptb/concurrency.py), so a read may come while another
handler is inside its `BEGIN IMMEDIATE ... COMMIT`. On the writer's connection that read would see
the transaction half-done (rows a ROLLBACK then takes back). So every write goes through one
connection under a lock, and reads outside the reading task's own transaction go to read-only
connections, which in WAL mode see committed data only.

A reader's snapshot lasts as long as a statement or a read transaction is open on it. Point reads
(`fetch_*`) therefore run whole in one hand-off (`execute_fetchall`): a statement left open across
hand-offs would pin the snapshot, and the next read on that reader would miss what was committed
meanwhile (the reverted be977fb). Blocks of reads (`read()`) and streams (`stream()`) hold a reader
of their own for their whole run, so they are point-in-time, and give it back closed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

# Parameters accepted by sqlite3: a sequence for `?` placeholders, a mapping for `:name`.
Params = Sequence[Any] | Mapping[str, Any]

BUSY_TIMEOUT_MS = 5000

# Read-only connections at most. Each is a thread; four cover the bot's concurrent reads (2 cores
# in production) without a setting nobody would tune.
READERS = 4
# Streams (exports, reports, the audit check, backups) may hold at most this many readers, so
# point reads always find one free even while several long exports run.
STREAMS = READERS // 2

# Awaited by `write()` with the writer's connection just before COMMIT, inside the transaction, when
# set in the running context (bot.inbox sets it for the task handling one stored update):
# whatever it writes commits or rolls back with the block's writes. It answers whether to commit:
# False rolls the block back instead and returns normally (the block's effects were applied by
# an earlier run of the same update), so the handler goes on to answer.
BEFORE_COMMIT: ContextVar[Callable[[aiosqlite.Connection], Awaitable[bool]] | None] = ContextVar(
    "before_commit", default=None
)


@dataclass
class _Held:
    """The connection the running task holds in an open `write()` or `read()` block."""

    db: Database
    conn: aiosqlite.Connection
    task: asyncio.Task[Any] | None
    writing: bool
    # Cleared when the block ends: a context copied into another task, or a token that could not
    # be reset, must never lead a later read to a connection given back to the pool.
    open: bool = True


_HELD: ContextVar[_Held | None] = ContextVar("db_held", default=None)


class Database:
    """Own the process's SQLite connections: open, pragmas, writes, reads, close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        # One writing connection is shared by every handler; the lock keeps two coroutines from
        # interleaving statements inside one BEGIN ... COMMIT.
        self._write_lock = asyncio.Lock()
        # Every reader opened and not yet closed, lent or idle: close() closes all of them.
        self._readers: set[aiosqlite.Connection] = set()
        self._idle: list[aiosqlite.Connection] = []
        self._reader_slots = asyncio.Semaphore(READERS)
        self._stream_slots = asyncio.Semaphore(STREAMS)
        # Readers open one at a time under this lock, and close() takes it too: a reader whose
        # opening began before close() is closed before close() returns, none opens after.
        self._open_lock = asyncio.Lock()
        # Bumped by close(), so an opening that straddles close() knows it is stale.
        self._generation = 0

    @property
    def is_open(self) -> bool:
        """Say whether the database is open."""
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        """Return the writer's connection (migrations, and writes inside `write()`).

        Reading on it outside `write()` could see another task's transaction half-done: read
        with `fetch_*`, `read()` or `stream()` instead.
        """
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open the writer (creating the file's folder) with WAL, foreign keys and busy timeout.

        Readers open on first use, so start-up and one-shot CLI commands stay cheap.
        """
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so sqlite3 never opens
        # implicit transactions behind our back.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # FULL: a receipt promises the tip is on disk, even if the machine loses power.
            await conn.execute("PRAGMA synchronous=FULL")
            # What is deleted (a handled update's sealed content, a purged pseudonym) is
            # overwritten in the file, not left in free pages, whatever SQLite's build default.
            await conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        """Close every reader, then checkpoint the WAL and close the writer; safe to call twice.

        A stream still running fails on its next fetch: aiosqlite's threads are not daemons, so
        a connection left open would keep the process (or pytest) from exiting.
        """
        if self._conn is None:
            return
        writer, self._conn = self._conn, None
        self._generation += 1
        try:
            async with self._open_lock:
                readers, self._readers = self._readers, set()
                self._idle.clear()
                async with AsyncExitStack() as closing:
                    # Every reader gets its close() even if one fails.
                    for reader in readers:
                        closing.push_async_callback(reader.close)
            # After the readers: a reader's open snapshot would stop TRUNCATE short.
            await writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await writer.close()

    # ------------------------------------------------------------------------------ writes

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one BEGIN IMMEDIATE ... COMMIT on the writer, rolling back on error.

        Reads through this object in the same task inside the block see the block's own writes.
        `BEFORE_COMMIT`, if set, runs last inside the transaction.
        """
        held = self._held()
        if held is not None and held.writing:
            # The lock is not re-entrant: say so instead of waiting for ourselves forever.
            raise RuntimeError("write() inside write() of the same task")
        async with self._write_lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            mark = _Held(self, conn, asyncio.current_task(), writing=True)
            token = _HELD.set(mark)
            try:
                yield conn
                hook = BEFORE_COMMIT.get()
                commit = True if hook is None else await hook(conn)
                await conn.execute("COMMIT" if commit else "ROLLBACK")
            except BaseException:
                await self._roll_back(conn)
                raise
            finally:
                mark.open = False
                _reset(token)

    # The name the existing call sites use.
    transaction = write

    async def _roll_back(self, conn: aiosqlite.Connection) -> None:
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            # A COMMIT already queued when the task was cancelled may have ended the
            # transaction: then there is nothing to roll back, and the first error matters.
            if conn.in_transaction:
                raise

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows inside a single transaction."""
        async with self.write() as conn:
            await conn.executemany(sql, rows)

    # ------------------------------------------------------------------------------- reads

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Lend a connection for a block of reads that all see one snapshot.

        Outside a write, a reader in BEGIN ... (the first read pins the snapshot) ... ROLLBACK;
        inside the same task's write, the writer, so the block sees the transaction's writes.
        `fetch_*` and `stream()` in the same task inside the block use this connection too.
        """
        held = self._held()
        if held is not None:
            yield held.conn
            return
        async with self._reader_slot() as conn:
            await conn.execute("BEGIN")
            mark = _Held(self, conn, asyncio.current_task(), writing=False)
            token = _HELD.set(mark)
            try:
                yield conn
            finally:
                mark.open = False
                _reset(token)
                # Read-only: ROLLBACK just ends the snapshot.
                await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def stream(self, sql: str, params: Params = ()) -> AsyncIterator[aiosqlite.Cursor]:
        """Open a cursor over a long result, read a chunk at a time (exports, audit check).

        The cursor's open statement holds its reader's snapshot to the end, so the rows are
        point-in-time: a commit landing meanwhile neither adds nor drops one. The reader is this
        stream's alone, so no other read is held to that snapshot.
        """
        held = self._held()
        if held is not None:
            async with held.conn.execute(sql, params) as cursor:
                yield cursor
            return
        async with (
            self._stream_slots,
            self._reader_slot() as conn,
            conn.execute(sql, params) as cursor,
        ):
            yield cursor

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Return every row of a query, read in one hand-off with a fresh snapshot."""
        held = self._held()
        if held is not None:
            return list(await held.conn.execute_fetchall(sql, params))
        async with self._reader_slot() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Return the first row of a query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """Return the first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def backup_to(self, target: Path) -> None:
        """Copy the committed database to `target` with SQLite's online backup API.

        From a reader, in one step: the copy is one snapshot, and writes go on meanwhile.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        async with (
            self._stream_slots,
            self._reader_slot() as source,
            aiosqlite.connect(partial) as destination,
        ):
            # pages=-1: every page in one step, under one read lock (a stepwise backup would
            # restart each time another connection commits).
            await source.backup(destination, pages=-1)
        # Rename last so a reader never sees a half-written backup under the final name.
        partial.replace(target)

    # --------------------------------------------------------------------------- the pool

    def _held(self) -> _Held | None:
        """Return the block this task holds open on this database, if any."""
        held = _HELD.get()
        if (
            held is None
            or not held.open
            or held.db is not self
            # A task started inside a block inherits the context, not the block.
            or held.task is not asyncio.current_task()
        ):
            return None
        return held

    @asynccontextmanager
    async def _reader_slot(self) -> AsyncIterator[aiosqlite.Connection]:
        """Lend an idle reader (opening one if none is idle); take it back after the block."""
        async with self._reader_slots:
            # Holding a slot: at most READERS readers are ever open.
            reader = self._idle.pop() if self._idle else await self._open_reader()
            try:
                yield reader
            finally:
                await self._give_back(reader)

    async def _give_back(self, reader: aiosqlite.Connection) -> None:
        if reader not in self._readers:
            return  # close() took it meanwhile and closed it
        if reader.in_transaction:
            # The block could not end its read transaction: its snapshot would be stale for the
            # next borrower, so the reader goes.
            self._readers.discard(reader)
            await reader.close()
            return
        self._idle.append(reader)

    async def _open_reader(self) -> aiosqlite.Connection:
        async with self._open_lock:
            if self._conn is None:
                raise RuntimeError("database is not open")
            generation = self._generation
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                reader.row_factory = sqlite3.Row
                # The writer's settings where they mean anything to a reader, then read-only:
                # a write slipped into a read fails instead of committing outside a transaction.
                await reader.execute("PRAGMA foreign_keys=ON")
                await reader.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                await reader.execute("PRAGMA query_only=ON")
            except BaseException:
                await reader.close()
                raise
            if generation != self._generation or self._conn is None:
                await reader.close()
                raise RuntimeError("database was closed")
            self._readers.add(reader)
            return reader


def _reset(token: Token[_Held | None]) -> None:
    """Undo a `_HELD.set`, unless the block ends in another context (a finalised generator)."""
    # Nothing to undo there; the block's `open` flag already makes the mark inert.
    with suppress(ValueError):
        _HELD.reset(token)
