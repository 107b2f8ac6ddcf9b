"""Reading the date a resident types: day first, as Vietnamese write it (25/12/2024), or the
way people say it: «hôm qua», «tối qua», «thứ hai», «chủ nhật», "yesterday", "last friday",
with a time of day or without («20h», «8 giờ tối», «20:30», "8 pm")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final

from bot.kernel.text import fold

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


@dataclass(frozen=True)
class Moment:
    """A past day, and the time of day when the resident gave one."""

    day: date
    at: time | None = None


# Words said around a moment that change nothing ("lúc 8 giờ", "around 9", "last friday").
_FILLER: Final = frozenset({"luc", "khoang", "vao", "ngay", "hom", "at", "around", "on", "last"})
# Days back from today, by folded word or pair of words.
_RELATIVE: Final[dict[str, int]] = {
    "nay": 0,
    "today": 0,
    "tonight": 0,
    "qua": 1,
    "yesterday": 1,
    "kia": 2,
}
_WEEKDAYS: Final[dict[str, int]] = {
    "thu 2": 0,
    "thu hai": 0,
    "t2": 0,
    "thu 3": 1,
    "thu ba": 1,
    "t3": 1,
    "thu 4": 2,
    "thu tu": 2,
    "t4": 2,
    "thu 5": 3,
    "thu nam": 3,
    "t5": 3,
    "thu 6": 4,
    "thu sau": 4,
    "t6": 4,
    "thu 7": 5,
    "thu bay": 5,
    "t7": 5,
    "chu nhat": 6,
    "cn": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
# Parts of the day: after noon ("tối", "pm") a small hour is an afternoon or evening one.
_LATE: Final = frozenset({"toi", "chieu", "dem", "pm", "night", "evening", "afternoon"})
_EARLY: Final = frozenset({"sang", "am", "morning"})
_NOON: Final = frozenset({"trua", "noon"})
# "20h", "20h30", "20g", "20 giờ 30", "20:30", "8 pm" (not "20.30": a dot joins a date).
_TIME: Final = re.compile(
    r"(?<![\d/.\-])(\d{1,2})\s*(?:(?:gio|h|g)\s*(\d{2})?(?:\s*(?:p|phut))?|:(\d{2})|(?=\s*(?:am|pm)\b))"
    r"(?![\w/\-])"
)


def _time_of(text: str) -> tuple[time | None, str] | None:
    """Return the time of day in folded `text` and the text without it; None if impossible."""
    match = _TIME.search(text)
    if match is None:
        return None, text
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    rest = (text[: match.start()] + " " + text[match.end() :]).split()
    if any(word in _LATE for word in rest) and hour < 12:
        hour += 12
    elif any(word in _EARLY for word in rest) and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute), " ".join(rest)


def _day_of(words: list[str], today: date) -> date | DateProblem | None:
    """Return the day a resident's words name, a problem, or None when they name none."""
    left = " ".join(word for word in words if word not in _LATE | _EARLY | _NOON | _FILLER)
    if not left and "last" in words and {"night", "evening"} & set(words):
        return today - timedelta(days=1)
    if not left:
        return None
    if left in _RELATIVE:
        return today - timedelta(days=_RELATIVE[left])
    if left in _WEEKDAYS:
        back = (today.weekday() - _WEEKDAYS[left]) % 7
        # "Last friday" said on a Friday is a week ago; «thứ sáu» alone is today.
        return today - timedelta(days=7 if back == 0 and "last" in words else back)
    return parse_past_date(left, today)


def parse_past_moment(text: str, now: datetime) -> Moment | DateProblem:
    """Return the past day (and time of day) in `text`, or the problem; `now` is local time.

    A time alone is today's, or yesterday's when it has not come yet today ("20h" at 9 am).
    """
    folded = re.sub(r"(\d)(am|pm)\b", r"\1 \2", fold(text).replace(",", " "))
    timed = _time_of(folded)
    if timed is None:
        return DateProblem.MALFORMED
    at, rest = timed
    today = now.date()
    day = _day_of(rest.split(), today)
    if isinstance(day, DateProblem):
        return day
    if day is None:
        if at is None and not any(word in _LATE | _EARLY | _NOON for word in rest.split()):
            return DateProblem.MALFORMED
        day = today if at is None or at <= now.time() else today - timedelta(days=1)
    if day == today and at is not None and at > now.time():
        return DateProblem.FUTURE
    return Moment(day, at)
