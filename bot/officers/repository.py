"""SQL for the officers' registry, its append-only history, and the published menus."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from bot.db import Database
from bot.officers.model import Role, as_role

Action = Literal["add", "restore", "role", "unit", "remove"]
Via = Literal["telegram", "cli"]

_SELECT = """
    SELECT officers.user_id, officers.role, officers.unit_id, units.code AS unit_code,
           officers.display_name, officers.active, officers.version,
           officers.created_at, officers.updated_at
    FROM officers LEFT JOIN units ON units.id = officers.unit_id
"""


@dataclass(frozen=True)
class OfficerRecord:
    """One row of the registry, revoked or not."""

    user_id: int
    role: Role
    unit_id: int | None
    unit_code: str | None
    display_name: str
    active: bool
    version: int
    created_at: str
    updated_at: str

    def snapshot(self) -> dict[str, Any]:
        """Return the officer's state as the history records it."""
        return {
            "active": self.active,
            "name": self.display_name,
            "role": self.role,
            "unit": self.unit_code,
            "unit_id": self.unit_id,
        }


@dataclass(frozen=True)
class WaitingNotice:
    """A notice for a person that Telegram could not deliver yet: its catalog key, its version."""

    user_id: int
    key: str
    version: int


@dataclass(frozen=True)
class OfficerChange:
    """One entry of the history: who changed whom, when, from what to what."""

    id: int
    at: str
    actor_id: int | None
    actor_via: Via
    actor_name: str
    officer_id: int
    officer_name: str
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def canonical_json(value: dict[str, Any] | None) -> str | None:
    """Return `value` as byte-stable JSON (sorted keys, no spaces), or None."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record(row: sqlite3.Row) -> OfficerRecord:
    role = as_role(str(row["role"]))
    if role is None:  # the CHECK constraint makes this unreachable
        raise ValueError(f"unknown role {row['role']!r}")
    return OfficerRecord(
        user_id=int(row["user_id"]),
        role=role,
        unit_id=row["unit_id"],
        unit_code=row["unit_code"],
        display_name=str(row["display_name"]),
        active=bool(row["active"]),
        version=int(row["version"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
    )


def _change(row: sqlite3.Row) -> OfficerChange:
    via: Via = "cli" if row["actor_via"] == "cli" else "telegram"
    action: Action = row["action"]
    return OfficerChange(
        id=int(row["id"]),
        at=str(row["at"]),
        actor_id=row["actor_id"],
        actor_via=via,
        actor_name=str(row["actor_name"] or ""),
        officer_id=int(row["officer_id"]),
        officer_name=str(row["officer_name"] or ""),
        action=action,
        before=None if row["state_before"] is None else json.loads(row["state_before"]),
        after=None if row["state_after"] is None else json.loads(row["state_after"]),
    )


class OfficersRepository:
    """Read and write officers; writes take the connection of the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> OfficerRecord | None:
        """Return the registry row of a person, revoked or not, or None."""
        row = await self._db.fetch_one(f"{_SELECT} WHERE officers.user_id = ?", (user_id,))
        return None if row is None else _record(row)

    async def get_in(self, conn: aiosqlite.Connection, user_id: int) -> OfficerRecord | None:
        """Return a row inside an open transaction."""
        async with conn.execute(f"{_SELECT} WHERE officers.user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _record(row)

    async def all(self, *, active_only: bool = True) -> list[OfficerRecord]:
        """Return the registry, admins first, then by unit code and name."""
        rows = await self._db.fetch_all(
            f"""{_SELECT}
            WHERE officers.active = 1 OR ? = 0
            ORDER BY CASE officers.role WHEN 'admin' THEN 0 WHEN 'officer' THEN 1 ELSE 2 END,
                     units.code, officers.display_name, officers.user_id
            """,
            (1 if active_only else 0,),
        )
        return [_record(row) for row in rows]

    async def user_ids(self) -> list[int]:
        """Return every person who is or was in the registry."""
        rows = await self._db.fetch_all("SELECT user_id FROM officers ORDER BY user_id")
        return [int(row["user_id"]) for row in rows]

    async def active_at_units(self, unit_ids: Iterable[int]) -> list[OfficerRecord]:
        """Return the active officers and analysts whose unit is one of `unit_ids`."""
        ids = json.dumps(sorted(set(unit_ids)))
        rows = await self._db.fetch_all(
            f"""{_SELECT}
            WHERE officers.active = 1
              AND officers.unit_id IN (SELECT value FROM json_each(?))
            ORDER BY officers.user_id
            """,
            (ids,),
        )
        return [_record(row) for row in rows]

    async def active_admins(self) -> list[OfficerRecord]:
        """Return the active admins of the registry."""
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE officers.active = 1 AND officers.role = 'admin' "
            "ORDER BY officers.user_id"
        )
        return [_record(row) for row in rows]

    async def count_admins_in(self, conn: aiosqlite.Connection, *, excluding: int) -> int:
        """Count the active admins other than `excluding`, inside an open transaction."""
        async with conn.execute(
            "SELECT count(*) FROM officers WHERE active = 1 AND role = 'admin' AND user_id <> ?",
            (excluding,),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def insert(
        self,
        conn: aiosqlite.Connection,
        *,
        user_id: int,
        role: Role,
        unit_id: int | None,
        display_name: str,
        now: datetime,
    ) -> None:
        """Add a new officer inside an open transaction."""
        stamp = now.isoformat(timespec="seconds")
        await conn.execute(
            "INSERT INTO officers (user_id, role, unit_id, display_name, active, version, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, ?, ?)",
            (user_id, role, unit_id, display_name, stamp, stamp),
        )

    async def update(
        self,
        conn: aiosqlite.Connection,
        *,
        user_id: int,
        role: Role,
        unit_id: int | None,
        display_name: str,
        active: bool,
        now: datetime,
    ) -> None:
        """Overwrite an officer's state and bump its version, inside an open transaction."""
        await conn.execute(
            "UPDATE officers SET role = ?, unit_id = ?, display_name = ?, active = ?, "
            "version = version + 1, updated_at = ? WHERE user_id = ?",
            (
                role,
                unit_id,
                display_name,
                1 if active else 0,
                now.isoformat(timespec="seconds"),
                user_id,
            ),
        )

    async def record_change(
        self,
        conn: aiosqlite.Connection,
        *,
        at: datetime,
        actor_id: int | None,
        actor_via: Via,
        officer_id: int,
        action: Action,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> int:
        """Append one entry to the history inside the change's own transaction."""
        cursor = await conn.execute(
            "INSERT INTO officer_changes (at, actor_id, actor_via, officer_id, action, "
            "state_before, state_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(timespec="seconds"),
                actor_id,
                actor_via,
                officer_id,
                action,
                canonical_json(before),
                canonical_json(after),
            ),
        )
        change_id = cursor.lastrowid
        await cursor.close()
        return int(change_id or 0)

    async def changes(
        self, *, officer_id: int | None = None, limit: int = 20, after_id: int = 0
    ) -> list[OfficerChange]:
        """Return history entries, newest first (or, with `after_id`, oldest first from there)."""
        order = "ASC" if after_id else "DESC"
        rows = await self._db.fetch_all(
            f"""
            SELECT entry.*, actor.display_name AS actor_name,
                   subject.display_name AS officer_name
            FROM officer_changes AS entry
            LEFT JOIN officers AS actor ON actor.user_id = entry.actor_id
            LEFT JOIN officers AS subject ON subject.user_id = entry.officer_id
            WHERE (? IS NULL OR entry.officer_id = ?) AND entry.id > ?
            ORDER BY entry.id {order}
            LIMIT ?
            """,
            (officer_id, officer_id, after_id, limit),
        )
        return [_change(row) for row in rows]

    async def set_display_name(self, user_id: int, name: str) -> None:
        """Store the name Telegram shows for an officer (not a change of access: no history)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE officers SET display_name = ? WHERE user_id = ?", (name, user_id)
            )

    async def menu_digest(self, user_id: int) -> str | None:
        """Return the digest of the menu last published for a person, or None."""
        value = await self._db.fetch_value(
            "SELECT digest FROM officer_menus WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def menu_user_ids(self) -> list[int]:
        """Return everyone who has a published officer menu."""
        rows = await self._db.fetch_all("SELECT user_id FROM officer_menus ORDER BY user_id")
        return [int(row["user_id"]) for row in rows]

    async def set_menu_digest(self, user_id: int, digest: str | None, now: datetime) -> None:
        """Remember the digest of a published menu (None: the person has no officer menu)."""
        async with self._db.transaction() as conn:
            if digest is None:
                await conn.execute("DELETE FROM officer_menus WHERE user_id = ?", (user_id,))
            else:
                await conn.execute(
                    "INSERT INTO officer_menus (user_id, digest, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, "
                    "updated_at = excluded.updated_at",
                    (user_id, digest, now.isoformat(timespec="seconds")),
                )

    # ------------------------------------------------------------ notices waiting for Start

    async def notice_in(self, conn: aiosqlite.Connection, user_id: int) -> str | None:
        """Return the key of the notice waiting for a person, inside an open transaction."""
        async with conn.execute(
            "SELECT notice FROM officer_notices WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def set_notice(
        self, conn: aiosqlite.Connection, user_id: int, key: str | None, now: datetime
    ) -> None:
        """Make `key` the notice waiting for a person (None: nothing waits), in a transaction."""
        if key is None:
            await conn.execute("DELETE FROM officer_notices WHERE user_id = ?", (user_id,))
            return
        await conn.execute(
            "INSERT INTO officer_notices (user_id, notice, version, queued_at) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET notice = excluded.notice, "
            "version = officer_notices.version + 1, queued_at = excluded.queued_at",
            (user_id, key, now.isoformat(timespec="seconds")),
        )

    async def waiting_notice(self, user_id: int) -> WaitingNotice | None:
        """Return the notice waiting for a person, or None."""
        row = await self._db.fetch_one(
            "SELECT notice, version FROM officer_notices WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        return WaitingNotice(user_id, str(row["notice"]), int(row["version"]))

    async def clear_notice(self, notice: WaitingNotice) -> None:
        """Forget a notice once sent, unless a newer one replaced it meanwhile."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM officer_notices WHERE user_id = ? AND version = ?",
                (notice.user_id, notice.version),
            )
