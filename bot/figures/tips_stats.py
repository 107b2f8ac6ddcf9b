"""Tip-derived figures (/stats) and the tips export (/export), live from the `tips` table.

The tips feature owns that table; this module only reads it, checks at query time that it
exists, and never reads a column that could identify a tipster or tell what they reported:
the export's columns are a fixed allow-list.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import IO, Final, Literal

from bot.db import Database
from bot.figures.periods import Period

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
# Names a "tip of value" flag may have in the tips table (the tips feature decides).
_VALUE_FLAG_COLUMNS: Final = ("of_value", "valuable", "is_valuable")
ExportFormat = Literal["csv", "xlsx"]


class NoTipsTableError(Exception):
    """The tips feature has not created its table in this database yet."""


@dataclass
class TipStats:
    """Tips received in a period and unit subtree, and how fast they were first acted on."""

    received: int = 0
    by_category: list[tuple[str, str, str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    of_value: int | None = None
    acted: int = 0
    median_hours: float | None = None
    unassigned: int | None = None


def utc_bounds(period: Period, zone: tzinfo) -> tuple[str, str]:
    """Return the period's local days as [start, end) UTC ISO texts comparable to received_at."""
    start = datetime.combine(period.start, time(), zone)
    end = datetime.combine(period.end + timedelta(days=1), time(), zone)
    fmt = "%Y-%m-%dT%H:%M:%S"
    return (
        start.astimezone(UTC).strftime(fmt),
        end.astimezone(UTC).strftime(fmt),
    )


def _parse(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class TipsStatsRepository:
    """Read-only SQL over the tips table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _columns(self, table: str) -> set[str]:
        rows = await self._db.fetch_all("SELECT name FROM pragma_table_info(?)", (table,))
        return {str(row["name"]) for row in rows}

    async def _require_tips(self) -> set[str]:
        columns = await self._columns("tips")
        if not {"received_at", "unit_id", "status", "category"} <= columns:
            raise NoTipsTableError
        return columns

    async def stats(
        self, unit_ids: Sequence[int], period: Period, zone: tzinfo, *, whole_tree: bool
    ) -> TipStats:
        """Count the tips received in the period by units in `unit_ids`."""
        columns = await self._require_tips()
        start, end = utc_bounds(period, zone)
        units = _json(unit_ids)
        where = (
            "received_at >= ? AND received_at < ? AND unit_id IN (SELECT value FROM json_each(?))"
        )
        params = (start, end, units)
        stats = TipStats()
        stats.received = int(
            await self._db.fetch_value(f"SELECT count(*) FROM tips WHERE {where}", params) or 0
        )
        has_labels = {"code", "label_vi", "label_en"} <= await self._columns("tip_categories")
        if has_labels:
            rows = await self._db.fetch_all(
                f"""
                SELECT tips.category, coalesce(c.label_vi, tips.category) AS label_vi,
                       coalesce(c.label_en, tips.category) AS label_en, count(*) AS n
                FROM tips LEFT JOIN tip_categories AS c ON c.code = tips.category
                WHERE {where} GROUP BY tips.category ORDER BY n DESC, tips.category
                """,
                params,
            )
        else:
            rows = await self._db.fetch_all(
                f"""
                SELECT category, category AS label_vi, category AS label_en, count(*) AS n
                FROM tips WHERE {where} GROUP BY category ORDER BY n DESC, category
                """,
                params,
            )
        stats.by_category = [
            (str(row["category"]), str(row["label_vi"]), str(row["label_en"]), int(row["n"]))
            for row in rows
        ]
        rows = await self._db.fetch_all(
            f"SELECT status, count(*) AS n FROM tips WHERE {where} "
            "GROUP BY status ORDER BY n DESC, status",
            params,
        )
        stats.by_status = [(str(row["status"]), int(row["n"])) for row in rows]
        flag = next((name for name in _VALUE_FLAG_COLUMNS if name in columns), None)
        if flag is not None:
            # `flag` comes from the fixed allow-list above, never from input.
            stats.of_value = int(
                await self._db.fetch_value(
                    f"SELECT count(*) FROM tips WHERE {where} AND {flag} = 1", params
                )
                or 0
            )
        if "first_action_at" in columns:
            rows = await self._db.fetch_all(
                f"SELECT received_at, first_action_at FROM tips "
                f"WHERE {where} AND first_action_at IS NOT NULL",
                params,
            )
            hours = [
                (_parse(str(row[1])) - _parse(str(row[0]))).total_seconds() / 3600 for row in rows
            ]
            stats.acted = len(hours)
            stats.median_hours = statistics.median(hours) if hours else None
        if whole_tree:
            stats.unassigned = int(
                await self._db.fetch_value(
                    "SELECT count(*) FROM tips WHERE received_at >= ? AND received_at < ? "
                    "AND unit_id IS NULL",
                    (start, end),
                )
                or 0
            )
        return stats

    async def export(
        self,
        unit_ids: Sequence[int],
        period: Period,
        zone: tzinfo,
        fmt: ExportFormat,
        *,
        whole_tree: bool,
    ) -> tuple[IO[bytes], int]:
        """Write the tips of the period to a temporary CSV or XLSX file; return it and its rows.

        Rows stream from the cursor into a spooled file, so a large export never sits in a list.
        """
        columns = await self._require_tips()
        start, end = utc_bounds(period, zone)
        present = [name for name in EXPORT_COLUMNS if name == "unit_code" or name in columns]
        selected = ", ".join(
            "units.code AS unit_code" if name == "unit_code" else f"tips.{name}" for name in present
        )
        unit_filter = "tips.unit_id IN (SELECT value FROM json_each(?))"
        if whole_tree:
            unit_filter = f"({unit_filter} OR tips.unit_id IS NULL)"
        sql = (
            # `selected` holds names from EXPORT_COLUMNS that PRAGMA found, never input.
            f"SELECT {selected} FROM tips LEFT JOIN units ON units.id = tips.unit_id "
            f"WHERE tips.received_at >= ? AND tips.received_at < ? AND {unit_filter} "
            "ORDER BY tips.received_at, tips.id"
        )
        params = (start, end, _json(unit_ids))
        # Handed to the caller open, who sends it and closes it.
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        count = 0
        if fmt == "csv":
            text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(present)
            async with self._db.conn.execute(sql, params) as cursor:
                async for row in cursor:
                    writer.writerow(["" if value is None else value for value in row])
                    count += 1
            text.flush()
            text.detach()
        else:
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("tips")
            sheet.append(present)
            async with self._db.conn.execute(sql, params) as cursor:
                async for row in cursor:
                    sheet.append(list(row))
                    count += 1
            workbook.save(spool)
        spool.seek(0)
        return spool, count


def _json(values: Sequence[int]) -> str:
    return json.dumps(sorted(set(values)))
