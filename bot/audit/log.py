"""Append to and verify the audit chain.

Each row's hash is an HMAC (key derived from SECRET_KEY) over the previous row's hash and the
row's own fields, so editing or deleting any row breaks the chain from that row on, and someone
who can write the database file but does not hold SECRET_KEY cannot forge a consistent chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot.audit.actions import AUDIT_ACTIONS, UnknownAuditAction
from bot.audit.repository import AuditRepository
from bot.db import Database
from bot.kernel.crypto import Keyring

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainBreak:
    """The first row at which the chain no longer verifies, and why."""

    row_id: int
    reason: str


def _canonical(
    row_id: int, at: str, actor: str, action: str, target: str | None, details: str
) -> str:
    return json.dumps([row_id, at, actor, action, target, details], ensure_ascii=False)


class AuditLog:
    """Write entries inside the caller's transaction and check the chain."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self._db = db
        self._keyring = keyring
        self._rows = AuditRepository(db)

    def _hash(self, prev_hash: str, canonical: str) -> str:
        return self._keyring.mac("audit/v1", prev_hash + "\n" + canonical)

    async def append(
        self,
        conn: aiosqlite.Connection,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry using `conn`, which must be inside `db.transaction()`."""
        if action not in AUDIT_ACTIONS:
            raise UnknownAuditAction(action)
        last = await AuditRepository.last_in(conn)
        row_id = 1 if last is None else last[0] + 1
        prev_hash = GENESIS if last is None else last[1]
        stamp = at.isoformat(timespec="seconds")
        details_json = json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True)
        digest = self._hash(
            prev_hash, _canonical(row_id, stamp, actor, action, target, details_json)
        )
        await AuditRepository.insert_in(
            conn, (row_id, stamp, actor, action, target, details_json, prev_hash, digest)
        )
        return row_id

    async def record(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one entry in its own transaction (for actions that write nothing else)."""
        async with self._db.transaction() as conn:
            return await self.append(
                conn, at=at, actor=actor, action=action, target=target, details=details
            )

    async def verify(self) -> tuple[int, ChainBreak | None]:
        """Walk the whole chain; return how many rows verified and the first break, if any."""
        expected_prev = GENESIS
        expected_id = 1
        checked = 0
        async with self._rows.chain() as cursor:
            async for row in cursor:
                row_id = int(row[0])
                if row_id != expected_id:
                    return checked, ChainBreak(expected_id, f"row {expected_id} is missing")
                if row[6] != expected_prev:
                    return checked, ChainBreak(row_id, "does not follow the previous row")
                canonical = _canonical(row_id, row[1], row[2], row[3], row[4], row[5])
                if self._hash(expected_prev, canonical) != row[7]:
                    return checked, ChainBreak(row_id, "content was changed after it was written")
                expected_prev = str(row[7])
                expected_id += 1
                checked += 1
        return checked, None

    async def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        before_id: int | None = None,
        limit: int = 20,
    ) -> list[AuditEntry]:
        """Return entries newest first, filtered, `limit` at a time (page with `before_id`)."""
        rows = await self._rows.entries(
            actor=actor, action=action, target=target, before_id=before_id, limit=limit
        )
        return [_entry(row) for row in rows]


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=datetime.fromisoformat(row["at"]),
        actor=str(row["actor"]),
        action=str(row["action"]),
        target=row["target"],
        details=json.loads(row["details"]),
    )
