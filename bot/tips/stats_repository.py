"""Read-only SQL for /stats and /export: the tips and the sums kept beside them (m0008).

The tips feature owns these tables, so every statement on them lives in this package; the
figures feature (`bot.figures.tips_stats`) adds the answers up. The schema is the migrations'
(m0004 tips, m0007 `of_value`, m0008 the sums): nothing here asks SQLite what it holds. No
statement reads a column that could identify a tipster or tell what they reported: the
export's columns are a fixed allow-list.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Final

import aiosqlite

from bot.db import Database

# Columns an export may hold: codes, categories, statuses, units and times. Never the story,
# the place, the reporter's pseudonym or any sealed value.
EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "code",
    "category",
    "legal_type",
    "status",
    "unit_code",
    "received_at",
    "first_action_at",
    "decision_deadline",
)
_EXPORT_SELECT: Final = ", ".join(
    "units.code AS unit_code" if name == "unit_code" else f"tips.{name}" for name in EXPORT_COLUMNS
)
# Tips received in [start, end) by the units of a JSON list, and the unit-less ones when the
# flag is 1 (they belong to the top of the tree, where /tips lists them too).
_WHERE: Final = (
    "received_at >= ? AND received_at < ? "
    "AND (unit_id IN (SELECT value FROM json_each(?)) OR (? = 1 AND unit_id IS NULL))"
)


def _json(values: Sequence[int]) -> str:
    return json.dumps(sorted(set(values)))


class TipsStatsRepository:
    """Read-only SQL over the tips table and the sums kept beside it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # The delay buckets' lower bounds: static data of a migration, read once per database.
        self._bucket_lows: tuple[int, ...] | None = None

    # ------------------------------------------------------------ the sums

    async def bucket_lows(self) -> tuple[int, ...]:
        """Return the delay buckets' lower bounds in seconds, bucket by bucket."""
        if self._bucket_lows is None:
            rows = await self._db.fetch_all(
                "SELECT bucket, low_seconds FROM tip_delay_buckets ORDER BY bucket"
            )
            self._bucket_lows = tuple(int(row[1]) for row in rows)
        return self._bucket_lows

    async def partial_month(
        self, unit_ids: Sequence[int], start: str, end: str, *, whole_tree: bool
    ) -> list[sqlite3.Row]:
        """Return (unassigned, category, status, of_value, delay bucket, count) of [start, end).

        The few tips of a partial month, over the covering index tips_for_stats.
        """
        return await self._db.fetch_all(
            """
            SELECT unit_id IS NULL, category, status, of_value,
                   (SELECT bucket FROM tip_delay_buckets
                    WHERE low_seconds <= max(0, CAST(round(
                        (julianday(first_action_at) - julianday(received_at)) * 86400)
                        AS INTEGER))
                    ORDER BY low_seconds DESC LIMIT 1),
                   count(*)
            FROM tips
            WHERE (unit_id IN (SELECT value FROM json_each(?))
                   OR (? AND unit_id IS NULL))
              AND received_at >= ? AND received_at < ?
            GROUP BY 1, 2, 3, 4, 5
            """,
            (_json(unit_ids), 1 if whole_tree else 0, start, end),
        )

    async def category_labels(self) -> dict[str, tuple[str, str]]:
        """Return each category's (Vietnamese, English) label by code."""
        rows = await self._db.fetch_all("SELECT code, label_vi, label_en FROM tip_categories")
        return {str(row[0]): (str(row[1]), str(row[2])) for row in rows}

    async def counts(self, unit_keys: Sequence[int], periods: Sequence[int]) -> list[sqlite3.Row]:
        """Return (unit_id, dimension, value, tips) of `tip_counts` for these units and periods."""
        return await self._db.fetch_all(
            """
            SELECT unit_id, dimension, value, tips FROM tip_counts
            WHERE unit_id IN (SELECT value FROM json_each(?))
              AND period IN (SELECT value FROM json_each(?))
            """,
            (_json(unit_keys), _json(periods)),
        )

    async def delays(self, unit_keys: Sequence[int], periods: Sequence[int]) -> list[sqlite3.Row]:
        """Return (unit_id, bucket, tips) of `tip_delays` for these units and periods."""
        return await self._db.fetch_all(
            """
            SELECT unit_id, bucket, tips FROM tip_delays
            WHERE unit_id IN (SELECT value FROM json_each(?))
              AND period IN (SELECT value FROM json_each(?))
            """,
            (_json(unit_keys), _json(periods)),
        )

    # ------------------------------------------------------------ the tips themselves

    async def received(
        self, unit_ids: Sequence[int], start: str, end: str, *, unitless: bool = False
    ) -> int:
        """Count the tips the units received in [start, end)."""
        return int(
            await self._db.fetch_value(
                f"SELECT count(*) FROM tips WHERE {_WHERE}",
                (start, end, _json(unit_ids), 1 if unitless else 0),
            )
            or 0
        )

    async def by_category(
        self, unit_ids: Sequence[int], start: str, end: str, *, unitless: bool = False
    ) -> list[tuple[str, str, str, int]]:
        """Return (code, label_vi, label_en, count) per category, most tips first."""
        rows = await self._db.fetch_all(
            f"""
            SELECT tips.category, coalesce(c.label_vi, tips.category) AS label_vi,
                   coalesce(c.label_en, tips.category) AS label_en, count(*) AS n
            FROM tips LEFT JOIN tip_categories AS c ON c.code = tips.category
            WHERE {_WHERE} GROUP BY tips.category ORDER BY n DESC, tips.category
            """,
            (start, end, _json(unit_ids), 1 if unitless else 0),
        )
        return [
            (str(row["category"]), str(row["label_vi"]), str(row["label_en"]), int(row["n"]))
            for row in rows
        ]

    async def by_status(
        self, unit_ids: Sequence[int], start: str, end: str, *, unitless: bool = False
    ) -> list[tuple[str, int]]:
        """Return (status, count), most tips first."""
        rows = await self._db.fetch_all(
            f"SELECT status, count(*) AS n FROM tips WHERE {_WHERE} "
            "GROUP BY status ORDER BY n DESC, status",
            (start, end, _json(unit_ids), 1 if unitless else 0),
        )
        return [(str(row["status"]), int(row["n"])) for row in rows]

    async def of_value(
        self, unit_ids: Sequence[int], start: str, end: str, *, unitless: bool = False
    ) -> int:
        """Count the tips of value (m0007 `of_value`) among them."""
        return int(
            await self._db.fetch_value(
                f"SELECT count(*) FROM tips WHERE {_WHERE} AND of_value = 1",
                (start, end, _json(unit_ids), 1 if unitless else 0),
            )
            or 0
        )

    async def first_actions(
        self, unit_ids: Sequence[int], start: str, end: str, *, unitless: bool = False
    ) -> list[tuple[str, str]]:
        """Return (received_at, first_action_at) of the tips acted on."""
        rows = await self._db.fetch_all(
            f"SELECT received_at, first_action_at FROM tips "
            f"WHERE {_WHERE} AND first_action_at IS NOT NULL",
            (start, end, _json(unit_ids), 1 if unitless else 0),
        )
        return [(str(row[0]), str(row[1])) for row in rows]

    async def unassigned(self, start: str, end: str) -> int:
        """Count the tips of [start, end) that no unit holds."""
        return int(
            await self._db.fetch_value(
                "SELECT count(*) FROM tips WHERE received_at >= ? AND received_at < ? "
                "AND unit_id IS NULL",
                (start, end),
            )
            or 0
        )

    @asynccontextmanager
    async def export_rows(
        self, unit_ids: Sequence[int], start: str, end: str, *, whole_tree: bool
    ) -> AsyncIterator[aiosqlite.Cursor]:
        """Stream the EXPORT_COLUMNS of the tips of [start, end), oldest first (one snapshot)."""
        unit_filter = "tips.unit_id IN (SELECT value FROM json_each(?))"
        if whole_tree:
            unit_filter = f"({unit_filter} OR tips.unit_id IS NULL)"
        sql = (
            f"SELECT {_EXPORT_SELECT} FROM tips LEFT JOIN units ON units.id = tips.unit_id "
            f"WHERE tips.received_at >= ? AND tips.received_at < ? AND {unit_filter} "
            "ORDER BY tips.received_at, tips.id"
        )
        async with self._db.stream(sql, (start, end, _json(unit_ids))) as cursor:
            yield cursor
