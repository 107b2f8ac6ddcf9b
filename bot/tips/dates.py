"""Reading the date a resident types: day first, as Vietnamese write it (25/12/2024)."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum

_DAY_FIRST = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
# Older than this is almost surely a typing mistake (and beyond any limitation period).
OLDEST_YEAR = 1950


class DateProblem(Enum):
    """Why a typed date was refused."""

    MALFORMED = "malformed"
    FUTURE = "future"
    TOO_OLD = "too_old"


def parse_past_date(text: str, today: date) -> date | DateProblem:
    """Return the date in `text` (dd/mm/yyyy, dd/mm/yy, dd/mm or yyyy-mm-dd) or the problem."""
    iso = _ISO.match(text)
    match = None
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    else:
        match = _DAY_FIRST.match(text)
        if match is None:
            return DateProblem.MALFORMED
        day, month = int(match.group(1)), int(match.group(2))
        raw_year = match.group(3)
        if raw_year is None:
            year = today.year
        elif len(raw_year) == 2:
            year = 2000 + int(raw_year)
        else:
            year = int(raw_year)
    try:
        value = date(year, month, day)
    except ValueError:
        return DateProblem.MALFORMED
    if not iso and match is not None and match.group(3) is None and value > today:
        # "25/12" typed in March means last December.
        try:
            value = date(year - 1, month, day)
        except ValueError:
            return DateProblem.MALFORMED
    if value > today:
        return DateProblem.FUTURE
    if value.year < OLDEST_YEAR:
        return DateProblem.TOO_OLD
    return value
