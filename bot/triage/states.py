"""The tip's status machine: which moves are allowed, and why a move is refused."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a tip stands."""

    RECEIVED = "received"
    TAKEN = "taken"
    VERIFYING = "verifying"
    VERIFIED = "verified"  # checked and of value to the police
    UNFOUNDED = "unfounded"
    SPAM = "spam"
    TRANSFERRED = "transferred"  # to another unit or to the competent investigation body
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a closed tip ended."""

    HANDLED = "handled"
    MEDIATED = "mediated"
    CASE_OPENED = "case_opened"
    NO_ACTION = "no_action"


# Every report must be received and none refused (Criminal Procedure Code art. 145), so there
# is no way back to "received" and no deletion: a tip only moves forward to "closed".
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TAKEN, Status.TRANSFERRED, Status.SPAM}),
    Status.TAKEN: frozenset(
        {Status.VERIFYING, Status.TRANSFERRED, Status.UNFOUNDED, Status.SPAM, Status.CLOSED}
    ),
    Status.VERIFYING: frozenset(
        {Status.VERIFIED, Status.UNFOUNDED, Status.TRANSFERRED, Status.CLOSED}
    ),
    Status.VERIFIED: frozenset({Status.TRANSFERRED, Status.CLOSED}),
    Status.UNFOUNDED: frozenset({Status.CLOSED, Status.VERIFYING}),
    Status.SPAM: frozenset({Status.CLOSED, Status.VERIFYING}),
    # A transferred tip is taken up again by the unit that received it.
    Status.TRANSFERRED: frozenset({Status.TAKEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Statuses in which a tip still needs a decision, so the legal clock matters.
OPEN: frozenset[Status] = frozenset(
    {Status.RECEIVED, Status.TAKEN, Status.VERIFYING, Status.VERIFIED, Status.TRANSFERRED}
)


class TransitionRefused(Exception):
    """A status change that the machine does not allow; `reason` is a catalog key."""

    def __init__(self, current: Status, wanted: Status, reason: str) -> None:
        super().__init__(f"{current} -> {wanted}: {reason}")
        self.current = current
        self.wanted = wanted
        self.reason = reason


def check_transition(current: Status, wanted: Status, outcome: Outcome | None = None) -> None:
    """Raise TransitionRefused unless `current` may move to `wanted` (with an outcome to close)."""
    if current == wanted:
        raise TransitionRefused(current, wanted, "triage.refused.same")
    if current is Status.CLOSED:
        raise TransitionRefused(current, wanted, "triage.refused.closed")
    if wanted not in ALLOWED[current]:
        raise TransitionRefused(current, wanted, "triage.refused.not_allowed")
    if wanted is Status.CLOSED and outcome is None:
        raise TransitionRefused(current, wanted, "triage.refused.needs_outcome")
    if wanted is not Status.CLOSED and outcome is not None:
        raise TransitionRefused(current, wanted, "triage.refused.outcome_only_when_closing")
