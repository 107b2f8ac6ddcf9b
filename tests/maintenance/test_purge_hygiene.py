"""What the retention purge removes is gone from the bytes; choices do not outlive their use."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.maintenance.retention import JOB_NAME, SEEN_JOB_NAME
from bot.testing.harness import TEST_SECRET, BotHarness, run_bot_cli, settings_for_tests
from bot.testing.updates import Person
from tests.maintenance.test_retention import close
from tests.tips.flow import Answers, deliver, submit, tips_settings

STALE = Person(id=4440101, first_name="Cúc")
ACTIVE = Person(id=4440102, first_name="Đào")


def _holding(folder: Path, needle: bytes) -> list[str]:
    """Return the files in `folder` (database, WAL, backups) whose bytes contain `needle`."""
    return sorted(
        path.name for path in folder.rglob("*") if path.is_file() and needle in path.read_bytes()
    )


async def test_a_purged_pseudonym_is_gone_from_the_file_bytes_and_a_later_backup(
    database_path: Path, resident: Person, tmp_path: Path
) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        code = await submit(bot, resident, Answers(contact="0912 345 678"))
        await deliver(bot)
        await close(bot, code, bot.clock.now() - timedelta(days=400))
        needle = bot.app.services.keyring.pseudonym(resident.id).encode()
    folder = database_path.parent
    # The needle is right: before the purge the file holds it.
    assert _holding(folder, needle) != []
    env = {"DATABASE_PATH": str(database_path), "SECRET_KEY": TEST_SECRET, "RETENTION_DAYS": "365"}
    done = run_bot_cli("purge", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert "purged the tipster links and file references of 1 tips" in done.stdout
    # No VACUUM ran: secure_delete overwrote the old cells in place (database and WAL alike).
    assert _holding(folder, needle) == []
    backup = folder / "later" / "after-purge.sqlite3"
    taken = run_bot_cli("backup", str(backup), cwd=tmp_path, **env)
    assert taken.returncode == 0, taken.stderr
    assert backup.is_file()
    assert _holding(folder, needle) == []


def _choices(database_path: Path) -> set[str]:
    with sqlite3.connect(database_path) as conn:
        return {str(row[0]) for row in conn.execute("SELECT pseudonym FROM user_prefs")}


async def test_language_choices_of_people_not_seen_for_the_retention_time_are_purged(
    database_path: Path,
) -> None:
    settings = settings_for_tests(database_path, retention_days=30)
    async with BotHarness(settings) as bot:
        keyring = bot.app.services.keyring
        for person in (STALE, ACTIVE):
            await bot.say(person, "/language")
            await bot.press(person, "🇬🇧 English")
        bot.clock.advance(timedelta(days=29))
        await bot.say(ACTIVE, "/start")  # a sighting, written by the hourly job
        jobs = bot.app.job_queue
        assert jobs is not None
        await jobs.get_jobs_by_name(SEEN_JOB_NAME)[0].run(bot.app)
        bot.clock.advance(timedelta(days=2))
        await jobs.get_jobs_by_name(JOB_NAME)[0].run(bot.app)
        assert _choices(database_path) == {keyring.pseudonym(ACTIVE.id)}
        # The one who stayed keeps their language; the other gets the default if they return.
        await bot.say(ACTIVE, "/start")
        assert bot.api.last_text(ACTIVE.id).startswith("Hello Đào!")
        await bot.say(STALE, "/start")
        assert not bot.api.last_text(STALE.id).startswith("Hello")
