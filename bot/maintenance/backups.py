"""Online backups on a schedule, with retention, and a checked restore."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.audit.anchor import ChainHead, anchor_path, write_anchor
from bot.db import Database
from bot.db.migrations import LATEST_VERSION
from bot.kernel.crypto import Keyring

log = logging.getLogger(__name__)

_PREFIX = "tips-"
_SUFFIX = ".sqlite3"


def backup_name(now: datetime) -> str:
    """Return the file name of a backup taken at `now` (sortable by time)."""
    return f"{_PREFIX}{now.strftime('%Y%m%d-%H%M%S')}{_SUFFIX}"


def existing_backups(folder: Path) -> list[Path]:
    """Return the backups in a folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(_PREFIX) and path.name.endswith(_SUFFIX)
    )


async def backup_with_anchor(
    db: Database, target: Path, now: datetime, keyring: Keyring | None
) -> None:
    """Copy the live database to `target` and, with the key, write its anchor beside it.

    The head is read before the copy: rows appended meanwhile are in the backup too, and an
    anchor only says "at least these rows, ending in this hash" (bot/audit/anchor.py).
    """
    head = None if keyring is None else await ChainHead(db).now(now)
    await db.backup_to(target)
    if keyring is not None and head is not None:
        write_anchor(anchor_path(target), head, keyring)


async def take_backup(
    db: Database, folder: Path, now: datetime, keep: int, keyring: Keyring | None = None
) -> Path:
    """Copy the live database into `folder` and delete all but the newest `keep` backups."""
    target = folder / backup_name(now)
    await backup_with_anchor(db, target, now, keyring)
    for old in existing_backups(folder)[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
        anchor_path(old).unlink(missing_ok=True)
        log.info("removed old backup %s", old.name)
    log.info("backed up the database to %s", target)
    return target


class RestoreError(Exception):
    """A backup that must not be restored, with the reason in one line."""


@dataclass(frozen=True)
class BackupCheck:
    """What a backup file holds."""

    schema_version: int
    integrity: str


def inspect_backup(path: Path) -> BackupCheck:
    """Open a backup read-only and check its integrity and schema version."""
    if not path.is_file():
        raise RestoreError(f"{path}: no such file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise RestoreError(f"{path}: not a database of this bot ({error})") from None
    if integrity != "ok":
        raise RestoreError(f"{path}: integrity check failed ({integrity})")
    if version is None or int(version) > LATEST_VERSION:
        raise RestoreError(
            f"{path}: schema version {version} is not one this bot can run (max {LATEST_VERSION})"
        )
    return BackupCheck(schema_version=int(version), integrity=integrity)


def restore_backup(backup: Path, database: Path, now: datetime) -> Path | None:
    """Replace `database` with `backup`, keeping the replaced file aside; return where it went.

    The bot must be stopped: restoring under a running bot would be overwritten by its writes.
    """
    inspect_backup(backup)
    kept: Path | None = None
    if database.exists():
        kept = database.with_name(f"{database.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        with sqlite3.connect(database) as live, sqlite3.connect(kept) as aside:
            live.backup(aside)
    database.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(backup) as source, sqlite3.connect(database) as target:
        # The backup API rewrites every page of the target, WAL included, atomically.
        source.backup(target)
    return kept
