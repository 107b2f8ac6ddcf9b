"""Reporting periods: parsing, canonical labels, day keys and overlap arithmetic.

A period is a closed range of calendar days. People write it as a day (`2023-05-29`,
`29/5/2023`), a month (`2023-05`, `5/2023`), a quarter (`2023-Q2`, `Q2/2023`), a year (`2023`)
or a range of any two of those (`2013..2023`, `2013-01..2023-05`, `2013-2023`).

In the database a period is two integers, YYYYMMDD of its first and last day: they sort and
compare like dates, stay readable in SQL, and keep the covering index of the figures small.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

Granularity = Literal["day", "month", "quarter", "year", "range"]

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100
MAX_PERIOD_TEXT: Final = 40

_RANGE_SEPARATORS = re.compile(r"\s*(?:\.\.|–|—)\s*")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{4})$")
_DAY_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_VN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONTH_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_VN = re.compile(r"^(\d{1,2})/(\d{4})$")
_QUARTER_ISO = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_QUARTER_VN = re.compile(r"^[Qq]([1-4])[/-](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """Text that is not a period; `reason` is a catalog key suffix (`figures.period_error.*`)."""

    def __init__(self, reason: Literal["format", "order", "year", "day", "long"]) -> None:
        super().__init__(reason)
        self.reason = reason


def day_key(day: date) -> int:
    """Return a date as the integer YYYYMMDD."""
    return day.year * 10000 + day.month * 100 + day.day


def from_day_key(key: int) -> date:
    """Return the date of an integer YYYYMMDD."""
    return date(key // 10000, key // 100 % 100, key % 100)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days, [start, end]."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError("order")

    # ------------------------------------------------------------ constructors

    @classmethod
    def day(cls, day: date) -> Period:
        """Return the period of one day."""
        return cls(day, day)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """Return one calendar month."""
        return cls(date(year, month, 1), _month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Return one calendar quarter (1 to 4)."""
        first = 3 * (quarter - 1) + 1
        return cls(date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def year(cls, year: int) -> Period:
        """Return one calendar year."""
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def years(cls, first: int, last: int) -> Period:
        """Return the calendar years first..last."""
        return cls(date(first, 1, 1), date(last, 12, 31))

    @classmethod
    def from_keys(cls, start_key: int, end_key: int) -> Period:
        """Return the period stored as two YYYYMMDD integers."""
        return cls(from_day_key(start_key), from_day_key(end_key))

    # ------------------------------------------------------------ properties

    @property
    def start_key(self) -> int:
        """Return the first day as YYYYMMDD."""
        return day_key(self.start)

    @property
    def end_key(self) -> int:
        """Return the last day as YYYYMMDD."""
        return day_key(self.end)

    @property
    def days(self) -> int:
        """Return how many days the period spans."""
        return (self.end - self.start).days + 1

    @property
    def granularity(self) -> Granularity:
        """Return the most natural name of the period's shape."""
        start, end = self.start, self.end
        if start == end:
            return "day"
        if start.year == end.year:
            if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
                return "year"
            if _is_quarter_start(start) and end == _month_end(start.year, start.month + 2):
                return "quarter"
            if start.day == 1 and end == _month_end(start.year, start.month):
                return "month"
        return "range"

    def label(self) -> str:
        """Return the canonical text that `parse_period` reads back to this period."""
        granularity = self.granularity
        start, end = self.start, self.end
        if granularity == "day":
            return start.isoformat()
        if granularity == "month":
            return f"{start.year}-{start.month:02d}"
        if granularity == "quarter":
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if granularity == "year":
            return str(start.year)
        level = _range_level(start, end)
        return f"{_endpoint(start, level, first=True)}..{_endpoint(end, level, first=False)}"

    def __str__(self) -> str:
        return self.label()

    # ------------------------------------------------------------ arithmetic

    def overlaps(self, other: Period) -> bool:
        """Say whether the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def contains(self, other: Period) -> bool:
        """Say whether `other` lies entirely inside this period."""
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: Period) -> Period | None:
        """Return the days both periods share, or None."""
        if not self.overlaps(other):
            return None
        return Period(max(self.start, other.start), min(self.end, other.end))

    def calendar_years(self) -> list[int]:
        """Return every calendar year the period touches, in order."""
        return list(range(self.start.year, self.end.year + 1))

    def year_parts(self) -> list[Period]:
        """Return the period cut at year boundaries (each part inside one calendar year)."""
        parts: list[Period] = []
        for year in self.calendar_years():
            part = self.intersection(Period.year(year))
            if part is not None:
                parts.append(part)
        return parts


def _is_quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


def _range_level(start: date, end: date) -> Literal["year", "quarter", "month", "day"]:
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return "year"
    if _is_quarter_start(start) and end.month % 3 == 0 and end == _month_end(end.year, end.month):
        return "quarter"
    if start.day == 1 and end == _month_end(end.year, end.month):
        return "month"
    return "day"


def _endpoint(day: date, level: str, *, first: bool) -> str:
    if level == "year":
        return str(day.year)
    if level == "quarter":
        month = day.month if first else day.month - 2
        return f"{day.year}-Q{(month - 1) // 3 + 1}"
    if level == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def _checked_year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError("year")
    return year


def _single(text: str) -> Period:
    """Parse one period that is not a range."""
    if match := _YEAR.match(text):
        return Period.year(_checked_year(match.group(1)))
    if match := _QUARTER_ISO.match(text):
        return Period.quarter(_checked_year(match.group(1)), int(match.group(2)))
    if match := _QUARTER_VN.match(text):
        return Period.quarter(_checked_year(match.group(2)), int(match.group(1)))
    if match := _MONTH_ISO.match(text):
        year, month = _checked_year(match.group(1)), int(match.group(2))
    elif match := _MONTH_VN.match(text):
        year, month = _checked_year(match.group(2)), int(match.group(1))
    else:
        return _day(text)
    if not 1 <= month <= 12:
        raise PeriodError("day")
    return Period.month(year, month)


def _day(text: str) -> Period:
    if match := _DAY_ISO.match(text):
        year, month, day = _checked_year(match.group(1)), int(match.group(2)), int(match.group(3))
    elif match := _DAY_VN.match(text):
        year, month, day = _checked_year(match.group(3)), int(match.group(2)), int(match.group(1))
    else:
        raise PeriodError("format")
    try:
        return Period.day(date(year, month, day))
    except ValueError:
        raise PeriodError("day") from None


def parse_period(text: str) -> Period:
    """Read a period as people write it; raise PeriodError saying what is wrong."""
    cleaned = text.strip()
    if len(cleaned) > MAX_PERIOD_TEXT:
        raise PeriodError("long")
    if not cleaned:
        raise PeriodError("format")
    if match := _YEAR_RANGE.match(cleaned):
        first, last = _checked_year(match.group(1)), _checked_year(match.group(2))
        if first > last:
            raise PeriodError("order")
        return Period.years(first, last)
    parts = _RANGE_SEPARATORS.split(cleaned)
    if len(parts) == 1:
        return _single(cleaned)
    if len(parts) != 2 or not all(parts):
        raise PeriodError("format")
    first_part, last_part = _single(parts[0]), _single(parts[1])
    if first_part.start > last_part.end:
        raise PeriodError("order")
    return Period(first_part.start, last_part.end)


def looks_like_period(text: str) -> bool:
    """Say whether `text` parses as a period (used to tell periods from unit codes)."""
    try:
        parse_period(text)
    except PeriodError:
        return False
    return True


def current_year(today: date) -> Period:
    """Return the calendar year of `today`."""
    return Period.year(today.year)


def previous_day(day: date) -> date:
    """Return the day before."""
    return day - timedelta(days=1)
