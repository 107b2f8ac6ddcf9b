"""`python -m bot check`: integrity, migrations and the audit chain, each with a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from bot.audit import AuditLog
from bot.crypto import Keyring
from bot.db import Database
from bot.db.migrations import LATEST_VERSION, MIGRATIONS, applied_versions
from bot.inbox.repository import InboxRepository


@dataclass(frozen=True)
class Finding:
    """One check's name, whether it passed, and what it saw."""

    name: str
    ok: bool
    detail: str


async def run_checks(db: Database, keyring: Keyring | None) -> list[Finding]:
    """Check the database file, its schema and (with the key) the audit chain."""
    findings: list[Finding] = []
    integrity = [str(row[0]) for row in await db.fetch_all("PRAGMA integrity_check")]
    findings.append(Finding("integrity", integrity == ["ok"], "; ".join(integrity[:5])))
    foreign = await db.fetch_all("PRAGMA foreign_key_check")
    findings.append(Finding("foreign keys", not foreign, f"{len(foreign)} dangling references"))
    applied = await applied_versions(db.conn)
    missing = sorted({step.version for step in MIGRATIONS} - set(applied))
    findings.append(
        Finding(
            "migrations",
            not missing,
            f"schema {max(applied, default=0)}, code {LATEST_VERSION}"
            + (f"; steps not applied: {missing} (run: python -m bot migrate)" if missing else ""),
        )
    )
    if not missing:
        findings.append(await _inbox_finding(InboxRepository(db)))
    if keyring is None:
        findings.append(Finding("audit chain", False, "SECRET_KEY is not set; cannot verify"))
    else:
        checked, broken = await AuditLog(db, keyring).verify()
        detail = (
            f"{checked} rows verified"
            if broken is None
            else f"broken at row {broken.row_id}: {broken.reason}"
        )
        findings.append(Finding("audit chain", broken is None, detail))
    return findings


async def _inbox_finding(inbox: InboxRepository) -> Finding:
    """Pass unless an update was parked: a person's message waits for an administrator."""
    counts = await inbox.counts()
    parked = await inbox.parked(limit=3)
    detail = f"{counts.get('pending', 0)} pending, {counts.get('parked', 0)} parked"
    if parked:
        detail += "; " + "; ".join(
            f"update {row.update_id}: {row.last_error or 'no error recorded'}" for row in parked
        )
        detail += " (see python -m bot inbox; --requeue puts them back)"
    return Finding("inbox", not parked, detail)
