"""Periods: every syntax officers type, the bad ones, labels and overlap arithmetic."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.periods import Period, PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2023-05-29", date(2023, 5, 29), date(2023, 5, 29), "2023-05-29"),
        ("29/5/2023", date(2023, 5, 29), date(2023, 5, 29), "2023-05-29"),
        ("2023-05", date(2023, 5, 1), date(2023, 5, 31), "2023-05"),
        ("5/2023", date(2023, 5, 1), date(2023, 5, 31), "2023-05"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("2023-Q2", date(2023, 4, 1), date(2023, 6, 30), "2023-Q2"),
        ("2023q4", date(2023, 10, 1), date(2023, 12, 31), "2023-Q4"),
        ("Q1/2023", date(2023, 1, 1), date(2023, 3, 31), "2023-Q1"),
        ("2023", date(2023, 1, 1), date(2023, 12, 31), "2023"),
        ("2013..2023", date(2013, 1, 1), date(2023, 12, 31), "2013..2023"),
        ("2013-2023", date(2013, 1, 1), date(2023, 12, 31), "2013..2023"),
        ("2013–2023", date(2013, 1, 1), date(2023, 12, 31), "2013..2023"),
        ("2013-01..2023-05", date(2013, 1, 1), date(2023, 5, 31), "2013-01..2023-05"),
        ("2023-Q1..2023-Q3", date(2023, 1, 1), date(2023, 9, 30), "2023-Q1..2023-Q3"),
        ("2023-05-02..2023-05-09", date(2023, 5, 2), date(2023, 5, 9), "2023-05-02..2023-05-09"),
        (" 2023 ", date(2023, 1, 1), date(2023, 12, 31), "2023"),
    ],
)
def test_every_period_syntax_is_read(text: str, start: date, end: date, label: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.label() == label
    assert parse_period(period.label()) == period


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "format"),
        ("hôm qua", "format"),
        ("2023-13", "day"),
        ("2023-02-30", "day"),
        ("31/2/2023", "day"),
        ("2023-Q5", "format"),
        ("2023..2013", "order"),
        ("2023-2013", "order"),
        ("2023-06..2023-05", "order"),
        ("1850", "year"),
        ("2013....2023", "format"),
        ("2013..", "format"),
        ("2" * 10_000, "long"),
    ],
)
def test_malformed_periods_say_why(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert raised.value.reason == reason


def test_overlap_and_containment() -> None:
    decade, year, month = parse_period("2013..2023"), parse_period("2020"), parse_period("2024-01")
    assert decade.overlaps(year)
    assert decade.contains(year)
    assert not year.contains(decade)
    assert not decade.overlaps(month)
    assert decade.intersection(month) is None
    assert decade.intersection(parse_period("2023-07..2024-06")) == parse_period("2023-07..2023-12")
    assert [part.label() for part in parse_period("2022-11..2024-02").year_parts()] == [
        "2022-11..2022-12",
        "2023",
        "2024-01..2024-02",
    ]


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=5000),
)
def test_any_period_label_reads_back_to_the_same_days(start: date, length: int) -> None:
    end = min(date(2100, 12, 31), date.fromordinal(start.toordinal() + length))
    period = Period(start, end)
    assert parse_period(period.label()) == period
    assert Period.from_keys(period.start_key, period.end_key) == period
