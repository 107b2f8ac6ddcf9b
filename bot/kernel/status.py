"""The words for where a tip stands and how it ended, shared by settings and every feature.

Only the vocabulary: which moves are allowed, and the legal clock, belong to the tip
(`bot.tips`, `bot.triage.states` until it moves).
"""

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
