"""Reads see committed data only; a write sees its own; streams are point-in-time; nothing leaks.

Updates of different people run at once (bot/ptb/concurrency.py), so a read may come while another
handler is inside its transaction. Every test runs on a real SQLite file in WAL mode.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.db import BEFORE_COMMIT, Database
from bot.db.database import READERS
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person

WAIT = 5.0


@pytest.fixture
async def db(database_path: Path) -> AsyncIterator[Database]:
    """A database file with one table of three rows."""
    database = Database(database_path)
    await database.open()
    async with database.write() as conn:
        await conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        await conn.executemany("INSERT INTO things (name) VALUES (?)", [("a",), ("b",), ("c",)])
    try:
        yield database
    finally:
        await database.close()


async def _count(db: Database) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM things"))


async def _count_on(conn: aiosqlite.Connection) -> int:
    [(count,)] = await conn.execute_fetchall("SELECT count(*) FROM things")
    return int(count)


async def _insert(db: Database, name: str) -> None:
    async with db.write() as conn:
        await conn.execute("INSERT INTO things (name) VALUES (?)", (name,))


class _Abandoned(Exception):
    """Raised to roll the transaction under test back."""


def _connection_threads() -> set[threading.Thread]:
    # aiosqlite runs each connection on a thread of its own, named after its worker function.
    return {
        thread
        for thread in threading.enumerate()
        if "_connection_worker_thread" in thread.name and thread.is_alive()
    }


def _lasting(threads: set[threading.Thread]) -> set[threading.Thread]:
    """Return the threads still alive after a short grace (a closed connection's thread ends)."""
    deadline = time.monotonic() + 1.0
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return {thread for thread in threads if thread.is_alive()}


def _assert_none_left(before: set[threading.Thread]) -> None:
    left = _connection_threads() - before
    for thread in left:
        # A closed connection's thread ends right after close() returns; a leaked one never does.
        thread.join(timeout=WAIT)
    assert [thread.name for thread in left if thread.is_alive()] == []


async def test_another_tasks_uncommitted_row_is_never_seen(db: Database) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.write() as conn:
            await conn.execute("INSERT INTO things (name) VALUES ('phantom')")
            inside.set()
            await release.wait()
            raise _Abandoned

    task = asyncio.create_task(writer())
    await asyncio.wait_for(inside.wait(), WAIT)
    # Another handler reading meanwhile, by every kind of read, sees only what is committed.
    assert await _count(db) == 3
    assert await db.fetch_one("SELECT id FROM things WHERE name = 'phantom'") is None
    assert [row["name"] for row in await db.fetch_all("SELECT name FROM things")] == ["a", "b", "c"]
    async with db.read() as conn:
        assert await _count_on(conn) == 3
    async with db.stream("SELECT name FROM things ORDER BY id") as cursor:
        assert [row["name"] async for row in cursor] == ["a", "b", "c"]
    release.set()
    with pytest.raises(_Abandoned):
        await asyncio.wait_for(task, WAIT)
    assert await _count(db) == 3


async def test_a_read_block_sees_one_snapshot_while_others_commit(db: Database) -> None:
    async with db.read() as conn:
        first = await _count_on(conn)
        await asyncio.create_task(_insert(db, "d"))  # another task commits meanwhile
        second = await _count_on(conn)
        # fetch_* in the same task inside the block read the block's snapshot too.
        third = await _count(db)
    assert (first, second, third) == (3, 3, 3)
    assert await _count(db) == 4


async def test_a_stream_counts_the_same_rows_while_commits_land_mid_stream(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute("DELETE FROM things")
        await conn.executemany(
            "INSERT INTO things (name) VALUES (?)", [(f"row {n}",) for n in range(1000)]
        )
    streamed = 0
    async with db.stream("SELECT id, name FROM things ORDER BY id") as cursor:
        cursor.iter_chunk_size = 100
        async for _row in cursor:
            streamed += 1
            if streamed % 100 == 1:
                # Another handler commits between chunks.
                await asyncio.create_task(_insert(db, f"late {streamed}"))
    assert streamed == 1000
    assert await _count(db) == 1010


async def test_a_just_committed_row_is_read_back_at_once(db: Database) -> None:
    # Readers are reused: each read must take a fresh snapshot, not keep the last one's.
    assert await db.fetch_value("SELECT name FROM things ORDER BY id") == "a"
    await _insert(db, "c2")
    assert await db.fetch_value("SELECT name FROM things WHERE name = 'c2'") == "c2"
    async with db.stream("SELECT name FROM things ORDER BY id") as cursor:
        cursor.iter_chunk_size = 1
        rows = aiter(cursor)
        assert (await anext(rows))["name"] == "a"
        for name in ("d", "e"):
            await _insert(db, name)
            # A stream holding its snapshot open holds back no other read.
            row = await db.fetch_one("SELECT name FROM things WHERE name = ?", (name,))
            assert row is not None
            assert row["name"] == name
        assert [row["name"] async for row in rows] == ["b", "c", "c2"]
    assert await db.fetch_value("SELECT name FROM things ORDER BY id DESC") == "e"
    assert await _count(db) == 6


async def test_reads_inside_a_write_see_its_own_writes(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute("INSERT INTO things (name) VALUES ('mine')")
        assert await _count(db) == 4
        assert await db.fetch_one("SELECT id FROM things WHERE name = 'mine'") is not None
        async with db.read() as reading:
            assert reading is conn
            assert await _count_on(reading) == 4
        async with db.stream("SELECT name FROM things ORDER BY id") as cursor:
            assert [row["name"] async for row in cursor] == ["a", "b", "c", "mine"]
    assert await _count(db) == 4


async def test_a_task_started_inside_a_write_reads_committed_data_only(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute("INSERT INTO things (name) VALUES ('mine')")
        # It inherits the write's context, not its transaction.
        assert await asyncio.create_task(_count(db)) == 3
    assert await _count(db) == 4


async def test_readers_refuse_writes(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetch_all("INSERT INTO things (name) VALUES ('sneaky') RETURNING id")
    assert await _count(db) == 3


async def test_a_backup_is_the_committed_data_and_does_not_wait_for_the_writer(
    db: Database, tmp_path: Path
) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.write() as conn:
            await conn.execute("INSERT INTO things (name) VALUES ('phantom')")
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await asyncio.wait_for(inside.wait(), WAIT)
    target = tmp_path / "backups" / "copy.sqlite3"
    await asyncio.wait_for(db.backup_to(target), WAIT)
    release.set()
    await asyncio.wait_for(task, WAIT)
    with sqlite3.connect(target) as copy:
        assert [row[0] for row in copy.execute("SELECT name FROM things ORDER BY id")] == [
            "a",
            "b",
            "c",
        ]
    assert await _count(db) == 4


async def test_before_commit_runs_inside_the_transaction(db: Database) -> None:
    seen: list[bool] = []

    async def mark_done(conn: aiosqlite.Connection) -> bool:
        seen.append(conn.in_transaction and conn is db.conn)
        await conn.execute("INSERT INTO things (name) VALUES ('hooked')")
        return True

    token = BEFORE_COMMIT.set(mark_done)
    try:
        async with db.write() as conn:
            await conn.execute("INSERT INTO things (name) VALUES ('work')")
    finally:
        BEFORE_COMMIT.reset(token)
    assert seen == [True]
    names = [row["name"] for row in await db.fetch_all("SELECT name FROM things ORDER BY id")]
    assert names[-2:] == ["work", "hooked"]
    # Unset, write() calls nothing.
    await _insert(db, "plain")
    assert seen == [True]


async def _insert_then_fail(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute("INSERT INTO things (name) VALUES ('work')")
        raise _Abandoned


async def test_before_commit_rolls_back_with_the_block(db: Database) -> None:
    calls: list[str] = []

    async def mark_done(conn: aiosqlite.Connection) -> bool:
        calls.append("hook")
        await conn.execute("INSERT INTO things (name) VALUES ('hooked')")
        if len(calls) == 1:
            raise _Abandoned  # the hook fails: the block's writes go too
        return True

    token = BEFORE_COMMIT.set(mark_done)
    try:
        with pytest.raises(_Abandoned):
            async with db.write() as conn:
                await conn.execute("INSERT INTO things (name) VALUES ('work')")
        # The block fails: the hook does not run, nothing commits.
        with pytest.raises(_Abandoned):
            await _insert_then_fail(db)
    finally:
        BEFORE_COMMIT.reset(token)
    assert calls == ["hook"]
    assert await _count(db) == 3


async def test_close_ends_every_connection_thread(database_path: Path, tmp_path: Path) -> None:
    before = _connection_threads()
    db = Database(database_path)
    await db.open()
    await db.execute_many("CREATE TABLE IF NOT EXISTS things (name TEXT)", [()])
    holding = asyncio.Semaphore(0)
    release = asyncio.Event()

    async def hold() -> None:
        async with db.read() as conn:
            await conn.execute_fetchall("SELECT count(*) FROM things")
            holding.release()
            await release.wait()

    # Every reader of the pool open at once, the last one in a stream; then a backup.
    holders = [asyncio.create_task(hold()) for _ in range(READERS - 1)]
    for _ in holders:
        await asyncio.wait_for(holding.acquire(), WAIT)
    async with db.stream("SELECT name FROM things") as cursor:
        await cursor.fetchall()
    release.set()
    await asyncio.wait_for(asyncio.gather(*holders), WAIT)
    await db.backup_to(tmp_path / "copy.sqlite3")
    # The writer and READERS readers (the backup's copy is closed already, its thread may take
    # a moment to end on a busy machine: give every thread a short grace to end).
    assert len(_lasting(_connection_threads() - before)) == 1 + READERS
    await db.close()
    await db.close()  # idempotent
    _assert_none_left(before)
    # No reader opens after close().
    with pytest.raises(RuntimeError, match="not open"):
        await db.fetch_all("SELECT 1")
    _assert_none_left(before)


async def test_a_reader_opening_while_the_database_closes_is_closed_too(
    database_path: Path,
) -> None:
    before = _connection_threads()
    db = Database(database_path)
    await db.open()
    read = asyncio.create_task(db.fetch_all("SELECT 1"))
    await asyncio.sleep(0)  # the read has begun opening its reader
    await db.close()
    # The read either finished before close() or was refused; either way no thread is left.
    await asyncio.gather(read, return_exceptions=True)
    _assert_none_left(before)


async def test_no_connection_thread_outlives_the_bot(database_path: Path) -> None:
    before = _connection_threads()
    resident = Person(id=5550002, first_name="Hoa")
    async with BotHarness(settings_for_tests(database_path)) as bot:
        await bot.say(resident, "/start")
        await asyncio.gather(*(bot.app.services.db.fetch_all("SELECT 1") for _ in range(8)))
        assert bot.api.sent_messages(resident.id)
    _assert_none_left(before)
