"""The counting rules: flow, stock and cohort over ranges and subtrees, overlaps, missing units,
corrections with provenance, and the fast paths agreeing with a plain count."""

from __future__ import annotations

import random
import sqlite3
from datetime import date
from typing import Any

import pytest

from bot.figures.render import answer_text
from bot.figures.service import Scope
from bot.kernel.i18n import translator
from bot.kernel.periods import Period, parse_period
from tests.figures.conftest import TODAY, Figures


async def test_flow_is_summed_over_a_multi_year_range_and_the_whole_subtree(
    figures: Figures,
) -> None:
    data = [
        ("KG-RG-VT", "2014", 10),
        ("KG-RG-VT", "2015", 20),
        ("KG-RG-VQ", "2014-05", 5),
        ("KG-GQ-A", "2016-Q3", 7),
        ("KG-HT", "2019-02-03", 3),
    ]
    for unit, period, value in data:
        await figures.put("disputes_mediated", unit, period, value)

    def expected(units: set[str], period: str) -> int:
        wanted = parse_period(period)
        return sum(
            value
            for unit, when, value in data
            if unit in units and wanted.contains(parse_period(when))
        )

    everyone = {unit for unit, _period, _value in data}
    rach_gia = {"KG-RG-VT", "KG-RG-VQ"}
    assert await figures.total("KG", "2013..2023", "disputes_mediated") == expected(
        everyone, "2013..2023"
    )
    assert await figures.total("KG-RG", "2013..2023", "disputes_mediated") == expected(
        rach_gia, "2013..2023"
    )
    assert await figures.total("KG", "2014", "disputes_mediated") == expected(everyone, "2014")
    assert await figures.total("KG", "2014-05..2016", "disputes_mediated") == expected(
        everyone, "2014-05..2016"
    )
    assert await figures.total("KG", "2019-02", "disputes_mediated") == expected(
        everyone, "2019-02"
    )
    assert await figures.total("KG-GQ", "2014..2015", "disputes_mediated") is None


async def test_stock_is_the_latest_value_never_summed_across_time(figures: Figures) -> None:
    history = {"KG-RG": [("2019", 10), ("2021", 12), ("2023", 15)], "KG-GQ": [("2020", 4)]}
    for unit, values in history.items():
        for period, value in values:
            await figures.put("models_effective", unit, period, value)

    def latest(unit: str, by: str) -> int:
        end = parse_period(by).end
        dated = [(parse_period(p).end, v) for p, v in history[unit] if parse_period(p).end <= end]
        return max(dated)[1] if dated else 0

    for period in ("2013..2023", "2022", "2020-06..2021"):
        assert await figures.total("KG", period, "models_effective") == latest(
            "KG-RG", period
        ) + latest("KG-GQ", period)
    assert await figures.total("KG", "2018", "models_effective") is None
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2022"), ["models_effective"]
    )
    assert answer is not None
    line = answer.line("models_effective")
    assert line is not None
    assert (line.outcome.first_as_of, line.outcome.last_as_of) == (20201231, 20211231)


async def test_cohort_part_is_answered_with_its_base_and_ratio(figures: Figures) -> None:
    managed, progressed = 134, 39
    await figures.put("drug_users_managed", "KG", "2013..2023", managed)
    await figures.put("drug_users_progressed", "KG", "2013..2023", progressed)
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2013..2023"), ["drug_users_progressed"]
    )
    assert answer is not None
    assert [line.indicator.key for line in answer.lines] == [
        "drug_users_managed",
        "drug_users_progressed",
    ]
    part = answer.line("drug_users_progressed")
    assert part is not None
    assert part.ratio == pytest.approx(progressed / managed)
    text = answer_text(translator("vi"), answer)
    assert f"({round(100 * progressed / managed)}%)" in text


async def test_cohort_part_larger_than_its_base_is_refused(figures: Figures) -> None:
    await figures.put("drug_users_managed", "KG", "2023", 10)
    figure = await figures.prepared("drug_users_progressed", "KG", "2023", "11")
    problem = await figures.service.cohort_problem(figure)
    assert problem is not None
    assert problem.key == "figures.error.cohort_exceeds"


async def test_higher_unit_wins_an_overlap_and_the_overlap_is_flagged(figures: Figures) -> None:
    province, district = 1000, 100
    await figures.put("disputes_mediated", "KG", "2013..2023", province)
    await figures.put("disputes_mediated", "KG-RG", "2020", district)
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2013..2023"), ["disputes_mediated"]
    )
    assert answer is not None
    line = answer.line("disputes_mediated")
    assert line is not None
    assert line.outcome.total == province
    (exclusion,) = line.outcome.exclusions
    assert exclusion.reason == "ancestor"
    assert exclusion.unit_id == await figures.unit_id("KG-RG")
    assert exclusion.counted_unit_id == await figures.unit_id("KG")
    assert exclusion.value == district
    text = answer_text(translator("en"), answer)
    assert "the figure of Kien Giang Province (KG) is counted" in text
    assert "Rach Gia City (KG-RG)" in text
    # Asked about the district alone, its own record counts.
    assert await figures.total("KG-RG", "2013..2023", "disputes_mediated") == district


async def test_lower_units_count_where_the_higher_unit_did_not_report(figures: Figures) -> None:
    await figures.put("disputes_mediated", "KG", "2013..2020", 500)
    await figures.put("disputes_mediated", "KG-RG", "2022", 30)
    await figures.put("disputes_mediated", "KG-RG-VT", "2022-03", 7)
    await figures.put("disputes_mediated", "KG-GQ-A", "2019", 9)
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2013..2023"), ["disputes_mediated"]
    )
    assert answer is not None
    line = answer.line("disputes_mediated")
    assert line is not None
    # KG's 2013..2020 covers the commune's 2019; KG-RG's 2022 covers its ward's March 2022.
    assert line.outcome.total == 500 + 30
    reasons = {
        (exclusion.unit_id, exclusion.counted_unit_id) for exclusion in line.outcome.exclusions
    }
    assert reasons == {
        (await figures.unit_id("KG-GQ-A"), await figures.unit_id("KG")),
        (await figures.unit_id("KG-RG-VT"), await figures.unit_id("KG-RG")),
    }


async def test_overlapping_records_of_one_unit_count_the_longest_once(figures: Figures) -> None:
    await figures.put("disputes_mediated", "KG", "2013..2023", 1000)
    yearly = {"2015": 90, "2016": 95}
    for period, value in yearly.items():
        await figures.put("disputes_mediated", "KG", period, value)
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2013..2023"), ["disputes_mediated"]
    )
    assert answer is not None
    line = answer.line("disputes_mediated")
    assert line is not None
    assert line.outcome.total == 1000
    (exclusion,) = line.outcome.exclusions
    assert (exclusion.reason, exclusion.records, exclusion.value) == (
        "self",
        len(yearly),
        sum(yearly.values()),
    )
    # One year alone: the decade total straddles it, the yearly record counts.
    assert await figures.total("KG", "2015", "disputes_mediated") == yearly["2015"]


async def test_records_straddling_the_period_are_not_counted_but_named(figures: Figures) -> None:
    await figures.put("offenders_surrendered", "KG", "2013..2023", 53)
    answer = await figures.service.answer(
        await figures.unit_id("KG"), parse_period("2023"), ["offenders_surrendered"]
    )
    assert answer is not None
    line = answer.line("offenders_surrendered")
    assert line is not None
    assert not line.outcome.has_data
    (exclusion,) = line.outcome.exclusions
    assert (exclusion.reason, exclusion.value) == ("partial", 53)
    text = answer_text(translator("vi"), answer)
    assert "vượt ra ngoài kỳ nên không tính" in text
    assert "giai đoạn 2013–2023" in text


async def test_units_that_reported_nothing_are_listed_as_missing(figures: Figures) -> None:
    await figures.put("disputes_mediated", "KG-RG-VT", "2023", 5)
    answer = await figures.service.answer(await figures.unit_id("KG"), parse_period("2023"))
    assert answer is not None
    # Covered: the ward, the district and province above it. Missing: the other ward, and
    # the two districts with nothing at or below them (Gò Quao's commune is not listed on its
    # own); the retired district is not expected to report.
    assert {node.code for node in answer.missing} == {"KG-RG-VQ", "KG-GQ", "KG-HT"}
    assert "Chưa báo cáo trong kỳ (3)" in answer_text(translator("vi"), answer)

    await figures.put("disputes_mediated", "KG", "2023", 50)
    answer = await figures.service.answer(await figures.unit_id("KG"), parse_period("2023"))
    assert answer is not None
    assert answer.missing == []


async def test_a_correction_supersedes_the_record_and_keeps_who_when_why(
    figures: Figures,
) -> None:
    first = await figures.put("disputes_mediated", "KG", "2023", 100)
    figure = await figures.prepared("disputes_mediated", "KG", "2023", "120")
    asked = await figures.service.record(figure, by="tg:7100003")
    assert asked.status == "needs_reason"
    assert await figures.count("SELECT count(*) FROM figures") == 1

    corrected = await figures.service.record(figure, by="tg:7100003", reason="Sai số tổng hợp")
    assert corrected.status == "corrected"
    assert corrected.record_id is not None
    rows = await figures.bot.app.services.db.fetch_all(
        "SELECT id, value, recorded_by, supersedes_id, reason, superseded_at FROM figures "
        "ORDER BY id"
    )
    old, new = (dict(row) for row in rows)
    assert old["id"] == first
    assert old["value"] == 100
    assert old["superseded_at"] is not None
    assert new["supersedes_id"] == first
    assert new["reason"] == "Sai số tổng hợp"
    assert new["recorded_by"] == "tg:7100003"
    assert await figures.total("KG", "2023", "disputes_mediated") == 120
    assert await figures.total("KG", "2020..2023", "disputes_mediated") == 120
    history = await figures.service.repo.history(corrected.record_id)
    assert [(record.value, record.superseded_at is None) for record in history] == [
        (120, True),
        (100, False),
    ]

    again = await figures.service.record(figure, by="tg:7100003", reason="lần nữa")
    assert again.status == "unchanged"
    assert await figures.count("SELECT count(*) FROM figures") == 2


async def test_figure_records_cannot_be_edited_or_deleted(figures: Figures) -> None:
    record_id = await figures.put("disputes_mediated", "KG", "2023", 100)
    db = figures.bot.app.services.db
    for statement in (
        "UPDATE figures SET value = 1 WHERE id = ?",
        "DELETE FROM figures WHERE id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute(statement, (record_id,))
    assert await figures.total("KG", "2023", "disputes_mediated") == 100


async def test_a_stock_is_corrected_by_a_record_for_the_same_date(figures: Figures) -> None:
    await figures.put("models_effective", "KG", "2023", 40)
    figure = await figures.prepared("models_effective", "KG", "2023-Q4", "41")
    assert (await figures.service.record(figure, by="tg:1")).status == "needs_reason"
    assert (await figures.service.record(figure, by="tg:1", reason="kiểm tra lại")).status == (
        "corrected"
    )
    assert await figures.total("KG", "2023", "models_effective") == 41


@pytest.mark.parametrize(
    ("value", "period", "key"),
    [
        ("-3", "2023", "figures.value_error.negative"),
        ("2,5", "2023", "figures.value_error.not_integer"),
        ("mười", "2023", "figures.value_error.format"),
        ("5", "2023-13", "figures.period_error.day"),
        ("5", "2030", "figures.error.future_period"),
        ("5", "2030..2020", "figures.period_error.order"),
    ],
)
async def test_bad_values_and_periods_are_refused(
    figures: Figures, value: str, period: str, key: str
) -> None:
    problems = await figures.service.prepare(
        indicator="disputes_mediated",
        value=value,
        unit="KG",
        period=period,
        scope=Scope.everything(),
        today=TODAY,
    )
    assert isinstance(problems, list)
    assert [problem.key for problem in problems] == [key]


async def test_a_unit_outside_the_scope_is_refused(figures: Figures) -> None:
    rach_gia = await figures.unit_id("KG-RG")
    scope = Scope(rach_gia, frozenset([rach_gia, *await _below(figures, rach_gia)]))
    problems = await figures.service.prepare(
        indicator="disputes_mediated",
        value="5",
        unit="KG-GQ",
        period="2023",
        scope=scope,
        today=TODAY,
    )
    assert isinstance(problems, list)
    assert [problem.key for problem in problems] == ["figures.error.unit_outside_scope"]


async def _below(figures: Figures, unit_id: int) -> list[int]:
    return await figures.bot.app.services.units.subtree_ids(unit_id)


async def test_fast_paths_agree_with_a_plain_count(figures: Figures) -> None:
    """Year totals, edge scans and multi-year records add up like counting every record.

    Only wards report (no unit overlaps) and each ward's records never overlap each other,
    so the total of a period is simply the sum of the records lying inside it.
    """
    rng = random.Random(20260101)
    wards = ["KG-RG-VT", "KG-RG-VQ", "KG-GQ-A"]
    records: list[tuple[str, Period, int]] = []
    for ward in wards:
        day = parse_period("2014-01-01").start
        while day.year < 2024:
            shape = rng.choice(["month", "quarter", "year", "multi", "day"])
            first_of_month = day.day == 1
            if shape == "month" and first_of_month:
                period = Period.month(day.year, day.month)
            elif shape == "quarter" and first_of_month and day.month in (1, 4, 7, 10):
                period = Period.quarter(day.year, (day.month - 1) // 3 + 1)
            elif shape == "year" and first_of_month and day.month == 1:
                period = Period.year(day.year)
            elif shape == "multi" and first_of_month and day.month == 7:
                period = parse_period(f"{day.year}-07..{day.year + 1}-06")
            else:
                period = Period.day(day)
            if period.end.year >= 2024:
                period = Period.day(day)
            value = rng.randint(0, 500)
            records.append((ward, period, value))
            await figures.put("disputes_mediated", ward, period.label(), value)
            # Mostly the next day; sometimes a gap, or a jump to the next month's first day.
            gap = rng.choice([0, 0, 20, -1])
            day = date.fromordinal(period.end.toordinal() + 1 + max(gap, 0))
            if gap < 0 and day.day != 1:
                day = Period.month(day.year, day.month).end
                day = date.fromordinal(day.toordinal() + 1)
    flagged = await figures.count("SELECT count(*) FROM figure_series WHERE overlapping = 1")
    assert flagged == 0, "the generator must not make overlapping records"
    # Corrections go through the year totals' triggers too.
    for ward, period, value in rng.sample(records, 5):
        await figures.put("disputes_mediated", ward, period.label(), value + 1, reason="sửa")
        records.remove((ward, period, value))
        records.append((ward, period, value + 1))
    queries = ["2014..2023", "2015", "2016-03", "2017-Q2..2019-05", "2014-07-15..2015-02-03"]
    first_day = parse_period("2014-01-01").start.toordinal()
    for _ in range(10):
        start, end = sorted(rng.sample(range(first_day, first_day + 3650), 2))
        queries.append(Period(date.fromordinal(start), date.fromordinal(end)).label())
    for query in queries:
        wanted = parse_period(query)
        for root, members in (("KG", set(wards)), ("KG-RG", {"KG-RG-VT", "KG-RG-VQ"})):
            inside = [v for w, p, v in records if w in members and wanted.contains(p)]
            total = await figures.total(root, query, "disputes_mediated")
            assert (total or 0) == sum(inside), (root, query)


async def test_a_figure_recorded_meanwhile_is_read_again_not_duplicated(
    figures: Figures, monkeypatch: pytest.MonkeyPatch
) -> None:
    await figures.put("awards", "KG", "2023", 5)
    repo = figures.service.repo
    real = repo.current_record
    reads = 0

    async def stale_first(*args: Any, **kwargs: Any) -> Any:
        # The first read misses the record, as if another officer saved it a moment later.
        nonlocal reads
        reads += 1
        return None if reads == 1 else await real(*args, **kwargs)

    monkeypatch.setattr(repo, "current_record", stale_first)
    figure = await figures.prepared("awards", "KG", "2023", "6")
    result = await figures.service.record(figure, by="tg:1")
    assert result.status == "needs_reason"
    assert reads == 2
    assert await figures.count("SELECT count(*) FROM figures") == 1
