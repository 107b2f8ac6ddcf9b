"""Migrations: ordered, recorded, idempotent, each step atomic; a newer database is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import MIGRATIONS, Database, Migration, SchemaTooNewError, migrate
from bot.db.migrations import SchemaMismatchError, current_version


async def _open(path: Path) -> Database:
    db = Database(path)
    await db.open()
    return db


async def test_fresh_database_gets_every_step_recorded(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        applied = await migrate(db)
        assert [step.version for step in applied] == [step.version for step in MIGRATIONS]
        rows = await db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(row["version"], row["name"]) for row in rows] == [
            (step.version, step.name) for step in MIGRATIONS
        ]
        assert await migrate(db) == []  # a second run applies nothing
    finally:
        await db.close()


async def test_pragmas_are_set_on_the_file(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
        assert await db.fetch_value("PRAGMA foreign_keys") == 1
        assert await db.fetch_value("PRAGMA busy_timeout") == 5000
    finally:
        await db.close()


async def test_failing_step_leaves_neither_its_changes_nor_its_record(tmp_path: Path) -> None:
    steps = (
        Migration(1, "good", ("CREATE TABLE a (x INTEGER)",)),
        Migration(2, "bad", ("CREATE TABLE b (x INTEGER)", "INSERT INTO missing VALUES (1)")),
    )
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(db, steps)
        tables = {row[0] for row in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert "a" in tables
        assert "b" not in tables
        assert await current_version(db) == 1
    finally:
        await db.close()


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        await migrate(db)
        future = MIGRATIONS[-1].version + 1
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO schema_migrations VALUES (?, 'from_the_future', '2030-01-01')",
                (future,),
            )
        with pytest.raises(SchemaTooNewError, match=f"schema version {future}"):
            await migrate(db)
    finally:
        await db.close()


async def test_step_recorded_under_another_name_is_refused(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        await migrate(db, (Migration(1, "other_branch", ("CREATE TABLE z (x)",)),))
        with pytest.raises(SchemaMismatchError, match="other_branch"):
            await migrate(db)
    finally:
        await db.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        await migrate(db)

        async def insert_then_fail() -> None:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO user_prefs (pseudonym, language, updated_at) "
                    "VALUES ('p', 'vi', '2026-01-01T00:00:00')"
                )
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await insert_then_fail()
        assert await db.fetch_value("SELECT count(*) FROM user_prefs") == 0
    finally:
        await db.close()


async def test_backup_is_a_complete_database(tmp_path: Path) -> None:
    db = await _open(tmp_path / "tips.sqlite3")
    try:
        await migrate(db)
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO user_prefs (pseudonym, language, updated_at) "
                "VALUES ('p', 'en', '2026-01-01T00:00:00')"
            )
        await db.backup_to(tmp_path / "copy" / "backup.sqlite3")
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy" / "backup.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT language FROM user_prefs").fetchone()[0] == "en"
    assert not (tmp_path / "copy" / "backup.sqlite3.partial").exists()
