"""`python -m bot check`: integrity, migrations and the audit chain, each with a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from bot.audit import AuditLog
from bot.crypto import Keyring
from bot.db import Database
from bot.db.migrations import LATEST_VERSION, MIGRATIONS, recorded_versions


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
    applied = await recorded_versions(db)
    missing = sorted({step.version for step in MIGRATIONS} - set(applied))
    findings.append(
        Finding(
            "migrations",
            not missing,
            f"schema {max(applied, default=0)}, code {LATEST_VERSION}"
            + (f"; steps not applied: {missing} (run: python -m bot migrate)" if missing else ""),
        )
    )
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
