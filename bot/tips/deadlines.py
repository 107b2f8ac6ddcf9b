"""The clock of each legal type, in local calendar dates (the rules and sources: docs/legal.md).

A crime report (tố giác, tin báo; kiến nghị khởi tố) runs on Criminal Procedure Code art. 147:
the competent body has 20 days from receipt to verify and decide; up to 2 months when the case
is complex; the procuracy may extend once by up to 2 more months. A «phản ánh, kiến nghị» is
not governed by art. 144-147: it runs on the unit's own service target (SERVICE_TARGET_DAYS),
which no statute sets and which has no extension. Deadlines are dates in the unit's time zone,
because "20 days from receipt" is counted in days, not in hours.
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


# The legal types on the art. 147 clock; every other one runs on the unit's service target.
ART_147_TYPES: Final[frozenset[str]] = frozenset({"to_giac", "tin_bao", "kien_nghi_khoi_to"})
# What a clock change records in the tip's history: "<clock>:<deadline>".
CLOCK_ART_147: Final = "art147"
CLOCK_SERVICE: Final = "service"


def follows_art_147(legal_type: str) -> bool:
    """Say whether a legal type runs on the art. 147 clock (else on the service target)."""
    return legal_type in ART_147_TYPES


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


def first_deadline(
    received_at: datetime, zone: ZoneInfo, legal_type: str, service_days: int
) -> date:
    """Return the deadline a new tip starts with: art. 147's 20 days, or the service target."""
    if follows_art_147(legal_type):
        return decision_deadline(received_at, zone)
    return local_date(received_at, zone) + timedelta(days=service_days)


def extended_deadline(deadline: date, had: Extension, extension: Extension) -> date:
    """Return the deadline once `extension` follows `had`, counted from the clock in force.

    The art. 147 clock may have started after receipt (a «phản ánh» reclassified as a crime
    report), so the start is the 20-day deadline less 20 days, not the receipt.
    """
    if had is Extension.NONE and extension is Extension.COMPLEX:
        return add_months(deadline - timedelta(days=BASE_DAYS), COMPLEX_MONTHS)
    if had is Extension.COMPLEX and extension is Extension.PROCURACY:
        return add_months(deadline, PROCURACY_MONTHS)
    raise ValueError(f"no extension from {had} to {extension}")


def reclassified_clock(
    old_type: str,
    new_type: str,
    *,
    received_at: datetime,
    today: date,
    zone: ZoneInfo,
    service_days: int,
) -> tuple[str, date] | None:
    """Return the clock and deadline a change of legal type starts, or None if it keeps its own.

    A «phản ánh» becoming a crime report starts the art. 147 clock on the day of the change
    (the report is received as such that day); a crime report becoming a «phản ánh» leaves the
    statute and falls back to the service target counted from receipt.
    """
    if follows_art_147(old_type) == follows_art_147(new_type):
        return None
    if follows_art_147(new_type):
        return CLOCK_ART_147, today + timedelta(days=BASE_DAYS)
    return CLOCK_SERVICE, local_date(received_at, zone) + timedelta(days=service_days)


def days_left(deadline: date, today: date) -> int:
    """Return whole days until the deadline (0 on the day, negative once past)."""
    return (deadline - today).days


def is_overdue(deadline: date, today: date) -> bool:
    """Say whether the deadline has passed."""
    return today > deadline


def is_due_soon(deadline: date, today: date, window: int = DUE_SOON_DAYS) -> bool:
    """Say whether the deadline is today or within `window` days (and not yet past)."""
    return 0 <= days_left(deadline, today) <= window
