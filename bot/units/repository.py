"""SQL for the unit tree: lookups by code and name, subtrees and ancestors."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.db import Database
from bot.kernel.text import fold
from bot.units.model import Unit

_COLUMNS = "id, code, name_vi, name_en, parent_id, level, active, chat_id, latitude, longitude"


def _unit(row: sqlite3.Row) -> Unit:
    return Unit(
        id=int(row["id"]),
        code=str(row["code"]),
        name_vi=str(row["name_vi"]),
        name_en=row["name_en"],
        parent_id=row["parent_id"],
        level=str(row["level"]),
        active=bool(row["active"]),
        chat_id=row["chat_id"],
        latitude=row["latitude"],
        longitude=row["longitude"],
    )


def _nfc(text: str) -> str:
    # One stored form: a name typed on a phone (NFC) and one pasted from a Mac file (NFD)
    # must be the same bytes in the database, exports and figures.
    return unicodedata.normalize("NFC", text.strip())


@dataclass(frozen=True)
class UnitRecord:
    """A unit as written by an import: its parent named by code."""

    code: str
    name_vi: str
    name_en: str | None
    parent_code: str | None
    level: str
    active: bool = True
    # The unit's own officers' chat; written only when `set_chat` is true, so an import
    # without a chat_id column keeps the chats already configured.
    chat_id: int | None = None
    set_chat: bool = False
    # The unit's centroid; written only when `set_centroid` is true (the file has lat and lon
    # columns), so an older file without them keeps the centroids already configured.
    latitude: float | None = None
    longitude: float | None = None
    set_centroid: bool = False


@dataclass(frozen=True)
class UnitEdge:
    """A unit reduced to what tree validation needs: its code, its parent's code, its state."""

    code: str
    parent_code: str | None
    active: bool


class UnitsRepository:
    """Read and write units."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_code(self, code: str) -> Unit | None:
        """Return the unit with this code (codes compare case-insensitively), or None."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM units WHERE code = ?", (code.strip(),)
        )
        return None if row is None else _unit(row)

    async def by_id(self, unit_id: int) -> Unit | None:
        """Return the unit with this id, or None."""
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM units WHERE id = ?", (unit_id,))
        return None if row is None else _unit(row)

    async def all(self) -> list[Unit]:
        """Return every unit, parents before children."""
        rows = await self._db.fetch_all(
            f"""
            WITH RECURSIVE tree(id, depth, sort_path) AS (
                SELECT id, 0, code FROM units WHERE parent_id IS NULL
                UNION ALL
                SELECT units.id, tree.depth + 1, tree.sort_path || '/' || units.code
                FROM units JOIN tree ON units.parent_id = tree.id
            )
            SELECT {_COLUMNS} FROM units JOIN tree USING (id) ORDER BY tree.sort_path
            """
        )
        return [_unit(row) for row in rows]

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        active_only: bool = True,
        within: int | None = None,
    ) -> list[Unit]:
        """Find units by name or code, ignoring case, diacritics and Unicode form.

        Exact matches come first, then names starting with the query, then names containing it.
        With `within`, only that unit and the units below it are searched.
        """
        folded = fold(query)
        if not folded:
            return []
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._db.fetch_all(
            f"""
            SELECT {_COLUMNS},
                   CASE
                       WHEN lower(code) = ? THEN 0
                       WHEN search_name = ? OR search_name LIKE ? || ' |%' ESCAPE '\\'
                            OR search_name LIKE '%| ' || ? ESCAPE '\\' THEN 1
                       WHEN search_name LIKE ? || '%' ESCAPE '\\' THEN 2
                       ELSE 3
                   END AS rank
            FROM units
            WHERE (lower(code) = ? OR search_name LIKE '%' || ? || '%' ESCAPE '\\')
              AND (active = 1 OR ? = 0)
              AND (? IS NULL OR id IN (
                  WITH RECURSIVE below(id) AS (
                      SELECT ?
                      UNION
                      SELECT child.id FROM units AS child JOIN below ON child.parent_id = below.id
                  )
                  SELECT id FROM below
              ))
            ORDER BY rank, length(name_vi), name_vi
            LIMIT ?
            """,
            (
                folded,
                folded,
                escaped,
                escaped,
                escaped,
                folded,
                escaped,
                1 if active_only else 0,
                within,
                within,
                limit,
            ),
        )
        return [_unit(row) for row in rows]

    async def children(self, unit_id: int) -> list[Unit]:
        """Return the direct children of a unit, by name."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM units WHERE parent_id = ? ORDER BY name_vi", (unit_id,)
        )
        return [_unit(row) for row in rows]

    async def subtree_ids(self, unit_id: int) -> list[int]:
        """Return the ids of a unit and every unit below it, at any depth."""
        rows = await self._db.fetch_all(
            """
            WITH RECURSIVE below(id) AS (
                SELECT ?
                UNION
                SELECT units.id FROM units JOIN below ON units.parent_id = below.id
            )
            SELECT id FROM below
            """,
            (unit_id,),
        )
        return [int(row["id"]) for row in rows]

    async def ancestors(self, unit_id: int) -> list[Unit]:
        """Return the unit's chain from the root down to the unit itself."""
        rows = await self._db.fetch_all(
            f"""
            WITH RECURSIVE up(id, depth) AS (
                SELECT ?, 0
                UNION ALL
                SELECT units.parent_id, up.depth + 1
                FROM units JOIN up ON units.id = up.id
                -- The depth cap ends the walk even if a bad edit ever made a cycle.
                WHERE units.parent_id IS NOT NULL AND up.depth < 64
            )
            SELECT {_COLUMNS} FROM units JOIN up USING (id) ORDER BY up.depth DESC
            """,
            (unit_id,),
        )
        return [_unit(row) for row in rows]

    async def is_within(self, unit_id: int, scope_id: int) -> bool:
        """Say whether `unit_id` is `scope_id` or lies below it."""
        return any(unit.id == scope_id for unit in await self.ancestors(unit_id))

    async def edges(self) -> list[UnitEdge]:
        """Return every unit as (code, parent code, active), for validating an import."""
        rows = await self._db.fetch_all(
            """
            SELECT unit.code AS code, parent.code AS parent_code, unit.active AS active
            FROM units AS unit LEFT JOIN units AS parent ON unit.parent_id = parent.id
            """
        )
        return [UnitEdge(str(row["code"]), row["parent_code"], bool(row["active"])) for row in rows]

    async def count(self) -> int:
        """Return how many units exist, retired ones included."""
        return int(await self._db.fetch_value("SELECT count(*) FROM units") or 0)

    async def with_chats(self) -> list[Unit]:
        """Return the units that have an officers' chat of their own."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM units WHERE chat_id IS NOT NULL ORDER BY code"
        )
        return [_unit(row) for row in rows]

    async def active_with_centroids(self) -> list[tuple[Unit, int]]:
        """Return each active unit that has a centroid, with its depth in the tree (root 0)."""
        rows = await self._db.fetch_all(
            f"""
            WITH RECURSIVE tree (id, depth) AS (
                SELECT id, 0 FROM units WHERE parent_id IS NULL
                UNION ALL
                SELECT units.id, tree.depth + 1 FROM units JOIN tree ON units.parent_id = tree.id
            )
            SELECT {_COLUMNS}, tree.depth AS depth FROM units JOIN tree USING (id)
            WHERE active = 1 AND latitude IS NOT NULL AND longitude IS NOT NULL
            ORDER BY code
            """
        )
        return [(_unit(row), int(row["depth"])) for row in rows]

    async def nearest_chat(self, unit_id: int) -> int | None:
        """Return the officers' chat of the unit or of its nearest ancestor that has one."""
        for unit in reversed(await self.ancestors(unit_id)):
            if unit.chat_id is not None:
                return unit.chat_id
        return None

    async def save_all(self, records: Sequence[UnitRecord], now: datetime) -> int:
        """Insert or update units in one transaction, parents resolved by code; return count.

        Records must be ordered so that a parent comes before its children, or already exist.
        """
        stamp = now.isoformat(timespec="seconds")
        async with self._db.transaction() as conn:
            for record in records:
                parent_id: int | None = None
                if record.parent_code:
                    async with conn.execute(
                        "SELECT id FROM units WHERE code = ?",
                        (record.parent_code,),
                    ) as cursor:
                        parent = await cursor.fetchone()
                    if parent is None:
                        raise ValueError(f"unknown parent {record.parent_code!r}")
                    parent_id = int(parent[0])
                name_vi = _nfc(record.name_vi)
                name_en = _nfc(record.name_en) if record.name_en else None
                search_name = " | ".join(fold(name) for name in (name_vi, name_en) if name)
                await conn.execute(
                    """
                    INSERT INTO units (code, name_vi, name_en, parent_id, level, active,
                                       search_name, chat_id, latitude, longitude,
                                       created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (code) DO UPDATE SET
                        name_vi = excluded.name_vi, name_en = excluded.name_en,
                        parent_id = excluded.parent_id, level = excluded.level,
                        active = excluded.active, search_name = excluded.search_name,
                        chat_id = CASE WHEN ? THEN excluded.chat_id ELSE units.chat_id END,
                        latitude = CASE WHEN ? THEN excluded.latitude ELSE units.latitude END,
                        longitude = CASE WHEN ? THEN excluded.longitude ELSE units.longitude END,
                        updated_at = excluded.updated_at
                    """,
                    (
                        record.code.strip(),
                        name_vi,
                        name_en,
                        parent_id,
                        record.level,
                        1 if record.active else 0,
                        search_name,
                        record.chat_id if record.set_chat else None,
                        record.latitude if record.set_centroid else None,
                        record.longitude if record.set_centroid else None,
                        stamp,
                        stamp,
                        1 if record.set_chat else 0,
                        1 if record.set_centroid else 0,
                        1 if record.set_centroid else 0,
                    ),
                )
        return len(records)
