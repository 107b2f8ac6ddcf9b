"""`python -m bot check`: integrity, migrations, audit chain and anchor, dead letters, each judged.

Dead letters (outbox rows that failed for good, bot/tips/outbox.py) fail the check: each is a
tip card, a relay or an alert that reached nobody and waits for an administrator, so a monitor
running `check` must see it. The bot and its data are otherwise fine; the detail says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.audit import AuditLog
from bot.audit.anchor import compare_with_anchors
from bot.db import Database
from bot.db.migrations import LATEST_VERSION, MIGRATIONS, recorded_versions
from bot.inbox.repository import InboxRepository
from bot.kernel.crypto import Keyring
from bot.tips.repository import DeadLetter, OutboxRepository, TipsRepository

# Dead letters named one by one; the count says how many more /deadletters lists.
DEAD_LETTERS_SHOWN = 5


@dataclass(frozen=True)
class Finding:
    """One check's name, whether it passed, and what it saw."""

    name: str
    ok: bool
    detail: str


async def run_checks(
    db: Database, keyring: Keyring | None, *, backup_dir: Path | None = None
) -> list[Finding]:
    """Check the database file, its schema and (with the key) the audit chain and its anchors."""
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
        # A chain that verifies can still have lost its newest rows: only an anchor kept
        # outside the file (bot/audit/anchor.py) says how long it was.
        verdict = await compare_with_anchors(db, keyring, db.path, backup_dir)
        findings.append(Finding("audit anchor", verdict.ok, verdict.detail))
    if not missing:
        findings.append(await _dead_letters(db))
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


async def _dead_letters(db: Database) -> Finding:
    outbox = OutboxRepository(db)
    count = await outbox.dead_count()
    if count == 0:
        return Finding("dead letters", True, "none")
    tips = TipsRepository(db)
    lines = [
        f"{count} deliveries failed for good and wait for an admin "
        "(/deadletters in the bot; /deadletters retry ID puts one back); newest:"
    ]
    lines.extend(
        [
            await _dead_letter(tips, letter)
            for letter in await outbox.dead_letters(limit=DEAD_LETTERS_SHOWN)
        ]
    )
    return Finding("dead letters", False, "\n    ".join(lines))


async def _dead_letter(tips: TipsRepository, letter: DeadLetter) -> str:
    code = await tips.code_of(letter.payload)
    return (
        f"#{letter.id} {letter.kind}"
        + (f" tip {code}" if code else "")
        + f" died {letter.dead_at.isoformat(timespec='seconds')} after {letter.attempts} tries: "
        + (letter.last_error or "no error recorded")[:200]
    )
