"""Values as officers type them: Vietnamese and English formats, and every bad value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.figures.numbers import NumberError, checked_number, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("54307", 54307),
        ("54.307", 54307),
        ("54,307", 54307),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("54 307", 54307),
        ("54\u00a0307", 54307),
        ("+53", 53),
        ("0", 0),
        ("134", 134),
    ],
)
def test_counts_in_both_languages(text: str, expected: int) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,5", 1.5), ("1.5", 1.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("0.307", 0.307)],
)
def test_decimals_where_the_measure_allows_them(text: str, expected: float) -> None:
    assert parse_number(text, integer=False) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-5", "negative"),
        ("−12", "negative"),
        ("1,5", "not_integer"),
        ("abc", "format"),
        ("12abc", "format"),
        ("1e5", "format"),
        ("nan", "format"),
        ("1.23.4", "format"),
        ("1,23,456", "format"),
        ("1.234,5,6", "format"),
        ("9" * 17, "too_large"),
        ("9" * 100, "long"),
    ],
)
def test_bad_values_say_why(text: str, problem: str) -> None:
    with pytest.raises(NumberError) as raised:
        parse_number(text)
    assert raised.value.problem == problem


def test_typed_spreadsheet_values_are_checked_too() -> None:
    assert checked_number(54307.0) == 54307
    assert checked_number(Decimal("12")) == 12
    with pytest.raises(NumberError):
        checked_number(-1)
    with pytest.raises(NumberError):
        checked_number(2.5)
    with pytest.raises(NumberError):
        checked_number(True)
    assert checked_number(2.5, integer=False) == 2.5
