"""Scheduled backups with retention, a checked restore, and `python -m bot check`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.maintenance.backups import (
    RestoreError,
    existing_backups,
    inspect_backup,
    restore_backup,
    take_backup,
)
from bot.maintenance.jobs import JOB_NAME
from bot.testing.harness import (
    TEST_SECRET,
    BotHarness,
    run_bot_cli,
    settings_for_tests,
)
from bot.testing.updates import Person

T0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


async def test_backups_rotate_and_keep_the_newest(harness: BotHarness, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    for hour in range(5):
        await take_backup(harness.app.services.db, folder, T0 + timedelta(hours=hour), keep=3)
    names = [path.name for path in existing_backups(folder)]
    assert names == [
        "tips-20260501-040000.sqlite3",
        "tips-20260501-050000.sqlite3",
        "tips-20260501-060000.sqlite3",
    ]
    assert inspect_backup(folder / names[-1]).integrity == "ok"


async def test_the_backup_job_is_scheduled_and_writes_a_backup(database_path: Path) -> None:
    settings = settings_for_tests(
        database_path, backup_dir=database_path.parent / "auto", backup_interval_hours=6
    )
    async with BotHarness(settings) as running:
        jobs = running.app.job_queue.get_jobs_by_name(JOB_NAME) if running.app.job_queue else ()
        assert len(jobs) == 1
        await jobs[0].run(running.app)
        assert len(existing_backups(database_path.parent / "auto")) == 1


async def test_backups_can_be_turned_off(database_path: Path) -> None:
    settings = settings_for_tests(database_path, backup_interval_hours=0)
    async with BotHarness(settings) as running:
        assert running.app.job_queue is not None
        assert running.app.job_queue.get_jobs_by_name(JOB_NAME) == ()


async def test_a_failing_backup_is_logged_not_fatal(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = database_path.parent / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    settings = settings_for_tests(database_path, backup_dir=blocker)
    async with BotHarness(settings) as running:
        jobs = running.app.job_queue.get_jobs_by_name(JOB_NAME) if running.app.job_queue else ()
        await jobs[0].run(running.app)
    assert any("scheduled backup" in record.getMessage() for record in caplog.records)


async def test_restore_brings_back_the_data_and_keeps_the_replaced_file(
    database_path: Path, tmp_path: Path
) -> None:
    person = Person(id=4440001, first_name="An")
    async with BotHarness(settings_for_tests(database_path)) as running:
        await running.say(person, "/language")
        await running.press(person, "🇬🇧 English")
        backup = await take_backup(running.app.services.db, tmp_path / "b", T0, keep=2)
        async with running.app.services.db.transaction() as conn:
            await conn.execute("DELETE FROM user_prefs")
    kept = restore_backup(backup, database_path, T0)
    assert kept is not None
    assert kept.exists()
    with sqlite3.connect(database_path) as conn:
        assert conn.execute("SELECT language FROM user_prefs").fetchall() == [("en",)]
    async with BotHarness(settings_for_tests(database_path)) as restarted:
        await restarted.say(person, "/start")
        assert restarted.api.last_text(person.id).startswith("Hello An!")


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RestoreError, match="not a database of this bot"):
        inspect_backup(bogus)
    with pytest.raises(RestoreError, match="no such file"):
        inspect_backup(tmp_path / "missing.sqlite3")


def test_cli_restore_needs_force_over_an_existing_database(tmp_path: Path) -> None:
    assert run_bot_cli("migrate", cwd=tmp_path).returncode == 0
    assert run_bot_cli("backup", "copy.sqlite3", cwd=tmp_path).returncode == 0
    refused = run_bot_cli("restore", "copy.sqlite3", cwd=tmp_path)
    assert refused.returncode == 1
    assert "--force" in refused.stdout
    done = run_bot_cli("restore", "copy.sqlite3", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "restored copy.sqlite3" in done.stdout
    assert list((tmp_path / "data").glob("tips.sqlite3.before-restore-*"))


def test_cli_check_reports_each_verdict(tmp_path: Path) -> None:
    assert run_bot_cli("migrate", cwd=tmp_path).returncode == 0
    good = run_bot_cli("check", cwd=tmp_path, SECRET_KEY=TEST_SECRET)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ok   integrity: ok" in good.stdout
    assert "ok   audit chain: 0 rows verified" in good.stdout
    no_key = run_bot_cli("check", cwd=tmp_path)
    assert no_key.returncode == 1
    assert "FAIL audit chain: SECRET_KEY is not set" in no_key.stdout
    with sqlite3.connect(tmp_path / "data" / "tips.sqlite3") as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = 1")
    stale = run_bot_cli("check", cwd=tmp_path, SECRET_KEY=TEST_SECRET)
    assert stale.returncode == 1
    assert "FAIL migrations" in stale.stdout
