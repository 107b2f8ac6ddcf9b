"""The audit chain: appends verify; an edit, a deletion or a forged chain is named by row."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import AuditLog, ChainBreak
from bot.db import Database, migrate
from bot.kernel.crypto import Keyring
from bot.testing.harness import run_bot_cli

KEY = b"audit-test-secret-key-0123456789abcdef"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def audit(database_path: Path) -> AsyncIterator[AuditLog]:
    db = Database(database_path)
    await db.open()
    await migrate(db)
    log = AuditLog(db, Keyring(KEY))
    for index in range(5):
        await log.record(
            at=T0 + timedelta(minutes=index),
            actor="officer:100",
            action="tip.view" if index % 2 else "tip.status",
            target=f"tip:TB-AAAA-000{index}",
            details={"to": "verifying", "note": "ghi chú"} if index == 2 else None,
        )
    yield log
    await db.close()


def _tamper(database_path: Path, *statements: str) -> None:
    with sqlite3.connect(database_path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            conn.execute(statement)


async def test_untouched_chain_verifies(audit: AuditLog) -> None:
    assert await audit.verify() == (5, None)


async def test_the_bot_cannot_rewrite_history(audit: AuditLog, database_path: Path) -> None:
    with sqlite3.connect(database_path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE audit_log SET actor = 'officer:999' WHERE id = 3")
    with sqlite3.connect(database_path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM audit_log WHERE id = 3")
    assert await audit.verify() == (5, None)


async def test_edited_row_is_named(audit: AuditLog, database_path: Path) -> None:
    _tamper(database_path, "UPDATE audit_log SET details = '{}' WHERE id = 3")
    assert await audit.verify() == (2, ChainBreak(3, "content was changed after it was written"))


async def test_deleted_row_is_named(audit: AuditLog, database_path: Path) -> None:
    _tamper(database_path, "DELETE FROM audit_log WHERE id = 4")
    assert await audit.verify() == (3, ChainBreak(4, "row 4 is missing"))


async def test_recomputed_chain_without_the_key_is_detected(
    audit: AuditLog, database_path: Path
) -> None:
    forger = AuditLog(Database(database_path), Keyring(b"the-forgers-own-key-0123456789abcdef"))
    _tamper(database_path, "DELETE FROM audit_log WHERE id >= 2")
    async with audit._db.transaction() as conn:  # the forger appends with another key
        await forger.append(conn, at=T0, actor="officer:666", action="tip.view")
    checked, broken = await audit.verify()
    assert checked == 1
    assert broken == ChainBreak(2, "content was changed after it was written")


async def test_entries_filter_and_page(audit: AuditLog) -> None:
    newest = await audit.entries(limit=2)
    assert [entry.id for entry in newest] == [5, 4]
    older = await audit.entries(limit=2, before_id=4)
    assert [entry.id for entry in older] == [3, 2]
    views = await audit.entries(action="tip.view")
    assert {entry.id for entry in views} == {2, 4}
    assert (await audit.entries(target="tip:TB-AAAA-0002"))[0].details == {
        "note": "ghi chú",
        "to": "verifying",
    }
    assert await audit.entries(actor="officer:404") == []


def test_cli_verify_names_the_edited_row(audit: AuditLog, database_path: Path) -> None:
    def verify() -> subprocess.CompletedProcess[str]:
        return run_bot_cli(
            "audit", "verify", DATABASE_PATH=str(database_path), SECRET_KEY=KEY.decode()
        )

    good = verify()
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "audit chain OK: 5 rows verified"
    _tamper(database_path, "UPDATE audit_log SET actor = 'officer:1' WHERE id = 2")
    bad = verify()
    assert bad.returncode == 1
    assert "BROKEN at row 2: content was changed" in bad.stdout
