"""Performance: sums of tips per unit, month and year, and each figure series' latest record.

The benchmark (bench/, BENCHMARKS.md) asks /stats for a province decade at a million tips in
under 50 ms; counting the rows themselves takes seconds. So:

- `tip_counts` holds, per unit (0: no unit), per local year (YYYY) and local month (YYYYMM),
  how many tips there are by category, by status and of value. A decade reads ten year rows
  per unit and value, a year twelve month rows, whatever the number of tips.
- `tip_delays` holds, on the same keys, how many tips were first acted on after a delay in each
  bucket of `tip_delay_buckets` (10% wide), so the median time to first action comes from a
  histogram instead of sorting every delay; it is exact to within a bucket's interpolation.
- Triggers keep both in step with every insert, delete and change of a tip's unit, category,
  status, value flag, receipt or first action, in the writer's own transaction.
- Rows with unit -1 hold the same sums over every tip, so a question about the whole tree (a
  province, when it is the only one) reads a few rows, not one set per commune.
- `figure_series` also keeps each series' latest current record (triggers again), so the stock
  values at the end of a period reaching a series' last record need no search in `figures`.
- `tips_for_stats` covers what /stats reads of single tips (the partial months at a period's
  edges, or every tip when the time zone is not UTC+7), and is what hand-written SQL scans.

Local months are taken at UTC+7: Vietnam has kept that offset since 1975. A bot configured with
another TIMEZONE still answers correctly from the tips themselves (bot.figures.tips_stats).
"""

from __future__ import annotations

from typing import Final

# Offset of the local calendar the sums are kept in (Asia/Ho_Chi_Minh).
LOCAL_OFFSET: Final = "+7 hours"
LOCAL_OFFSET_HOURS: Final = 7
# Delay buckets: [0, 60 s), then each 10% wider than the one before, up to about 400 days.
BUCKET_RATIO: Final = 1.1
FIRST_BUCKET_SECONDS: Final = 60
LAST_BUCKET_SECONDS: Final = 400 * 86400
# The dimensions of tip_counts and the column each one counts by.
DIMENSIONS: Final = {"category": "category", "status": "status"}
# The unit key of the sums over every tip (every unit, and no unit): a province-wide question
# reads those rows instead of one row per commune.
ALL_UNITS: Final = -1


def bucket_lows() -> list[int]:
    """Return the lower bound, in seconds, of every delay bucket (the first is 0)."""
    lows = [0]
    low = float(FIRST_BUCKET_SECONDS)
    while low < LAST_BUCKET_SECONDS:
        lows.append(round(low))
        low *= BUCKET_RATIO
    return lows


def _year(row: str) -> str:
    return f"CAST(strftime('%Y', {row}.received_at, '{LOCAL_OFFSET}') AS INTEGER)"


def _month(row: str) -> str:
    return f"CAST(strftime('%Y%m', {row}.received_at, '{LOCAL_OFFSET}') AS INTEGER)"


def _bucket(row: str) -> str:
    delay = (
        f"max(0, CAST(round((julianday({row}.first_action_at) - julianday({row}.received_at))"
        " * 86400) AS INTEGER))"
    )
    return (
        "(SELECT bucket FROM tip_delay_buckets "
        f"WHERE low_seconds <= {delay} ORDER BY low_seconds DESC LIMIT 1)"
    )


def _units(row: str) -> tuple[str, str]:
    """Return the two unit keys a tip counts under: its own (0: none) and ALL_UNITS."""
    return f"coalesce({row}.unit_id, 0)", str(ALL_UNITS)


def _count_rows(row: str, sign: str) -> list[str]:
    """Return the tip_counts rows one tip adds to (sign '+1') or takes from ('-1')."""
    rows: list[str] = []
    for unit in _units(row):
        for period in (_year(row), _month(row)):
            for dimension, column in DIMENSIONS.items():
                rows.append(f"({unit}, {period}, '{dimension}', {row}.{column}, {sign})")
            # Tips of value count as a dimension of their own, with '1' as its only value.
            rows.append(f"({unit}, {period}, 'of_value', '1', {sign} * ({row}.of_value = 1))")
    return rows


def _delay_rows(row: str, sign: str) -> list[str]:
    """Return SELECTs of the tip_delays rows of one tip, empty while it waits for action."""
    return [
        f"SELECT {unit} AS unit_id, {period} AS period, {_bucket(row)} AS bucket, "
        f"{sign} AS tips WHERE {row}.first_action_at IS NOT NULL"
        for unit in _units(row)
        for period in (_year(row), _month(row))
    ]


def _upserts(parts: list[tuple[str, str]]) -> str:
    """Return the statements that apply the rows of (OLD/NEW, sign) parts to both tables."""
    counts = ",\n            ".join(row for name, sign in parts for row in _count_rows(name, sign))
    delays = "\n            UNION ALL ".join(
        select for name, sign in parts for select in _delay_rows(name, sign)
    )
    return f"""
        INSERT INTO tip_counts (unit_id, period, dimension, value, tips)
        VALUES
            {counts}
        ON CONFLICT (unit_id, period, dimension, value) DO UPDATE SET tips = tips + excluded.tips;
        INSERT INTO tip_delays (unit_id, period, bucket, tips)
        SELECT unit_id, period, bucket, tips FROM (
            {delays}
        ) WHERE true
        ON CONFLICT (unit_id, period, bucket) DO UPDATE SET tips = tips + excluded.tips;
    """


# The newest current record of a series: the last day, then the newest id (as figures reads).
_LATEST: Final = """
    SELECT f.id, f.start_day, f.end_day, f.value FROM figures AS f INDEXED BY figures_current
    WHERE f.indicator_id = figure_series.indicator_id AND f.unit_id = figure_series.unit_id
      AND f.superseded_at IS NULL
    ORDER BY f.end_day DESC, f.id DESC LIMIT 1
"""
_WATCHED: Final = ("unit_id", "category", "status", "of_value", "received_at", "first_action_at")
_CHANGED: Final = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _WATCHED)


STATEMENTS: Final[tuple[str, ...]] = (
    """
    CREATE TABLE tip_delay_buckets (
        bucket      INTEGER PRIMARY KEY,
        -- Delays from low_seconds (included) to the next bucket's low_seconds fall here.
        low_seconds INTEGER NOT NULL UNIQUE
    )
    """,
    "INSERT INTO tip_delay_buckets (bucket, low_seconds) VALUES "
    + ", ".join(f"({index}, {low})" for index, low in enumerate(bucket_lows())),
    """
    CREATE TABLE tip_counts (
        -- 0 for tips with no unit (counted as "unassigned" for the whole tree); -1 for every
        -- tip whatever its unit (the sums of a question about the whole tree).
        unit_id   INTEGER NOT NULL,
        -- A local year (YYYY) or month (YYYYMM) at UTC+7: the two never collide.
        period    INTEGER NOT NULL,
        dimension TEXT NOT NULL CHECK (dimension IN ('category', 'status', 'of_value')),
        value     TEXT NOT NULL,
        -- May fall to 0 when tips move; readers skip such rows.
        tips      INTEGER NOT NULL,
        PRIMARY KEY (unit_id, period, dimension, value)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE tip_delays (
        unit_id INTEGER NOT NULL,
        period  INTEGER NOT NULL,
        bucket  INTEGER NOT NULL REFERENCES tip_delay_buckets (bucket),
        tips    INTEGER NOT NULL,
        PRIMARY KEY (unit_id, period, bucket)
    ) WITHOUT ROWID
    """,
    # The sums of the tips already there (a database migrated with its tips).
    f"""
    INSERT INTO tip_counts (unit_id, period, dimension, value, tips)
    SELECT unit_id, period, dimension, value, sum(tips) FROM (
        SELECT coalesce(t.unit_id, 0) AS unit_id, {_year("t")} AS period,
               'category' AS dimension, t.category AS value, 1 AS tips FROM tips AS t
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_month("t")}, 'category', t.category, 1 FROM tips AS t
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_year("t")}, 'status', t.status, 1 FROM tips AS t
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_month("t")}, 'status', t.status, 1 FROM tips AS t
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_year("t")}, 'of_value', '1', 1 FROM tips AS t
        WHERE t.of_value = 1
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_month("t")}, 'of_value', '1', 1 FROM tips AS t
        WHERE t.of_value = 1
    )
    GROUP BY unit_id, period, dimension, value
    """,
    f"""
    INSERT INTO tip_counts (unit_id, period, dimension, value, tips)
    SELECT {ALL_UNITS}, period, dimension, value, sum(tips) FROM tip_counts
    GROUP BY period, dimension, value
    """,
    f"""
    INSERT INTO tip_delays (unit_id, period, bucket, tips)
    SELECT unit_id, period, bucket, count(*) FROM (
        SELECT coalesce(t.unit_id, 0) AS unit_id, {_year("t")} AS period, {_bucket("t")} AS bucket
        FROM tips AS t WHERE t.first_action_at IS NOT NULL
        UNION ALL
        SELECT coalesce(t.unit_id, 0), {_month("t")}, {_bucket("t")}
        FROM tips AS t WHERE t.first_action_at IS NOT NULL
    )
    GROUP BY unit_id, period, bucket
    """,
    f"""
    INSERT INTO tip_delays (unit_id, period, bucket, tips)
    SELECT {ALL_UNITS}, period, bucket, sum(tips) FROM tip_delays GROUP BY period, bucket
    """,
    f"""
    CREATE TRIGGER tip_counts_on_insert AFTER INSERT ON tips
    BEGIN
        {_upserts([("NEW", "1")])}
    END
    """,
    f"""
    CREATE TRIGGER tip_counts_on_delete AFTER DELETE ON tips
    BEGIN
        {_upserts([("OLD", "-1")])}
    END
    """,
    f"""
    CREATE TRIGGER tip_counts_on_update
    AFTER UPDATE OF {", ".join(_WATCHED)} ON tips
    WHEN {_CHANGED}
    BEGIN
        {_upserts([("OLD", "-1"), ("NEW", "1")])}
    END
    """,
    # Each figure series' latest current record, so the stock values at the end of a period
    # that reaches the series' last record are read from figure_series alone.
    "ALTER TABLE figure_series ADD COLUMN last_id INTEGER",
    "ALTER TABLE figure_series ADD COLUMN last_start INTEGER",
    "ALTER TABLE figure_series ADD COLUMN last_end INTEGER",
    "ALTER TABLE figure_series ADD COLUMN last_value NUMERIC",
    f"""
    UPDATE figure_series SET (last_id, last_start, last_end, last_value) = ({_LATEST})
    """,
    # The series row may not exist yet (the figures migration's trigger makes it too, in an
    # order SQLite does not promise), so this one makes sure of it first.
    """
    CREATE TRIGGER figure_series_last_on_insert AFTER INSERT ON figures
    WHEN NEW.superseded_at IS NULL
    BEGIN
        INSERT OR IGNORE INTO figure_series (indicator_id, unit_id)
        VALUES (NEW.indicator_id, NEW.unit_id);
        UPDATE figure_series
        SET last_id = NEW.id, last_start = NEW.start_day, last_end = NEW.end_day,
            last_value = NEW.value
        WHERE indicator_id = NEW.indicator_id AND unit_id = NEW.unit_id
          AND (last_end IS NULL OR NEW.end_day > last_end
               OR (NEW.end_day = last_end AND NEW.id > last_id));
    END
    """,
    # A superseded latest record hands over to the series' newest current one (if any).
    f"""
    CREATE TRIGGER figure_series_last_on_supersede AFTER UPDATE OF superseded_at ON figures
    WHEN OLD.superseded_at IS NULL AND NEW.superseded_at IS NOT NULL
    BEGIN
        UPDATE figure_series SET (last_id, last_start, last_end, last_value) = (
            {_LATEST.replace("figure_series.", "OLD.")}
        )
        WHERE indicator_id = OLD.indicator_id AND unit_id = OLD.unit_id AND last_id = OLD.id;
    END
    """,
    # What /stats reads of single tips, in the order it reads them: no table lookups.
    """
    CREATE INDEX tips_for_stats
        ON tips (unit_id, received_at, category, status, of_value, first_action_at)
    """,
)
