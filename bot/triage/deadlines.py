"""The legal clock of Criminal Procedure Code art. 147, in local calendar dates.

The competent body has 20 days from receipt to verify and decide; up to 2 months when the case
is complex; the procuracy may extend once by up to 2 more months. Deadlines are dates in the
unit's time zone, because "20 days from receipt" is counted in days, not in hours.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from bot.kernel.i18n import N_

BASE_DAYS = 20
COMPLEX_MONTHS = 2
PROCURACY_MONTHS = 2
DUE_SOON_DAYS = 3
# The procuracy's extension must be asked for at least 5 days before the deadline expires.
EXTENSION_REQUEST_DAYS = 5


class Extension(StrEnum):
    """Which period applies."""

    NONE = "none"
    COMPLEX = "complex"  # 2 months from receipt
    PROCURACY = "procuracy"  # the complex period plus up to 2 more months


# The name of the deadline in force, as the card shows it.
DEADLINE_KEYS: Final[dict[Extension, str]] = {
    Extension.NONE: N_("triage.deadline.none"),
    Extension.COMPLEX: N_("triage.deadline.complex"),
    Extension.PROCURACY: N_("triage.deadline.procuracy"),
}


def as_extension(value: str | None) -> Extension | None:
    """Return `value` as an extension, or None."""
    try:
        return Extension(value or "")
    except ValueError:
        return None


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """Return the calendar date of an aware instant in a time zone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone).date()


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (31 Dec + 2 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def decision_deadline(
    received_at: datetime, zone: ZoneInfo, extension: Extension = Extension.NONE
) -> date:
    """Return the last day to decide on a tip received at `received_at`."""
    received = local_date(received_at, zone)
    if extension is Extension.NONE:
        return received + timedelta(days=BASE_DAYS)
    complex_deadline = add_months(received, COMPLEX_MONTHS)
    if extension is Extension.COMPLEX:
        return complex_deadline
    return add_months(complex_deadline, PROCURACY_MONTHS)


def days_left(deadline: date, today: date) -> int:
    """Return whole days until the deadline (0 on the day, negative once past)."""
    return (deadline - today).days


def is_overdue(deadline: date, today: date) -> bool:
    """Say whether the deadline has passed."""
    return today > deadline


def is_due_soon(deadline: date, today: date, window: int = DUE_SOON_DAYS) -> bool:
    """Say whether the deadline is today or within `window` days (and not yet past)."""
    return 0 <= days_left(deadline, today) <= window
