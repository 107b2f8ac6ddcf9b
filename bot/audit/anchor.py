"""Anchors: the audit chain's length and head, MAC'd with SECRET_KEY, kept outside the database.

The chain (bot/audit/log.py) makes an edited or a missing middle row visible, but not a cut end:
someone holding only the database file can drop the no-delete trigger, delete the newest rows
(an officer's `tip.view`) and the rest still verifies. Restoring an older backup looks the same.
An anchor says "on <time> the chain had N rows and row N's hash was H", under a MAC whose key
comes from SECRET_KEY, so the file holder can neither forge a shorter one nor recompute H. It
is written in three places, each out of the database file's reach in a different way:

- beside every backup (`tips-....sqlite3.anchor`, bot/maintenance/backups.py);
- beside the database (`<database>.anchor`), by `AnchorJob` every ANCHOR_EVERY while the head
  moves, and at shutdown;
- to the administrators once a day, as an alert with the count and the head's first characters
  (a copy no one on the server can take back).

`audit verify` and `check` compare the chain with the newest anchor found (by its time): fewer
rows than anchored, or another hash at the anchored row, is reported, and a forged anchor (a
bad MAC) is reported and never trusted.

Why not an anchor per append: a file write and fsync per officer action, for a file the same
attacker can reach. What can be cut unnoticed is what was appended since the last anchor (at
most ANCHOR_EVERY, or since the last daily alert for an attacker who also holds the anchor
files); the daily alert is what an attacker on the server cannot undo.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.audit.log import GENESIS
from bot.db import Database
from bot.kernel.crypto import Keyring

log = logging.getLogger(__name__)

ANCHOR_SUFFIX = ".anchor"
_PURPOSE = "audit-anchor/v1"
_VERSION = 1
# How often the file beside the database follows the head (only when it moved).
ANCHOR_EVERY = timedelta(minutes=10)


class AnchorError(Exception):
    """An anchor file that cannot be trusted (unreadable, or its MAC does not verify)."""


@dataclass(frozen=True)
class Anchor:
    """The chain had `count` rows at `at`; row `count` had hash `head` (GENESIS if none)."""

    count: int
    head: str
    at: datetime

    def _message(self) -> str:
        return f"{_VERSION}\n{self.count}\n{self.head}\n{self.at.isoformat(timespec='seconds')}"

    def seal(self, keyring: Keyring) -> str:
        """Return the anchor as one JSON line with its MAC."""
        return json.dumps(
            {
                "version": _VERSION,
                "count": self.count,
                "head": self.head,
                "at": self.at.isoformat(timespec="seconds"),
                "mac": keyring.mac(_PURPOSE, self._message()),
            }
        )

    @classmethod
    def open(cls, text: str, keyring: Keyring) -> Anchor:
        """Parse a sealed anchor, or raise AnchorError if it is malformed or its MAC is wrong."""
        try:
            data = json.loads(text)
            anchor = cls(int(data["count"]), str(data["head"]), datetime.fromisoformat(data["at"]))
            mac = str(data["mac"])
            version = int(data["version"])
        except (ValueError, KeyError, TypeError) as error:
            raise AnchorError(f"not an anchor ({error})") from None
        expected = keyring.mac(_PURPOSE, anchor._message())
        # compare_digest: the forger must not learn the MAC a character at a time.
        if version != _VERSION or not _same(expected, mac):
            raise AnchorError("its MAC does not verify: forged, or made with another SECRET_KEY")
        return anchor


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def anchor_path(database: Path) -> Path:
    """Return where the anchor of a database (or of a backup) is kept: beside it."""
    return database.with_name(database.name + ANCHOR_SUFFIX)


def write_anchor(path: Path, anchor: Anchor, keyring: Keyring) -> None:
    """Write an anchor atomically (a reader never sees half of one) and durably."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as file:
        file.write(anchor.seal(keyring) + "\n")
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def read_anchor(path: Path, keyring: Keyring) -> Anchor:
    """Read one anchor file, or raise AnchorError naming it."""
    try:
        return Anchor.open(path.read_text(encoding="utf-8"), keyring)
    except OSError as error:
        raise AnchorError(f"{path}: cannot be read ({error})") from None
    except AnchorError as error:
        raise AnchorError(f"{path}: {error}") from None


class ChainHead:
    """The audit chain's reads an anchor needs (the audit package owns the table)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def now(self, at: datetime) -> Anchor:
        """Return an anchor of the chain as it is (rows are numbered 1..N without gaps)."""
        row = await self._db.fetch_one("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        if row is None:
            return Anchor(0, GENESIS, at)
        return Anchor(int(row[0]), str(row[1]), at)

    async def hash_at(self, row_id: int) -> str | None:
        """Return row `row_id`'s hash (GENESIS for row 0), or None if there is no such row."""
        if row_id == 0:
            return GENESIS
        value = await self._db.fetch_value("SELECT hash FROM audit_log WHERE id = ?", (row_id,))
        return None if value is None else str(value)


@dataclass(frozen=True)
class AnchorVerdict:
    """How the chain stands against the anchors found; `ok` False is a finding."""

    ok: bool
    detail: str
    # Anchor files whose MAC did not verify: reported, never compared against.
    refused: tuple[str, ...] = ()


def anchor_files(database: Path, backup_dir: Path | None) -> list[Path]:
    """Return the anchor beside the database and those beside backups that exist."""
    found = [anchor_path(database)]
    if backup_dir is not None and backup_dir.is_dir():
        found.extend(sorted(backup_dir.glob("*.sqlite3" + ANCHOR_SUFFIX)))
    return [path for path in found if path.is_file()]


async def _extends(head: ChainHead, present: int, anchor: Anchor) -> bool:
    return anchor.count <= present and await head.hash_at(anchor.count) == anchor.head


async def compare_with_anchors(
    db: Database, keyring: Keyring, database: Path, backup_dir: Path | None
) -> AnchorVerdict:
    """Compare the chain in `db` with the newest trustworthy anchor beside it or its backups."""
    head = ChainHead(db)
    anchors: list[tuple[Anchor, Path]] = []
    refused: list[str] = []
    for path in anchor_files(database, backup_dir):
        try:
            anchors.append((read_anchor(path, keyring), path))
        except AnchorError as error:
            refused.append(str(error))
    present = (await head.now(datetime.min)).count
    ok, detail = await _against_newest(head, present, anchors, database)
    # A forged anchor is a finding of its own: someone wrote it, and it was not the bot.
    detail = "; ".join([detail, *(f"anchor refused: {reason}" for reason in refused)])
    return AnchorVerdict(ok and not refused, detail, tuple(refused))


async def _against_newest(
    head: ChainHead, present: int, anchors: list[tuple[Anchor, Path]], database: Path
) -> tuple[bool, str]:
    if not anchors:
        return True, f"{present} rows; no anchor found beside the database or its backups"
    newest, newest_path = max(anchors, key=lambda item: (item[0].at, item[0].count))
    when = newest.at.isoformat(timespec="seconds")
    if await _extends(head, present, newest):
        return True, (
            f"{present} rows extend the anchor of {when} ({newest.count} rows, {newest_path.name})"
        )
    if present >= newest.count:
        return False, (
            f"the audit log was rewritten: row {newest.count} is not the one anchored at {when} "
            f"({newest_path.name})"
        )
    # An older state that a backup's own anchor vouches for: most likely a restore.
    restored = [
        path
        for anchor, path in anchors
        if path != anchor_path(database) and await _extends(head, present, anchor)
    ]
    if restored:
        return False, (
            f"this database is older than its anchor: a restored backup? {newest.count} rows "
            f"anchored at {when}, {present} present (it extends {restored[-1].name}); "
            "if the restore was meant, run: python -m bot audit anchor --accept"
        )
    return False, (
        f"the audit log was cut short: {newest.count} rows anchored at {when}, {present} present"
    )


async def update_anchor(
    db: Database, keyring: Keyring, database: Path, now: datetime, *, accept: bool = False
) -> Anchor | None:
    """Write the chain's head beside the database; None if it does not extend the anchor there.

    Never moves an anchor back: a cut chain or a restored backup would otherwise erase the only
    record that it was longer. `accept` (an administrator's `audit anchor --accept` after a
    restore they meant) replaces it anyway, keeping the old file beside it.
    """
    head = ChainHead(db)
    current = await head.now(now)
    path = anchor_path(database)
    if path.is_file():
        try:
            previous: Anchor | None = read_anchor(path, keyring)
        except AnchorError:
            previous = None
        extends = previous is not None and await _extends(head, current.count, previous)
        if previous is not None and previous.count == current.count and extends:
            return previous  # the head has not moved: no write
        if not extends:
            if not accept:
                log.error(
                    "the audit chain (%d rows) does not extend the anchor in %s: not replacing it "
                    "(python -m bot check says why)",
                    current.count,
                    path,
                )
                return None
            kept = path.with_name(f"{path.name}.replaced-{now:%Y%m%d-%H%M%S}")
            path.replace(kept)
            log.warning("anchor %s replaced on request; the old one is kept as %s", path, kept)
    write_anchor(path, current, keyring)
    return current
