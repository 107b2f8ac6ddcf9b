"""Anchors: a chain cut short, a restored older backup or a forged anchor is reported."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

from bot.audit.anchor import Anchor, anchor_path, read_anchor
from bot.audit.jobs import ALERT_JOB_NAME, HEAD_SHOWN, JOB_NAME
from bot.kernel.crypto import Keyring
from bot.maintenance.backups import existing_backups
from bot.maintenance.jobs import JOB_NAME as BACKUP_JOB
from bot.testing.harness import TEST_SECRET, BotHarness, run_bot_cli, settings_for_tests
from tests.officers.conftest import ADMIN
from tests.tips.flow import deliver, tips_settings, visible


async def _record(bot: BotHarness, count: int) -> None:
    services = bot.app.services
    for _ in range(count):
        await services.audit.record(
            at=services.clock.now(), actor="officer:9100002", action="tip.view", target="tip:X"
        )


def _cut_newest(database_path: Path, rows: int) -> None:
    """What someone holding only the file does: drop the trigger, delete, put it back."""
    with sqlite3.connect(database_path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(
            "DELETE FROM audit_log WHERE id > (SELECT max(id) FROM audit_log) - ?", (rows,)
        )
        conn.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def _cli(database_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_bot_cli(
        *args,
        DATABASE_PATH=str(database_path),
        SECRET_KEY=TEST_SECRET,
        BACKUP_DIR=str(database_path.parent / "backups"),
    )


async def test_deleting_the_newest_audit_rows_is_found_by_verify_and_check(
    database_path: Path,
) -> None:
    async with BotHarness(settings_for_tests(database_path)) as bot:
        await _record(bot, 5)
    # Shutdown anchored the 5 rows beside the database.
    assert read_anchor(anchor_path(database_path), Keyring(TEST_SECRET.encode())).count == 5
    _cut_newest(database_path, 3)
    verify = _cli(database_path, "audit", "verify")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "audit chain CUT: 2 rows verify" in verify.stdout
    assert "the audit log was cut short: 5 rows anchored at" in verify.stdout
    assert "2 present" in verify.stdout
    # A bot started on the cut file does not move the anchor back to 2 rows.
    async with BotHarness(settings_for_tests(database_path)) as bot:
        await bot.app.job_queue.get_jobs_by_name(JOB_NAME)[0].run(bot.app)  # type: ignore[union-attr]
    check = _cli(database_path, "check")
    assert check.returncode == 1
    assert "ok   audit chain: 2 rows verified" in check.stdout
    assert "FAIL audit anchor: the audit log was cut short: 5 rows anchored at" in check.stdout


async def test_a_restored_older_backup_is_reported_until_an_admin_accepts_it(
    database_path: Path,
) -> None:
    backups = database_path.parent / "backups"
    async with BotHarness(settings_for_tests(database_path, backup_dir=backups)) as bot:
        await _record(bot, 2)
        await bot.app.job_queue.get_jobs_by_name(BACKUP_JOB)[0].run(bot.app)  # type: ignore[union-attr]
        await _record(bot, 3)
    [backup] = existing_backups(backups)
    assert read_anchor(anchor_path(backup), Keyring(TEST_SECRET.encode())).count == 2
    restore = _cli(database_path, "restore", str(backup), "--force")
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "audit anchor: this database is older than its anchor: a restored backup?" in (
        restore.stdout
    )
    check = _cli(database_path, "check")
    assert check.returncode == 1
    assert (
        "FAIL audit anchor: this database is older than its anchor: a restored backup? "
        "5 rows anchored at"
    ) in check.stdout
    assert f"2 present (it extends {backup.name}.anchor)" in check.stdout
    refused = _cli(database_path, "audit", "anchor")
    assert refused.returncode == 1
    accepted = _cli(database_path, "audit", "anchor", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    again = _cli(database_path, "check")
    assert again.returncode == 0, again.stdout
    assert "ok   audit anchor: 2 rows extend the anchor of" in again.stdout


async def test_a_forged_anchor_is_refused_not_trusted(database_path: Path) -> None:
    async with BotHarness(settings_for_tests(database_path)) as bot:
        await _record(bot, 5)
    path = anchor_path(database_path)
    genuine = json.loads(path.read_text())
    _cut_newest(database_path, 3)
    with sqlite3.connect(database_path) as conn:
        head = str(conn.execute("SELECT hash FROM audit_log WHERE id = 2").fetchone()[0])
    # The forger rewrites the anchor to the cut chain, newer, with a MAC under a key they made.
    forged = Anchor(2, head, Anchor.open(path.read_text(), Keyring(TEST_SECRET.encode())).at)
    sealed = json.loads(forged.seal(Keyring(b"the-forgers-own-key-0123456789abcdef")))
    sealed["at"] = "2099-01-01T00:00:00+00:00"
    path.write_text(json.dumps(sealed))
    assert genuine["mac"] != sealed["mac"]
    verify = _cli(database_path, "audit", "verify")
    assert verify.returncode == 1, verify.stdout
    assert "anchor refused:" in verify.stdout
    assert "its MAC does not verify" in verify.stdout
    check = _cli(database_path, "check")
    assert check.returncode == 1
    assert "FAIL audit anchor: 2 rows; no anchor found" in check.stdout
    assert "anchor refused:" in check.stdout


async def test_the_daily_anchor_reaches_an_admin(database_path: Path) -> None:
    settings = tips_settings(database_path, admin_user_ids=(ADMIN.id,))
    async with BotHarness(settings) as bot:
        await _record(bot, 4)
        jobs = bot.app.job_queue.get_jobs_by_name(ALERT_JOB_NAME)  # type: ignore[union-attr]
        assert jobs[0].job.trigger.interval == timedelta(days=1)
        await jobs[0].run(bot.app)
        await deliver(bot)
        head = await bot.app.services.db.fetch_value("SELECT hash FROM audit_log WHERE id = 4")
        [alert] = bot.api.sent_messages(ADMIN.id)
        text = visible(alert)
        assert "4 dòng" in text
        assert f"mã cuối {head[:HEAD_SHOWN]}" in text
        # The same post anchored the head beside the database.
        anchored = read_anchor(anchor_path(database_path), Keyring(TEST_SECRET.encode()))
        assert (anchored.count, anchored.head) == (4, head)
