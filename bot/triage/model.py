"""Triage as the rest of the bot sees it: relayed messages, list queries.

A tip's history entry (`TipEvent`) and the scope of a list (`Scope`) belong to the tips
tables (bot.tips.model); they are named here too, for triage's own callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from bot.kernel.periods import Period, PeriodError, parse_period
from bot.kernel.status import Status
from bot.tips.model import Scope as Scope
from bot.tips.model import Tip
from bot.tips.model import TipEvent as TipEvent
from bot.tips.status import OPEN

# Events of tip_events written by triage (the tips feature writes "received").
EVENT_STATUS: Final = "status"
EVENT_ASSIGNED: Final = "assigned"
EVENT_NOTE: Final = "note"
EVENT_TRANSFERRED: Final = "transferred"
EVENT_EXTENDED: Final = "extended"
EVENT_LEGAL: Final = "legal"
EVENT_ASKED: Final = "asked"
EVENT_REPLIED: Final = "replied"
# The tipster added information to their open tip, unasked (bot.triage.additions).
EVENT_ADDED: Final = "added"
EVENT_UNDELIVERABLE: Final = "undeliverable"
# A change of legal type moved the tip to another clock; note: "<clock>:<deadline ISO date>".
EVENT_CLOCK: Final = "clock"

# Outbox kinds (bot.outbox; delivered by bot.triage.relay): a question to a tipster, their
# answer to the officers' chat, and the notice that a tip's status changed.
OUTBOX_QUESTION: Final = "relay_question"
OUTBOX_REPLY: Final = "relay_reply"
OUTBOX_STATUS: Final = "status_notice"

Direction = Literal["to_tipster", "from_tipster"]
MessageState = Literal["pending", "delivered", "undeliverable"]

# Statuses in list order, and their one-character codes in callback data.
STATUS_ORDER: Final[tuple[Status, ...]] = tuple(Status)


def officer_ref(user_id: int) -> str:
    """Return how history and the audit log name an officer: 'officer:<telegram id>'."""
    return f"officer:{user_id}"


def ref_user_id(ref: str | None) -> int | None:
    """Return the Telegram id in an 'officer:<id>' reference, or None."""
    if ref is None or not ref.startswith("officer:"):
        return None
    tail = ref.removeprefix("officer:")
    return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class RelayMessage:
    """A question to the tipster or the tipster's answer."""

    id: int
    tip_id: int
    direction: Direction
    officer_id: int | None
    reply_to: int | None
    body: str
    state: MessageState
    created_at: datetime
    # The file an answer carries, among the tip's evidence (None: text only).
    evidence_id: int | None = None


@dataclass(frozen=True)
class TipQuery:
    """The filters of /tips: statuses (None: all), category, unit subtree root, period."""

    statuses: frozenset[Status] | None = OPEN
    category: str | None = None
    unit_id: int | None = None
    period: Period | None = None

    def encode(self) -> str:
        """Return the query as compact text for callback data (no ':' inside)."""
        if self.statuses is None or self.statuses == frozenset(Status):
            statuses = "*"
        elif self.statuses == OPEN:
            statuses = "o"
        else:
            statuses = "".join(str(STATUS_ORDER.index(status)) for status in sorted(self.statuses))
        return "|".join(
            [
                statuses,
                self.category or "",
                "" if self.unit_id is None else str(self.unit_id),
                "" if self.period is None else self.period.label(),
            ]
        )

    @classmethod
    def decode(cls, text: str) -> TipQuery | None:
        """Return the query `encode` wrote, or None if the text is not one."""
        parts = text.split("|")
        if len(parts) != 4:
            return None
        raw_statuses, category, unit, period_text = parts
        statuses: frozenset[Status] | None
        if raw_statuses == "*":
            statuses = None
        elif raw_statuses == "o":
            statuses = OPEN
        elif raw_statuses and all(
            ch.isdigit() and int(ch) < len(STATUS_ORDER) for ch in raw_statuses
        ):
            statuses = frozenset(STATUS_ORDER[int(ch)] for ch in raw_statuses)
        else:
            return None
        if unit and not unit.isdigit():
            return None
        period = None
        if period_text:
            try:
                period = parse_period(period_text)
            except PeriodError:
                return None
        return cls(statuses, category or None, int(unit) if unit else None, period)


@dataclass(frozen=True)
class Overdue:
    """What /overdue and the daily digest list."""

    today: date
    due: list[Tip]
    untaken: list[Tip]
    untaken_hours: float

    @property
    def empty(self) -> bool:
        """Say whether there is nothing to report."""
        return not self.due and not self.untaken
