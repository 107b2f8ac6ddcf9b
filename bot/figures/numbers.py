"""Numbers as officers type them, in Vietnamese (54.307 / 1,5) or English (54,307 / 1.5) style.

The rule that makes both work without knowing the writer's language: a separator followed by
exactly three digits, after one to three leading digits, groups thousands (54.307 = 54,307 =
54307); any other single separator is the decimal point (1,5 = 1.5). When both "." and "," are
present, the last one is the decimal point (1.234,5 = 1,234.5).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

Number = int | float

# VND totals of a province over a decade stay far below this; anything larger is a typo, and
# keeping values below 2**53 keeps SQLite's sums exact.
MAX_VALUE: Final = 10**15
MAX_NUMBER_TEXT: Final = 40

NumberProblem = Literal["empty", "format", "negative", "too_large", "not_integer", "long"]

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’_]")
_DIGITS = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


class NumberError(ValueError):
    """Text that is not an acceptable value; `problem` names why (a catalog key suffix)."""

    def __init__(self, problem: NumberProblem) -> None:
        super().__init__(problem)
        self.problem = problem


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise NumberError("format") from None
    if not value.is_finite():
        raise NumberError("format")
    return value


def _unsigned(text: str) -> Decimal:
    """Turn digits with thousands separators and at most one decimal mark into a Decimal."""
    if _DIGITS.match(text):
        return Decimal(text)
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        whole, _, fraction = text.rpartition(decimal_mark)
        if thousands in fraction or not _DIGITS.match(fraction):
            raise NumberError("format")
        if not re.match(rf"^\d{{1,3}}(?:\{thousands}\d{{3}})*$", whole):
            raise NumberError("format")
        return _decimal(whole.replace(thousands, "") + "." + fraction)
    mark = "." if dots else ","
    count = dots or commas
    if count > 1:
        if not _GROUPED.match(text):
            raise NumberError("format")
        return _decimal(text.replace(mark, ""))
    whole, _, fraction = text.partition(mark)
    if not (_DIGITS.match(whole) or whole == "") or not _DIGITS.match(fraction):
        raise NumberError("format")
    # 54.307 groups thousands; 0.307 and 1.5 are decimals (a group never follows a lone 0).
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
        return Decimal(whole + fraction)
    return _decimal((whole or "0") + "." + fraction)


def parse_number(text: str, *, integer: bool = True) -> Number:
    """Return the non-negative number written in `text`; raise NumberError otherwise.

    With `integer`, a fraction is refused (counts of cases, people, models, ...).
    """
    if len(text) > MAX_NUMBER_TEXT:
        raise NumberError("long")
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        raise NumberError("empty")
    if cleaned[0] in "-−–":
        # Parse the rest so "-abc" is a format problem, not a sign problem.
        _unsigned(cleaned[1:].lstrip("+"))
        raise NumberError("negative")
    value = _unsigned(cleaned.removeprefix("+"))
    return checked_number(value, integer=integer)


def checked_number(value: Decimal | int | float, *, integer: bool = True) -> Number:
    """Validate a number that arrived already typed (a spreadsheet cell)."""
    if isinstance(value, bool):
        raise NumberError("format")
    decimal = value if isinstance(value, Decimal) else _decimal(repr(value))
    if not decimal.is_finite():
        raise NumberError("format")
    if decimal < 0:
        raise NumberError("negative")
    if decimal > MAX_VALUE:
        raise NumberError("too_large")
    if decimal == decimal.to_integral_value():
        return int(decimal)
    if integer:
        raise NumberError("not_integer")
    return float(decimal)
