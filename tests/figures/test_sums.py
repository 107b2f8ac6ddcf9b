"""The sums kept beside tips and figures (migration 0008) always agree with the rows themselves."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.db import Database, migrate
from bot.figures.tips_stats import (
    TipStats,
    histogram_median,
    split_period,
)
from bot.kernel.periods import Period, parse_period
from bot.tips.stats_repository import TipsStatsRepository
from tests.figures.conftest import Figures

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Another offset: the sums are local months at UTC+7, so /stats must count single tips here.
ELSEWHERE = ZoneInfo("Europe/Berlin")
CATEGORIES = ("drugs", "theft", "fraud", "dispute")
STATUSES = ("received", "taken", "verified", "closed")


async def _add_tips(figures: Figures, count: int, seed: int = 7) -> None:
    """Write `count` tips over 2022-2023 in the test tree, some with no unit, some acted on."""
    rng = random.Random(seed)
    units = [await figures.unit_id(code) for code in ("KG-RG-VT", "KG-RG-VQ", "KG-GQ-A", "KG")]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(count):
        received = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        acted = None
        if rng.random() < 0.7:
            acted = received + timedelta(seconds=rng.randrange(60, 5 * 86400))
        rows.append(
            (
                f"TB-TEST-{index:04d}",
                f"key-{index}",
                rng.choice(CATEGORIES),
                rng.choice(units) if rng.random() < 0.9 else None,
                rng.choice(STATUSES),
                received.isoformat(timespec="seconds"),
                (received.date() + timedelta(days=20)).isoformat(),
                None if acted is None else acted.isoformat(timespec="seconds"),
                1 if rng.random() < 0.2 else 0,
            )
        )
    async with figures.bot.app.services.db.transaction() as conn:
        await conn.executemany(
            """
            INSERT INTO tips (code, submission_key, category, legal_type, legal_type_source,
                story, place_kind, unit_id, occurred, anonymous, reporter_pseudonym, language,
                status, received_at, decision_deadline, first_action_at, updated_at, of_value)
            VALUES (?, ?, ?, 'to_giac', 'category', 'câu chuyện', 'unit', ?, 'unknown', 1,
                'pseudonym', 'vi', ?, ?, ?, ?, ?, ?)
            """,
            [(*row[:6], row[6], row[7], row[5], row[8]) for row in rows],
        )


async def _both(
    figures: Figures, code: str, period: Period, *, whole: bool
) -> tuple[TipStats, TipStats]:
    """Return /stats from the sums (UTC+7) and from the single tips (another zone's path)."""
    services = figures.bot.app.services
    tree = await services.figures.repo.subtree(await figures.unit_id(code))
    assert tree is not None
    tips = services.figures.tips
    sums = await tips.stats(list(tree.nodes), period, VIETNAM, whole_tree=whole)
    counted = await tips.from_tips(list(tree.nodes), period, VIETNAM, whole_tree=whole)
    return sums, counted


def _same_counts(sums: TipStats, counted: TipStats) -> None:
    assert sums.received == counted.received
    assert sums.by_category == counted.by_category
    assert sums.by_status == counted.by_status
    assert sums.of_value == counted.of_value
    assert sums.acted == counted.acted
    assert sums.unassigned == counted.unassigned
    if counted.median_hours is None:
        assert sums.median_hours is None
    else:
        assert sums.median_hours == pytest.approx(counted.median_hours, rel=0.1)


@pytest.mark.parametrize(
    "period",
    ["2023", "2022..2023", "2023-Q2", "2022-11-15..2023-02-03", "2023-03-07", "2021"],
)
@pytest.mark.parametrize(("code", "whole"), [("KG", True), ("KG-RG", False), ("KG-GQ-A", False)])
async def test_stats_from_the_sums_match_counting_every_tip(
    figures: Figures, period: str, code: str, whole: bool
) -> None:
    await _add_tips(figures, 400)
    sums, counted = await _both(figures, code, parse_period(period), whole=whole)
    _same_counts(sums, counted)


async def test_the_sums_follow_moves_status_changes_and_deletions(figures: Figures) -> None:
    await _add_tips(figures, 300)
    db = figures.bot.app.services.db
    other = await figures.unit_id("KG-GQ-A")
    async with db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed', of_value = 1 WHERE id % 3 = 0")
        await conn.execute("UPDATE tips SET unit_id = ? WHERE id % 5 = 0", (other,))
        await conn.execute("UPDATE tips SET unit_id = NULL WHERE id % 7 = 0")
        await conn.execute(
            "UPDATE tips SET first_action_at = NULL, category = 'other' WHERE id % 11 = 0"
        )
        await conn.execute(
            "UPDATE tips SET first_action_at = received_at WHERE first_action_at IS NULL "
            "AND id % 2 = 0"
        )
        await conn.execute("DELETE FROM tips WHERE id % 13 = 0")
    for code, whole in (("KG", True), ("KG-RG", False), ("KG-GQ", False)):
        for period in ("2022..2023", "2023-05", "2022-12-30..2023-01-02"):
            sums, counted = await _both(figures, code, parse_period(period), whole=whole)
            _same_counts(sums, counted)
    # Nothing is left over when every tip is gone.
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM tips")
    assert await figures.count("SELECT count(*) FROM tip_counts WHERE tips <> 0") == 0
    assert await figures.count("SELECT count(*) FROM tip_delays WHERE tips <> 0") == 0


async def test_stats_answer_from_single_tips_in_another_time_zone(figures: Figures) -> None:
    await _add_tips(figures, 200)
    services = figures.bot.app.services
    tree = await services.figures.repo.subtree(await figures.unit_id("KG"))
    assert tree is not None
    tips = services.figures.tips
    period = parse_period("2023")
    berlin = await tips.stats(list(tree.nodes), period, ELSEWHERE, whole_tree=True)
    counted = await tips.from_tips(list(tree.nodes), period, ELSEWHERE, whole_tree=True)
    assert berlin == counted


def test_a_period_is_cut_into_years_months_and_edge_days() -> None:
    parts = split_period(parse_period("2013..2023"))
    assert parts.keys == list(range(2013, 2024))
    assert parts.edges == []
    parts = split_period(parse_period("2022-11-15..2024-02-03"))
    assert parts.keys == [202212, 2023, 202401]
    assert parts.edges == [
        (date(2022, 11, 15), date(2022, 11, 30)),
        (date(2024, 2, 1), date(2024, 2, 3)),
    ]
    parts = split_period(parse_period("2023-03-07"))
    assert parts.keys == []
    assert parts.edges == [(date(2023, 3, 7), date(2023, 3, 7))]


def test_the_histogram_median_interpolates_inside_a_bucket() -> None:
    lows = [0, 60, 3600, 7200]
    assert histogram_median({}, lows) is None
    # One delay in the second bucket: its middle, 1830 s.
    assert histogram_median({1: 1}, lows) == pytest.approx(1830 / 3600)
    # Two buckets of two: the mean of the 2nd and 3rd values.
    median = histogram_median({0: 2, 2: 2}, lows)
    assert median == pytest.approx((45 + 4500) / 2 / 3600)
    # Counts that fell to zero (tips moved away) are skipped.
    assert histogram_median({0: 0, 3: 3}, lows) == pytest.approx(7200 / 3600)


async def test_a_series_keeps_its_latest_record_through_corrections(figures: Figures) -> None:
    await figures.put("models_effective", "KG-RG", "2023-06", 10)
    latest = await figures.put("models_effective", "KG-RG", "2023-12", 12)
    await figures.put("models_effective", "KG-RG", "2022", 8)
    series = "SELECT last_id FROM figure_series WHERE last_id IS NOT NULL"
    assert await figures.count(series) == latest
    corrected = await figures.put("models_effective", "KG-RG", "2023-12", 14, reason="sửa")
    assert await figures.count(series) == corrected
    assert await figures.total("KG", "2023", "models_effective") == 14
    assert await figures.total("KG", "2023-06", "models_effective") == 10
    assert await figures.total("KG", "2022", "models_effective") == 8


async def test_each_database_keeps_its_own_delay_buckets(figures: Figures, tmp_path: Path) -> None:
    services = figures.bot.app.services
    lows = await TipsStatsRepository(services.db).bucket_lows()
    other = Database(tmp_path / "other.sqlite3")
    try:
        await other.open()
        await migrate(other)
        async with other.transaction() as conn:
            await conn.execute("UPDATE tip_delay_buckets SET low_seconds = -low_seconds - 1")
        # Read after the first database's: a cache shared by the class would answer its lows.
        assert await TipsStatsRepository(other).bucket_lows() == tuple(-low - 1 for low in lows)
        assert await TipsStatsRepository(services.db).bucket_lows() == lows
    finally:
        await other.close()
