"""The tip's status machine: which moves are allowed, and why a move is refused."""

from __future__ import annotations

from typing import Final

from bot.kernel.i18n import N_, Translator
from bot.kernel.status import Outcome, Status

# What officers read (residents read bot.tips.model.STATUS_KEYS, which says less: "spam" is
# shown to them as closed).
STATUS_KEYS: Final[dict[Status, str]] = {
    Status.RECEIVED: N_("triage.status.received"),
    Status.TAKEN: N_("triage.status.taken"),
    Status.VERIFYING: N_("triage.status.verifying"),
    Status.VERIFIED: N_("triage.status.verified"),
    Status.UNFOUNDED: N_("triage.status.unfounded"),
    Status.SPAM: N_("triage.status.spam"),
    Status.TRANSFERRED: N_("triage.status.transferred"),
    Status.CLOSED: N_("triage.status.closed"),
}
OUTCOME_KEYS: Final[dict[Outcome, str]] = {
    Outcome.HANDLED: N_("triage.outcome.handled"),
    Outcome.MEDIATED: N_("triage.outcome.mediated"),
    Outcome.CASE_OPENED: N_("triage.outcome.case_opened"),
    Outcome.NO_ACTION: N_("triage.outcome.no_action"),
}


def as_status(value: str | None) -> Status | None:
    """Return `value` as a status, or None."""
    try:
        return Status(value or "")
    except ValueError:
        return None


def as_outcome(value: str | None) -> Outcome | None:
    """Return `value` as an outcome, or None."""
    try:
        return Outcome(value or "")
    except ValueError:
        return None


def status_label(t: Translator, status: str) -> str:
    """Return a status in the officers' wording (an unknown one as it is stored)."""
    known = as_status(status)
    return t.label(STATUS_KEYS[known]) if known is not None else status


def outcome_label(t: Translator, outcome: str) -> str:
    """Return an outcome in a language (an unknown one as it is stored)."""
    known = as_outcome(outcome)
    return t.label(OUTCOME_KEYS[known]) if known is not None else outcome


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


# The outcomes a tip may close with from each status: one found unfounded (or spam) was not
# mediated nor made a case. Any other status may close with any outcome.
_NOTHING_TO_PURSUE: Final = frozenset({Outcome.HANDLED, Outcome.NO_ACTION})
OUTCOMES_FROM: Final[dict[Status, frozenset[Outcome]]] = {
    Status.UNFOUNDED: _NOTHING_TO_PURSUE,
    Status.SPAM: _NOTHING_TO_PURSUE,
}


def outcomes_from(current: Status) -> tuple[Outcome, ...]:
    """Return the outcomes a tip in `current` may be closed with, in their usual order."""
    allowed = OUTCOMES_FROM.get(current)
    return tuple(outcome for outcome in Outcome if allowed is None or outcome in allowed)


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
        raise TransitionRefused(current, wanted, N_("triage.refused.same"))
    if current is Status.CLOSED:
        raise TransitionRefused(current, wanted, N_("triage.refused.closed"))
    if wanted not in ALLOWED[current]:
        raise TransitionRefused(current, wanted, N_("triage.refused.not_allowed"))
    if wanted is Status.CLOSED and outcome is None:
        raise TransitionRefused(current, wanted, N_("triage.refused.needs_outcome"))
    if wanted is not Status.CLOSED and outcome is not None:
        raise TransitionRefused(current, wanted, N_("triage.refused.outcome_only_when_closing"))
    if outcome is not None and outcome not in outcomes_from(current):
        raise TransitionRefused(current, wanted, N_("triage.refused.outcome_not_now"))
