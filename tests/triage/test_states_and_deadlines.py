"""The status machine and the legal clock, tested exhaustively and across month ends."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.status import Outcome, Status
from bot.triage.deadlines import (
    Extension,
    add_months,
    days_left,
    decision_deadline,
    is_due_soon,
    is_overdue,
    local_date,
)
from bot.triage.states import ALLOWED, TransitionRefused, check_transition

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(list(Status), list(Status))))
def test_every_pair_of_statuses_is_allowed_or_refused_with_a_reason(
    current: Status, wanted: Status
) -> None:
    outcome = Outcome.HANDLED if wanted is Status.CLOSED else None
    if wanted in ALLOWED[current]:
        check_transition(current, wanted, outcome)
    else:
        with pytest.raises(TransitionRefused) as refused:
            check_transition(current, wanted, outcome)
        assert refused.value.reason.startswith("triage.refused.")


def test_nothing_leaves_closed_and_nothing_returns_to_received() -> None:
    assert ALLOWED[Status.CLOSED] == frozenset()
    assert all(Status.RECEIVED not in targets for targets in ALLOWED.values())


def test_closing_needs_an_outcome_and_only_closing_takes_one() -> None:
    with pytest.raises(TransitionRefused, match="needs_outcome"):
        check_transition(Status.VERIFIED, Status.CLOSED)
    with pytest.raises(TransitionRefused, match="outcome_only_when_closing"):
        check_transition(Status.TAKEN, Status.VERIFYING, Outcome.MEDIATED)


def test_every_status_can_still_reach_closed() -> None:
    reachable = {Status.CLOSED}
    changed = True
    while changed:
        changed = False
        for status, targets in ALLOWED.items():
            if status not in reachable and targets & reachable:
                reachable.add(status)
                changed = True
    assert reachable == set(Status)


def test_receipt_late_in_the_utc_day_counts_from_the_local_date() -> None:
    # 20:30 UTC on 31 Jan is 03:30 on 1 Feb in Vietnam (UTC+7).
    received = datetime(2026, 1, 31, 20, 30, tzinfo=UTC)
    assert local_date(received, HCM) == date(2026, 2, 1)
    assert decision_deadline(received, HCM) == date(2026, 2, 21)
    assert decision_deadline(received, ZoneInfo("UTC")) == date(2026, 2, 20)


@pytest.mark.parametrize(
    ("received", "extension", "deadline"),
    [
        (date(2026, 1, 15), Extension.NONE, date(2026, 2, 4)),
        (date(2026, 2, 15), Extension.NONE, date(2026, 3, 7)),  # February has 28 days
        (date(2028, 2, 15), Extension.NONE, date(2028, 3, 6)),  # leap year
        (date(2026, 12, 20), Extension.NONE, date(2027, 1, 9)),  # across the year end
        (date(2026, 12, 31), Extension.COMPLEX, date(2027, 2, 28)),  # clamped
        (date(2027, 12, 31), Extension.COMPLEX, date(2028, 2, 29)),  # clamped, leap
        (date(2026, 12, 31), Extension.PROCURACY, date(2027, 4, 28)),
        (date(2026, 8, 31), Extension.PROCURACY, date(2026, 12, 31)),
    ],
)
def test_deadlines_across_month_ends(received: date, extension: Extension, deadline: date) -> None:
    instant = datetime(received.year, received.month, received.day, 9, 0, tzinfo=HCM)
    assert decision_deadline(instant, HCM, extension) == deadline


def test_add_months_keeps_the_day_when_it_exists() -> None:
    assert add_months(date(2026, 1, 30), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 30), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


def test_due_soon_and_overdue_windows() -> None:
    deadline = date(2026, 2, 21)
    assert days_left(deadline, date(2026, 2, 17)) == 4
    assert not is_due_soon(deadline, date(2026, 2, 17))
    assert is_due_soon(deadline, date(2026, 2, 18))
    assert is_due_soon(deadline, date(2026, 2, 21))
    assert not is_overdue(deadline, date(2026, 2, 21))
    assert is_overdue(deadline, date(2026, 2, 22))
    assert not is_due_soon(deadline, date(2026, 2, 22))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 1, 1, 12, 0), HCM)
