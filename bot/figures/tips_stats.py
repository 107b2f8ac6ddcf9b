"""Tip-derived figures (/stats) and the tips export (/export), live from the tips.

The tips feature owns the tips tables and every statement on them
(`bot.tips.stats_repository`); this module adds their answers up: from the year and month
sums (m0008) where the time zone lets them answer, else tip by tip. The export's columns are
the repository's fixed allow-list, never a column that could identify a tipster.
"""

from __future__ import annotations

import csv
import io
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import IO, Any, Final, Literal

from bot.kernel.periods import Period
from bot.tips.stats_repository import EXPORT_COLUMNS, TipsStatsRepository
from bot.units import UnitDirectory

ExportFormat = Literal["csv", "xlsx"]


@dataclass
class TipStats:
    """Tips received in a period and unit subtree, and how fast they were first acted on."""

    received: int = 0
    by_category: list[tuple[str, str, str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    of_value: int = 0
    acted: int = 0
    median_hours: float | None = None
    # Of `received`, the tips whose place is no unit (None: the tree's top was not asked).
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


class TipsStats:
    """/stats and /export over the tips: from the sums where they answer, else tip by tip."""

    def __init__(self, repo: TipsStatsRepository, units: UnitDirectory) -> None:
        self.repo = repo
        self._units = units

    async def stats(
        self, unit_ids: Sequence[int], period: Period, zone: tzinfo, *, whole_tree: bool
    ) -> TipStats:
        """Count the tips received in the period by units in `unit_ids`."""
        parts = split_period(period)
        if _summary_calendar(parts, zone):
            return await self._from_sums(unit_ids, parts, zone, whole_tree=whole_tree)
        return await self.from_tips(unit_ids, period, zone, whole_tree=whole_tree)

    # ------------------------------------------------------------ from the sums

    async def _everything(self, unit_ids: Sequence[int]) -> bool:
        """Say whether the units are every unit there is (one province, asked as a whole)."""
        return await self._units.count() == len(set(unit_ids))

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
            rows = await self.repo.partial_month(unit_ids, start, end, whole_tree=whole_tree)
            _add_partial_month(counts, delays, rows)
        return _summed(
            counts,
            delays,
            await self.repo.category_labels(),
            await self.repo.bucket_lows(),
            whole_tree=whole_tree,
        )

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
        rows = await self.repo.counts(unit_keys, keys)
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
        # The no-unit tips' delays count too (unit 0): they belong to the top of the tree.
        delay_keys = [ALL_UNITS] if everything else [*unit_ids, 0] if whole_tree else unit_ids
        for _unit_id, bucket, tips in await self.repo.delays(delay_keys, keys):
            delays[bucket] = delays.get(bucket, 0) + tips

    # ------------------------------------------------------------ from the tips themselves

    async def from_tips(
        self, unit_ids: Sequence[int], period: Period, zone: tzinfo, *, whole_tree: bool
    ) -> TipStats:
        """Count the tips one by one (a time zone other than UTC+7)."""
        start, end = utc_bounds(period, zone)
        repo = self.repo
        stats = TipStats()
        # The unit-less tips belong to the top of the tree: counted there, as /tips lists them.
        stats.received = await repo.received(unit_ids, start, end, unitless=whole_tree)
        stats.by_category = await repo.by_category(unit_ids, start, end, unitless=whole_tree)
        stats.by_status = await repo.by_status(unit_ids, start, end, unitless=whole_tree)
        stats.of_value = await repo.of_value(unit_ids, start, end, unitless=whole_tree)
        hours = [
            (_parse(acted) - _parse(received)).total_seconds() / 3600
            for received, acted in await repo.first_actions(
                unit_ids, start, end, unitless=whole_tree
            )
        ]
        stats.acted = len(hours)
        stats.median_hours = statistics.median(hours) if hours else None
        if whole_tree:
            stats.unassigned = await repo.unassigned(start, end)
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
        start, end = utc_bounds(period, zone)
        present = list(EXPORT_COLUMNS)
        rows = self.repo.export_rows(unit_ids, start, end, whole_tree=whole_tree)
        # Handed to the caller open, who sends it and closes it.
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        count = 0
        if fmt == "csv":
            text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(present)
            async with rows as cursor:
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
            async with rows as cursor:
                async for row in cursor:
                    sheet.append(list(row))
                    count += 1
            workbook.save(spool)
        spool.seek(0)
        return spool, count


def _add_partial_month(
    counts: dict[tuple[bool, str, str], int], delays: dict[int, int], rows: Sequence[Any]
) -> None:
    """Add the tips of a partial month, counted by the repository, to `counts` and `delays`."""
    for unassigned, category, status, of_value, bucket, count in rows:
        n = int(count)
        for dimension, value in (("category", category), ("status", status)):
            key = (bool(unassigned), dimension, str(value))
            counts[key] = counts.get(key, 0) + n
        if of_value == 1:
            key = (bool(unassigned), "of_value", "1")
            counts[key] = counts.get(key, 0) + n
        if bucket is not None:
            delays[int(bucket)] = delays.get(int(bucket), 0) + n


def _summed(
    counts: dict[tuple[bool, str, str], int],
    delays: dict[int, int],
    labels: dict[str, tuple[str, str]],
    lows: Sequence[int],
    *,
    whole_tree: bool,
) -> TipStats:
    """Turn the added-up counts and delays into /stats' figures."""
    stats = TipStats()
    by_category: list[tuple[str, str, str, int]] = []
    by_status: list[tuple[str, int]] = []
    # The no-unit tips (only read for the top of the tree) are tips of the tree like the others.
    merged: dict[tuple[str, str], int] = {}
    for (_unassigned, dimension, value), count in counts.items():
        merged[dimension, value] = merged.get((dimension, value), 0) + count
    for (dimension, value), count in merged.items():
        if count <= 0:
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
    stats.of_value = merged.get(("of_value", "1"), 0)
    stats.acted = sum(count for count in delays.values() if count > 0)
    stats.median_hours = histogram_median(delays, lows)
    if whole_tree:
        stats.unassigned = sum(
            count
            for (unassigned, dimension, _value), count in counts.items()
            if unassigned and dimension == "category"
        )
    return stats
