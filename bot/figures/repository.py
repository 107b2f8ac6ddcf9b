"""SQL for the indicator catalog and the figure records (`?` placeholders only)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from bot.db import Database
from bot.figures.model import Indicator, Kind
from bot.figures.numbers import Number
from bot.figures.resolve import SeriesAggregate, Span, StockValue, Subtree, TreeNode
from bot.kernel.periods import Period

_INDICATOR_COLUMNS = (
    "id, key, name_vi, name_en, measure, kind, part_of, integer_only, main, sort_order, "
    "phrase_vi, phrase_en, active"
)


def _indicator(row: sqlite3.Row) -> Indicator:
    kind: Kind = "stock" if row["kind"] == "stock" else "flow"
    return Indicator(
        id=int(row["id"]),
        key=str(row["key"]),
        name_vi=str(row["name_vi"]),
        name_en=str(row["name_en"]),
        measure=str(row["measure"]),
        kind=kind,
        part_of=row["part_of"],
        integer_only=bool(row["integer_only"]),
        main=bool(row["main"]),
        sort_order=int(row["sort_order"]),
        phrase_vi=row["phrase_vi"],
        phrase_en=row["phrase_en"],
        active=bool(row["active"]),
    )


def _number(value: object) -> Number:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if value is None:
        return 0
    raise TypeError(f"not a number in the figures table: {value!r}")


async def fetch_rows(
    db: Database, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> list[sqlite3.Row]:
    """Return every row of a query in one hand-off to a reader's thread (`Database.fetch_all`)."""
    return await db.fetch_all(sql, params)


async def fetch_first(db: Database, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
    """Return the first row of a query (one hand-off, see `fetch_rows`), or None."""
    rows = await fetch_rows(db, sql, params)
    return rows[0] if rows else None


def _year_edges(period: Period) -> tuple[int, int, list[tuple[int, int]]]:
    """Return the period's whole years (first, last) and its partial years as day-key spans."""
    start, end = period.start_key, period.end_key
    first_year, last_year = period.start.year, period.end.year
    full_first = first_year if start % 10000 == 101 else first_year + 1
    full_last = last_year if end % 10000 == 1231 else last_year - 1
    edges: list[tuple[int, int]] = []
    if full_first > full_last:
        edges.append((start, last_year * 10000 + 1231))
    else:
        if full_first != first_year:
            edges.append((start, first_year * 10000 + 1231))
        if full_last != last_year:
            edges.append((last_year * 10000 + 101, last_year * 10000 + 1231))
    return full_first, full_last, edges


def _parts(edges: list[tuple[int, int]], start: int, end: int) -> tuple[list[str], list[object]]:
    """Return `aggregate`'s `parts` selects and their parameters: the edges and multi-year records.

    Each row says whether its record lies inside the period (summed) or only straddles it.
    """
    inside = "f.start_day >= ? AND f.end_day <= ?"
    columns = f"""
        f.indicator_id, f.unit_id,
        CASE WHEN {inside} THEN f.value ELSE 0 END AS in_sum,
        ({inside}) AS in_count,
        NOT ({inside}) AS out_count,
        CASE WHEN {inside} THEN 0 ELSE f.value END AS out_sum,
        CASE WHEN {inside} THEN NULL ELSE f.start_day END AS out_first,
        CASE WHEN {inside} THEN NULL ELSE f.end_day END AS out_last
    """
    column_params = [start, end] * 6
    parts: list[str] = []
    params: list[object] = []
    for low, high in edges:
        # Single-year records of a partial year at the period's edge. A record that
        # starts by the period's end ends by end + max_span: no need to scan further.
        parts.append(
            f"""
            SELECT {columns}
            FROM figure_series AS s
            JOIN figures AS f INDEXED BY figures_current
              ON f.indicator_id = s.indicator_id AND f.unit_id = s.unit_id
            WHERE s.indicator_id IN (SELECT id FROM wanted_indicators)
              AND s.unit_id IN (SELECT id FROM wanted_units)
              AND f.superseded_at IS NULL
              AND f.end_day >= ? AND f.end_day <= min(?, ? + s.max_span)
              AND f.start_day <= ? AND f.start_day / 10000 = f.end_day / 10000
            """
        )
        params.extend([*column_params, low, high, end, end])
    parts.append(
        f"""
        SELECT {columns}
        FROM figures AS f INDEXED BY figures_multi_year
        WHERE f.superseded_at IS NULL AND f.start_day / 10000 <> f.end_day / 10000
          AND f.indicator_id IN (SELECT id FROM wanted_indicators)
          AND f.unit_id IN (SELECT id FROM wanted_units)
          AND f.end_day >= ? AND f.start_day <= ?
        """
    )
    params.extend([*column_params, start, end])
    return parts, params


def _folded(
    rows: Iterable[sqlite3.Row],
) -> tuple[list[tuple[int, SeriesAggregate]], set[tuple[int, int]]]:
    """Fold `aggregate`'s rows into one sum per series, and the overlapping series apart."""
    sums: dict[tuple[int, int], list[Any]] = {}
    flagged: set[tuple[int, int]] = set()
    for kind, indicator_id, unit_id, *values in rows:
        key = (indicator_id, unit_id)
        if kind == "f":
            flagged.add(key)
            continue
        found = sums.get(key)
        if found is None:
            sums[key] = values
            continue
        found[0] = (found[0] or 0) + (values[0] or 0)
        found[1] = (found[1] or 0) + (values[1] or 0)
        found[2] = (found[2] or 0) + (values[2] or 0)
        found[3] = (found[3] or 0) + (values[3] or 0)
        if kind == "p":
            found[4], found[5] = values[4], values[5]
    # Positional access and plain tuples: this runs for every series of a province.
    result = [
        (
            indicator_id,
            SeriesAggregate(
                unit_id,
                values[0] or 0,
                values[1] or 0,
                values[2] or 0,
                values[3] or 0,
                values[4],
                values[5],
            ),
        )
        for (indicator_id, unit_id), values in sums.items()
        if values[1] or values[2]
    ]
    return result, flagged


# Rows fetched from the database thread at once when records are streamed.
RAW_CHUNK = 2000


@lru_cache(maxsize=4096)
def _period(start_key: int, end_key: int) -> Period:
    """Return the period of two day keys; records repeat a few thousand periods at most."""
    return Period.from_keys(start_key, end_key)


def _ids(values: Iterable[int]) -> str:
    """Return ids as one JSON array parameter, read in SQL with json_each()."""
    return json.dumps(sorted(set(values)))


@dataclass(frozen=True)
class FigureWrite:
    """One insert, possibly superseding a current record."""

    indicator_id: int
    unit_id: int
    period: Period
    value: Number
    supersedes_id: int | None = None
    reason: str | None = None
    # This record's own source (an import row naming its document), else the save's.
    source: str | None = None


@dataclass(frozen=True)
class CurrentRecord:
    """The current record that a new figure would replace, with its provenance."""

    id: int
    period: Period
    value: Number
    recorded_by: str
    recorded_at: str
    source: str


class RawRecord(NamedTuple):
    """One stored record as the report's raw sheet lists it (a tuple: reports stream many)."""

    id: int
    indicator_key: str
    unit_code: str
    period: Period
    value: Number
    recorded_by: str
    recorded_at: str
    source: str
    supersedes_id: int | None
    reason: str | None
    superseded_at: str | None


class FiguresRepository:
    """Read and write indicators and figure records."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------ catalog

    async def indicators(self) -> list[Indicator]:
        """Return the whole catalog in display order."""
        rows = await fetch_rows(
            self._db, f"SELECT {_INDICATOR_COLUMNS} FROM indicators ORDER BY sort_order, key"
        )
        return [_indicator(row) for row in rows]

    async def add_indicator(
        self,
        *,
        key: str,
        name_vi: str,
        name_en: str,
        measure: str,
        kind: Kind,
        part_of: int | None,
        integer_only: bool,
        now: datetime,
    ) -> int:
        """Add an indicator at the end of the catalog; return its id."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                """
                INSERT INTO indicators (key, name_vi, name_en, measure, kind, part_of,
                                        integer_only, sort_order, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?,
                        (SELECT coalesce(max(sort_order), 0) + 10 FROM indicators), ?)
                """,
                (
                    key,
                    name_vi,
                    name_en,
                    measure,
                    kind,
                    part_of,
                    1 if integer_only else 0,
                    now.isoformat(timespec="seconds"),
                ),
            )
            return int(cursor.lastrowid or 0)

    # ------------------------------------------------------------ units

    async def subtree(self, unit_id: int) -> Subtree | None:
        """Return a unit and every unit below it, parents first, or None if it does not exist."""
        rows = await fetch_rows(
            self._db,
            """
            WITH RECURSIVE below(id, depth, sort_path) AS (
                SELECT id, 0, code FROM units WHERE id = ?
                UNION ALL
                SELECT units.id, below.depth + 1, below.sort_path || '/' || units.code
                FROM units JOIN below ON units.parent_id = below.id
                -- The depth cap ends the walk even if a bad edit ever made a cycle.
                WHERE below.depth < 64
            )
            SELECT units.id, units.parent_id, units.code, units.name_vi, units.name_en,
                   units.active, below.depth
            FROM below JOIN units USING (id)
            ORDER BY below.depth = 0 DESC, below.sort_path
            """,
            (unit_id,),
        )
        if not rows:
            return None
        nodes = [
            TreeNode(
                id=int(row["id"]),
                parent_id=row["parent_id"],
                code=str(row["code"]),
                name_vi=str(row["name_vi"]),
                name_en=row["name_en"],
                active=bool(row["active"]),
                depth=int(row["depth"]),
            )
            for row in rows
        ]
        # sort_path orders a parent before its children; depth 0 (the root) always first.
        return Subtree(nodes)

    async def root_unit_ids(self) -> list[int]:
        """Return the active units that have no parent (provinces), by code."""
        rows = await fetch_rows(
            self._db, "SELECT id FROM units WHERE parent_id IS NULL AND active = 1 ORDER BY code"
        )
        return [int(row["id"]) for row in rows]

    # ------------------------------------------------------------ writes

    async def current_record(
        self, indicator_id: int, unit_id: int, period: Period, *, stock: bool
    ) -> CurrentRecord | None:
        """Return the current record a new figure would correct, if any.

        A flow matches on its whole period; a stock on its last day (the date it describes).
        """
        if stock:
            row = await fetch_first(
                self._db,
                """
                SELECT id, start_day, end_day, value, recorded_by, recorded_at, source
                FROM figures
                WHERE indicator_id = ? AND unit_id = ? AND end_day = ? AND superseded_at IS NULL
                ORDER BY id DESC LIMIT 1
                """,
                (indicator_id, unit_id, period.end_key),
            )
        else:
            row = await fetch_first(
                self._db,
                """
                SELECT id, start_day, end_day, value, recorded_by, recorded_at, source
                FROM figures
                WHERE indicator_id = ? AND unit_id = ? AND start_day = ? AND end_day = ?
                  AND superseded_at IS NULL
                """,
                (indicator_id, unit_id, period.start_key, period.end_key),
            )
        if row is None:
            return None
        return CurrentRecord(
            id=int(row["id"]),
            period=Period.from_keys(int(row["start_day"]), int(row["end_day"])),
            value=_number(row["value"]),
            recorded_by=str(row["recorded_by"]),
            recorded_at=str(row["recorded_at"]),
            source=str(row["source"]),
        )

    async def save(
        self, writes: Sequence[FigureWrite], *, by: str, source: str, now: datetime
    ) -> list[int]:
        """Insert the records in one transaction, superseding the ones they correct."""
        stamp = now.isoformat(timespec="seconds")
        ids: list[int] = []
        async with self._db.transaction() as conn:
            for write in writes:
                if write.supersedes_id is not None:
                    # The old record leaves the current set first, so the one-current-record
                    # index never sees two at once.
                    cursor = await conn.execute(
                        "UPDATE figures SET superseded_at = ? "
                        "WHERE id = ? AND superseded_at IS NULL",
                        (stamp, write.supersedes_id),
                    )
                    if cursor.rowcount != 1:
                        raise StaleCorrectionError(write.supersedes_id)
                cursor = await conn.execute(
                    """
                    INSERT INTO figures (indicator_id, unit_id, start_day, end_day, value,
                                         recorded_by, recorded_at, source, supersedes_id, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (
                        write.indicator_id,
                        write.unit_id,
                        write.period.start_key,
                        write.period.end_key,
                        write.value,
                        by,
                        stamp,
                        write.source or source,
                        write.supersedes_id,
                        write.reason,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    # ------------------------------------------------------------ queries

    async def aggregate(
        self, indicator_ids: Iterable[int], unit_ids: Iterable[int], period: Period
    ) -> tuple[list[tuple[int, SeriesAggregate]], set[tuple[int, int]]]:
        """Sum each (indicator, unit) series over the period.

        Return the sums as (indicator id, sums) and the (indicator, unit) series whose records
        overlap each other. Records inside the period are summed; records that only straddle
        it are counted apart. Whole years come from `figure_year_totals` (read in key order, so
        SQLite groups without sorting), the partial years at the period's edges from the
        covering index, and records spanning several years from `figures_multi_year`.
        """
        indicators, units = _ids(indicator_ids), _ids(unit_ids)
        start, end = period.start_key, period.end_key
        full_first, full_last, edges = _year_edges(period)
        parts, part_params = _parts(edges, start, end)
        params: list[object] = [indicators, units, *part_params]
        # One statement, one hand-off: the edges and multi-year records ('p'), the whole
        # years' sums ('y') and the series whose records overlap ('f').
        selects = [
            """
            SELECT 'p', indicator_id, unit_id, sum(in_sum), sum(in_count), sum(out_count),
                   sum(out_sum), min(out_first), max(out_last)
            FROM parts
            GROUP BY indicator_id, unit_id
            """
        ]
        if full_first <= full_last:
            selects.append(
                """
                SELECT 'y', indicator_id, unit_id, sum(total), sum(records), 0, 0, NULL, NULL
                FROM figure_year_totals
                WHERE indicator_id IN (SELECT id FROM wanted_indicators)
                  AND unit_id IN (SELECT id FROM wanted_units)
                  AND year BETWEEN ? AND ? AND records > 0
                GROUP BY indicator_id, unit_id
                """
            )
            params.extend([full_first, full_last])
        selects.append(
            """
            SELECT 'f', indicator_id, unit_id, 0, 0, 0, 0, NULL, NULL FROM figure_series
            WHERE overlapping = 1
              AND indicator_id IN (SELECT id FROM wanted_indicators)
              AND unit_id IN (SELECT id FROM wanted_units)
            """
        )
        rows = await fetch_rows(
            self._db,
            f"""
            WITH wanted_indicators(id) AS (SELECT value FROM json_each(?)),
                 wanted_units(id) AS (SELECT value FROM json_each(?)),
                 parts AS ({" UNION ALL ".join(parts)})
            {" UNION ALL ".join(selects)}
            """,
            params,
        )
        return _folded(rows)

    async def spans(
        self, indicator_id: int, unit_ids: Iterable[int], period: Period
    ) -> dict[int, list[Span]]:
        """Return the current records of one indicator lying inside the period, per unit."""
        rows = await fetch_rows(
            self._db,
            """
            SELECT id, unit_id, start_day, end_day, value
            FROM figures
            WHERE superseded_at IS NULL AND indicator_id = ?
              AND unit_id IN (SELECT value FROM json_each(?))
              AND end_day >= ? AND end_day <= ? AND start_day >= ?
            """,
            (indicator_id, _ids(unit_ids), period.start_key, period.end_key, period.start_key),
        )
        result: dict[int, list[Span]] = {}
        for row in rows:
            result.setdefault(int(row["unit_id"]), []).append(
                Span(
                    int(row["id"]),
                    int(row["start_day"]),
                    int(row["end_day"]),
                    _number(row["value"]),
                )
            )
        return result

    async def latest_stocks(
        self, indicator_ids: Iterable[int], unit_ids: Iterable[int], end_key: int
    ) -> list[tuple[int, StockValue]]:
        """Return each unit's latest current value at or before `end_key`, per indicator.

        A series whose latest record ends by `end_key` (the common case: this year, a decade
        to date) answers from `figure_series` itself; the others take one index seek each: the
        newest record is the last one of the series in `figures_current` at or before the day.
        """
        rows = await fetch_rows(
            self._db,
            """
            WITH earlier AS (
                SELECT series.indicator_id, series.unit_id,
                       (SELECT max(f.end_day) FROM figures AS f INDEXED BY figures_current
                        WHERE f.indicator_id = series.indicator_id
                          AND f.unit_id = series.unit_id
                          AND f.superseded_at IS NULL AND f.end_day <= :end) AS end_day
                FROM figure_series AS series
                WHERE series.indicator_id IN (SELECT value FROM json_each(:indicators))
                  AND series.unit_id IN (SELECT value FROM json_each(:units))
                  AND series.last_end > :end
            )
            SELECT indicator_id, unit_id, last_id, last_start, last_end, last_value
            FROM figure_series
            WHERE indicator_id IN (SELECT value FROM json_each(:indicators))
              AND unit_id IN (SELECT value FROM json_each(:units))
              AND last_end <= :end
            UNION ALL
            SELECT earlier.indicator_id, earlier.unit_id, f.id, f.start_day, f.end_day, f.value
            FROM earlier
            JOIN figures AS f INDEXED BY figures_current
              ON f.indicator_id = earlier.indicator_id AND f.unit_id = earlier.unit_id
             AND f.end_day = earlier.end_day AND f.superseded_at IS NULL
            """,
            {"indicators": _ids(indicator_ids), "units": _ids(unit_ids), "end": end_key},
        )
        latest: dict[tuple[int, int], tuple[int, StockValue]] = {}
        for indicator_id, unit_id, record_id, start, end, value in rows:
            # Should two current values share a day, the newest one wins.
            found = latest.get((indicator_id, unit_id))
            if found is None or record_id > found[0]:
                latest[(indicator_id, unit_id)] = (
                    record_id,
                    StockValue(unit_id, start, end, value),
                )
        return [(indicator_id, value) for (indicator_id, _unit), (_id, value) in latest.items()]

    async def raw_records(
        self,
        unit_ids: Iterable[int],
        period: Period,
        indicator_ids: Iterable[int],
        *,
        limit: int = -1,
    ) -> AsyncIterator[RawRecord]:
        """Yield the records (current and superseded) touching the period, oldest first."""
        async with self._db.stream(
            """
            SELECT f.id, i.key, u.code, f.start_day, f.end_day, f.value, f.recorded_by,
                   f.recorded_at, f.source, f.supersedes_id, f.reason, f.superseded_at
            FROM figures AS f
            JOIN indicators AS i ON i.id = f.indicator_id
            JOIN units AS u ON u.id = f.unit_id
            WHERE f.unit_id IN (SELECT value FROM json_each(?))
              AND f.indicator_id IN (SELECT value FROM json_each(?))
              AND f.end_day >= ? AND f.start_day <= ?
            ORDER BY f.id
            LIMIT ?
            """,
            (_ids(unit_ids), _ids(indicator_ids), period.start_key, period.end_key, limit),
        ) as cursor:
            # Fewer, larger hand-offs to the database thread than aiosqlite's 64 rows.
            cursor.iter_chunk_size = RAW_CHUNK
            async for row in cursor:
                yield RawRecord(
                    id=int(row[0]),
                    indicator_key=str(row[1]),
                    unit_code=str(row[2]),
                    period=_period(int(row[3]), int(row[4])),
                    value=_number(row[5]),
                    recorded_by=str(row[6]),
                    recorded_at=str(row[7]),
                    source=str(row[8]),
                    supersedes_id=row[9],
                    reason=row[10],
                    superseded_at=row[11],
                )

    async def history(self, record_id: int) -> list[RawRecord]:
        """Return a record and every record it superseded, newest first."""
        rows = await fetch_rows(
            self._db,
            """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT ?, 0
                UNION ALL
                SELECT f.supersedes_id, chain.depth + 1
                FROM figures AS f JOIN chain ON f.id = chain.id
                WHERE f.supersedes_id IS NOT NULL AND chain.depth < 1000
            )
            SELECT f.id, i.key, u.code, f.start_day, f.end_day, f.value, f.recorded_by,
                   f.recorded_at, f.source, f.supersedes_id, f.reason, f.superseded_at
            FROM chain
            JOIN figures AS f ON f.id = chain.id
            JOIN indicators AS i ON i.id = f.indicator_id
            JOIN units AS u ON u.id = f.unit_id
            ORDER BY chain.depth
            """,
            (record_id,),
        )
        return [
            RawRecord(
                id=int(row[0]),
                indicator_key=str(row[1]),
                unit_code=str(row[2]),
                period=Period.from_keys(int(row[3]), int(row[4])),
                value=_number(row[5]),
                recorded_by=str(row[6]),
                recorded_at=str(row[7]),
                source=str(row[8]),
                supersedes_id=row[9],
                reason=row[10],
                superseded_at=row[11],
            )
            for row in rows
        ]

    async def count_current(self) -> int:
        """Return how many current records there are (for summaries and tests)."""
        return int(
            await self._db.fetch_value("SELECT count(*) FROM figures WHERE superseded_at IS NULL")
            or 0
        )


class StaleCorrectionError(Exception):
    """The record a correction meant to replace was replaced meanwhile."""

    def __init__(self, record_id: int) -> None:
        super().__init__(f"figure record {record_id} is no longer current")
        self.record_id = record_id
