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
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import IO, Final, Literal

from bot.db import Database
from bot.figures.periods import Period
from bot.figures.repository import fetch_rows

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


# Local months of `tip_counts` and `tip_delays` (bot/db/migrations/m0008_performance.py).
SUMMARY_OFFSET: Final = timedelta(hours=7)
# Their unit key of the sums over every tip.
ALL_UNITS: Final = -1
_SUMMARY_TABLES: Final = frozenset({"tip_counts", "tip_delays", "tip_delay_buckets"})
_STAMP: Final = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class PeriodParts:
    """A period cut into what the sums hold (whole years and months) and the days around them."""

    # Keys of tip_counts: YYYY for whole years, YYYYMM for whole months.
    keys: list[int]
    # Partial months at the period's edges, as local (first, last) days.
    edges: list[tuple[date, date]]


def _month_end(day: date) -> date:
    following = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return following - timedelta(days=1)


def split_period(period: Period) -> PeriodParts:
    """Cut a period into whole years, then whole months, then the partial months left over."""
    keys: list[int] = []
    edges: list[tuple[date, date]] = []
    cursor, end = period.start, period.end
    while cursor <= end:
        if (cursor.month, cursor.day) == (1, 1) and date(cursor.year, 12, 31) <= end:
            keys.append(cursor.year)
            cursor = date(cursor.year + 1, 1, 1)
            continue
        month_end = _month_end(cursor)
        if cursor.day == 1 and month_end <= end:
            keys.append(cursor.year * 100 + cursor.month)
        else:
            edges.append((cursor, min(month_end, end)))
        cursor = min(month_end, end) + timedelta(days=1)
    return PeriodParts(keys, edges)


def _summary_calendar(parts: PeriodParts, zone: tzinfo) -> bool:
    """Say whether the zone is UTC+7 at every boundary of the sums the period reads."""
    for key in parts.keys:
        if key > 9999:
            first = date(key // 100, key % 100, 1)
            last = _month_end(first)
        else:
            first, last = date(key, 1, 1), date(key, 12, 31)
        for day in (first, last + timedelta(days=1)):
            if datetime.combine(day, time(), zone).utcoffset() != SUMMARY_OFFSET:
                return False
    return True


def _day_bounds(first: date, last: date, zone: tzinfo) -> tuple[str, str]:
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return start.astimezone(UTC).strftime(_STAMP), end.astimezone(UTC).strftime(_STAMP)


def histogram_median(counts: dict[int, int], lows: Sequence[int]) -> float | None:
    """Return the median delay in hours from counts per bucket (bucket i: lows[i]..lows[i+1]).

    Like statistics.median (the mean of the middle two of an even count), with each bucket's
    delays taken as spread evenly across it: exact to within a bucket's interpolation.
    """
    total = sum(count for count in counts.values() if count > 0)
    if not total:
        return None
    ranks = (total // 2,) if total % 2 else (total // 2 - 1, total // 2)
    values: list[float] = []
    for rank in ranks:
        seen = 0
        for bucket in sorted(counts):
            count = counts[bucket]
            if count <= 0:
                continue
            if rank < seen + count:
                low = lows[bucket]
                high = lows[bucket + 1] if bucket + 1 < len(lows) else low
                values.append(low + (high - low) * (rank - seen + 0.5) / count)
                break
            seen += count
    return sum(values) / len(values) / 3600


class TipsStatsRepository:
    """Read-only SQL over the tips table and the sums kept beside it."""

    # The delay buckets' lower bounds; static data of a migration, read once per process.
    _bucket_lows: tuple[int, ...] | None = None

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _schema(self) -> dict[str, set[str]]:
        """Return the columns of the tables /stats reads, in one round trip."""
        rows = await fetch_rows(
            self._db,
            """
            SELECT m.name, p.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS p
            WHERE m.type = 'table'
              AND m.name IN ('tips', 'tip_categories', 'tip_counts', 'tip_delays',
                             'tip_delay_buckets')
            """,
        )
        tables: dict[str, set[str]] = {}
        for table, column in rows:
            tables.setdefault(str(table), set()).add(str(column))
        return tables

    async def _columns(self, table: str) -> set[str]:
        rows = await fetch_rows(self._db, "SELECT name FROM pragma_table_info(?)", (table,))
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
        tables = await self._schema()
        columns = tables.get("tips", set())
        if not {"received_at", "unit_id", "status", "category"} <= columns:
            raise NoTipsTableError
        parts = split_period(period)
        if tables.keys() >= _SUMMARY_TABLES and _summary_calendar(parts, zone):
            return await self._from_sums(unit_ids, parts, zone, whole_tree=whole_tree)
        return await self._from_tips(columns, tables, unit_ids, period, zone, whole_tree)

    # ------------------------------------------------------------ from the sums

    async def _lows(self) -> tuple[int, ...]:
        if TipsStatsRepository._bucket_lows is None:
            rows = await fetch_rows(
                self._db, "SELECT bucket, low_seconds FROM tip_delay_buckets ORDER BY bucket"
            )
            TipsStatsRepository._bucket_lows = tuple(int(row[1]) for row in rows)
        return TipsStatsRepository._bucket_lows

    async def _everything(self, unit_ids: Sequence[int]) -> bool:
        """Say whether the units are every unit there is (one province, asked as a whole)."""
        total = await fetch_rows(self._db, "SELECT count(*) FROM units")
        return int(total[0][0]) == len(set(unit_ids))

    async def _from_sums(
        self, unit_ids: Sequence[int], parts: PeriodParts, zone: tzinfo, *, whole_tree: bool
    ) -> TipStats:
        """Add up the year and month sums, and count the tips of the partial months."""
        counts: dict[tuple[bool, str, str], int] = {}
        delays: dict[int, int] = {}
        if parts.keys:
            await self._add_sums(counts, delays, unit_ids, parts.keys, whole_tree=whole_tree)
        for first, last in parts.edges:
            start, end = _day_bounds(first, last, zone)
            # The few tips of a partial month, over the covering index tips_for_stats.
            rows = await fetch_rows(
                self._db,
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
            for unassigned, category, status, of_value, bucket, count in rows:
                n = int(count)
                for dimension, value in (("category", category), ("status", status)):
                    key = (bool(unassigned), dimension, str(value))
                    counts[key] = counts.get(key, 0) + n
                if of_value == 1:
                    key = (bool(unassigned), "of_value", "1")
                    counts[key] = counts.get(key, 0) + n
                if bucket is not None and not unassigned:
                    delays[int(bucket)] = delays.get(int(bucket), 0) + n
        stats = TipStats()
        labels = {
            str(row[0]): (str(row[1]), str(row[2]))
            for row in await fetch_rows(
                self._db, "SELECT code, label_vi, label_en FROM tip_categories"
            )
        }
        by_category: list[tuple[str, str, str, int]] = []
        by_status: list[tuple[str, int]] = []
        for (unassigned, dimension, value), count in counts.items():
            if unassigned or count <= 0:
                continue
            if dimension == "category":
                label_vi, label_en = labels.get(value, (value, value))
                by_category.append((value, label_vi, label_en, count))
            elif dimension == "status":
                by_status.append((value, count))
        by_category.sort(key=lambda item: (-item[3], item[0]))
        by_status.sort(key=lambda item: (-item[1], item[0]))
        stats.by_category = by_category
        stats.by_status = by_status
        stats.received = sum(item[3] for item in by_category)
        stats.of_value = counts.get((False, "of_value", "1"), 0)
        stats.acted = sum(count for count in delays.values() if count > 0)
        stats.median_hours = histogram_median(delays, await self._lows())
        if whole_tree:
            stats.unassigned = sum(
                count
                for (unassigned, dimension, _value), count in counts.items()
                if unassigned and dimension == "category"
            )
        return stats

    async def _add_sums(
        self,
        counts: dict[tuple[bool, str, str], int],
        delays: dict[int, int],
        unit_ids: Sequence[int],
        keys: Sequence[int],
        *,
        whole_tree: bool,
    ) -> None:
        """Add the sums of the whole years and months to `counts` and `delays`.

        Asked about every unit, read the all-units rows (-1) and take the no-unit rows (0) back
        out: a few rows per period instead of one set per commune. Otherwise one index seek
        per (unit, period). Grouping is done here: SQLite would sort every row to group them.
        """
        everything = whole_tree and await self._everything(unit_ids)
        unit_keys = [ALL_UNITS, 0] if everything else [*unit_ids, 0] if whole_tree else unit_ids
        periods = _json(keys)
        rows = await fetch_rows(
            self._db,
            """
            SELECT unit_id, dimension, value, tips FROM tip_counts
            WHERE unit_id IN (SELECT value FROM json_each(?))
              AND period IN (SELECT value FROM json_each(?))
            """,
            (_json(unit_keys), periods),
        )
        for unit_id, dimension, value, tips in rows:
            if unit_id == ALL_UNITS:
                key = (False, dimension, value)
                counts[key] = counts.get(key, 0) + tips
                continue
            unassigned = unit_id == 0
            key = (unassigned, dimension, value)
            counts[key] = counts.get(key, 0) + tips
            if unassigned and everything:
                # The all-units rows count the no-unit tips too.
                outside = (False, dimension, value)
                counts[outside] = counts.get(outside, 0) - tips
        rows = await fetch_rows(
            self._db,
            """
            SELECT unit_id, bucket, tips FROM tip_delays
            WHERE unit_id IN (SELECT value FROM json_each(?))
              AND period IN (SELECT value FROM json_each(?))
            """,
            (_json([ALL_UNITS, 0] if everything else unit_ids), periods),
        )
        for unit_id, bucket, tips in rows:
            delays[bucket] = delays.get(bucket, 0) + (-tips if unit_id == 0 else tips)

    # ------------------------------------------------------------ from the tips themselves

    async def _from_tips(
        self,
        columns: set[str],
        tables: dict[str, set[str]],
        unit_ids: Sequence[int],
        period: Period,
        zone: tzinfo,
        whole_tree: bool,
    ) -> TipStats:
        """Count the tips one by one (a time zone other than UTC+7, or no sums yet)."""
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
        has_labels = {"code", "label_vi", "label_en"} <= tables.get("tip_categories", set())
        if has_labels:
            rows = await fetch_rows(
                self._db,
                f"""
                SELECT tips.category, coalesce(c.label_vi, tips.category) AS label_vi,
                       coalesce(c.label_en, tips.category) AS label_en, count(*) AS n
                FROM tips LEFT JOIN tip_categories AS c ON c.code = tips.category
                WHERE {where} GROUP BY tips.category ORDER BY n DESC, tips.category
                """,
                params,
            )
        else:
            rows = await fetch_rows(
                self._db,
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
        rows = await fetch_rows(
            self._db,
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
            rows = await fetch_rows(
                self._db,
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
            async with self._db.stream(sql, params) as cursor:
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
            async with self._db.stream(sql, params) as cursor:
                async for row in cursor:
                    sheet.append(list(row))
                    count += 1
            workbook.save(spool)
        spool.seek(0)
        return spool, count


def _json(values: Sequence[int]) -> str:
    return json.dumps(sorted(set(values)))
