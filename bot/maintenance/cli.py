"""`python -m bot restore`, `python -m bot check` and `python -m bot purge`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.audit.anchor import AnchorVerdict, compare_with_anchors
from bot.core.repository import PreferencesRepository
from bot.db import Database
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.maintenance.backups import RestoreError, inspect_backup, restore_backup
from bot.maintenance.health import Finding, run_checks
from bot.maintenance.retention import PurgeReport, purge_closed_tips, purge_stale_preferences

EXIT_OK = 0
EXIT_FAILED = 1


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    backup = Path(args.backup)
    database = settings.database_path
    try:
        check = inspect_backup(backup)
        if database.exists() and not args.force:
            print(
                f"{database} exists. Stop the bot, then run again with --force to replace it "
                "(the current file is kept beside it)."
            )
            return EXIT_FAILED
        kept = restore_backup(backup, database, datetime.now(UTC))
    except RestoreError as error:
        print(f"Restore refused: {error}")
        return EXIT_FAILED
    print(f"restored {backup} (schema {check.schema_version}) to {database}")
    if kept is not None:
        print(f"the replaced database was kept as {kept}")
    if settings.secret_key is not None:
        verdict = asyncio.run(_anchor_verdict(settings))
        if not verdict.ok:
            print(f"audit anchor: {verdict.detail}")
    return EXIT_OK


async def _anchor_verdict(settings: Settings) -> AnchorVerdict:
    # The anchor beside the database is left as it was: it still says how long the chain
    # was, so `check` keeps saying the database went back until an admin accepts it.
    db = Database(settings.database_path)
    await db.open()
    try:
        keyring = Keyring(settings.secret())
        return await compare_with_anchors(db, keyring, settings.database_path, settings.backup_dir)
    finally:
        await db.close()


async def _check(settings: Settings) -> list[Finding]:
    db = Database(settings.database_path)
    await db.open()
    try:
        keyring = Keyring(settings.secret()) if settings.secret_key is not None else None
        return await run_checks(db, keyring, backup_dir=settings.backup_dir)
    finally:
        await db.close()


def _check_command(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.database_path.exists():
        print(f"DATABASE_PATH: no database at {settings.database_path}")
        return EXIT_FAILED
    findings = asyncio.run(_check(settings))
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.name}: {finding.detail}")
    return EXIT_OK if all(finding.ok for finding in findings) else EXIT_FAILED


async def _purge(settings: Settings, *, dry_run: bool) -> tuple[PurgeReport, int]:
    keyring = Keyring(settings.secret())
    db = Database(settings.database_path)
    await db.open()
    now = datetime.now(UTC)
    try:
        report = await purge_closed_tips(db, keyring, now, settings.retention_days, dry_run=dry_run)
        prefs = await purge_stale_preferences(
            PreferencesRepository(db), now, settings.retention_days, dry_run=dry_run
        )
        return report, prefs
    finally:
        await db.close()


def _purge_command(settings: Settings, args: argparse.Namespace) -> int:
    if settings.retention_days == 0:
        print("RETENTION_DAYS is 0: closed tips keep their links for ever; nothing to purge.")
        return EXIT_OK
    if not settings.database_path.exists():
        print(f"DATABASE_PATH: no database at {settings.database_path}")
        return EXIT_FAILED
    report, prefs = asyncio.run(_purge(settings, dry_run=args.dry_run))
    closed_before = report.cutoff.date().isoformat()
    if report.dry_run:
        print(
            f"would purge the tipster links and file references of {report.count} tips closed "
            f"before {closed_before} (RETENTION_DAYS={settings.retention_days}); "
            "nothing was changed"
        )
    else:
        print(
            f"purged the tipster links and file references of {report.count} tips closed "
            f"before {closed_before} (RETENTION_DAYS={settings.retention_days})"
        )
    verb = "would purge" if report.dry_run else "purged"
    print(f"{verb} the language choices of {prefs} people not seen since {closed_before}")
    return EXIT_OK


def add_maintenance_commands(commands: Any) -> None:
    """Add `restore`, `check` and `purge` to the CLI's subparsers."""
    restore = commands.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("backup", help="the backup file to restore")
    restore.add_argument("--force", action="store_true", help="replace an existing database")
    restore.set_defaults(handler=_restore)
    commands.add_parser(
        "check", help="check integrity, migrations and the audit chain"
    ).set_defaults(handler=_check_command)
    purge = commands.add_parser(
        "purge",
        help="cut the tipster links and file references of tips closed over RETENTION_DAYS ago",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="only count the tips that would be purged"
    )
    purge.set_defaults(handler=_purge_command)
