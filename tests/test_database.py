"""Reads see committed data only, a transaction sees its own changes, and a stream pins nothing.

Updates of different people run at once (bot/concurrency.py), so a read may come while another
handler is inside a transaction: it must not see that transaction half-done.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database

WAIT = 5.0


@pytest.fixture
async def db(database_path: Path) -> AsyncIterator[Database]:
    """A database file with one table of three rows."""
    database = Database(database_path)
    await database.open()
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        await conn.executemany("INSERT INTO things (name) VALUES (?)", [("a",), ("b",), ("c",)])
    try:
        yield database
    finally:
        await database.close()


async def _count(db: Database) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM things"))


class _Abandoned(Exception):
    """Raised to roll the transaction under test back."""


async def test_a_read_never_sees_another_tasks_transaction_half_done(db: Database) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()
    seen_inside: list[int] = []

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO things (name) VALUES ('phantom')")
            # The transaction reads its own change.
            seen_inside.append(await _count(db))
            inside.set()
            await release.wait()
            raise _Abandoned

    task = asyncio.create_task(writer())
    await asyncio.wait_for(inside.wait(), WAIT)
    # Another handler reading meanwhile sees only what is committed.
    assert await _count(db) == 3
    assert await db.fetch_one("SELECT id FROM things WHERE name = 'phantom'") is None
    release.set()
    with pytest.raises(_Abandoned):
        await asyncio.wait_for(task, WAIT)
    assert seen_inside == [4]
    assert await _count(db) == 3


async def test_what_a_transaction_committed_is_read_at_once(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO things (name) VALUES ('d')")
    row = await db.fetch_one("SELECT name FROM things WHERE name = 'd'")
    assert row is not None
    assert row["name"] == "d"


async def test_a_stream_in_progress_does_not_hold_back_other_reads(db: Database) -> None:
    async with db.stream("SELECT name FROM things ORDER BY id") as cursor:
        cursor.iter_chunk_size = 1
        rows = aiter(cursor)
        first = await anext(rows)
        assert first["name"] == "a"
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO things (name) VALUES ('e')")
        # A point read sees the new row although the stream is still open.
        assert await _count(db) == 4
        rest = [row["name"] async for row in rows]
    # The stream reads its own snapshot to the end.
    assert rest in (["b", "c"], ["b", "c", "e"])
    assert await _count(db) == 4


async def test_a_stream_inside_a_transaction_reads_its_changes(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO things (name) VALUES ('f')")
        async with db.stream("SELECT name FROM things ORDER BY id") as cursor:
            names = [row["name"] async for row in cursor]
    assert names == ["a", "b", "c", "f"]


async def test_reads_are_refused_writes(db: Database) -> None:
    # The reading connection is read-only: a write outside a transaction cannot slip through.
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|attempt to write"):
        await db.fetch_all("INSERT INTO things (name) VALUES ('sneaky') RETURNING id")
    assert await _count(db) == 3
