"""The logic of triage: every officer action on a tip, checked, stored, chained into the audit log.

Each action is one `BEGIN IMMEDIATE` transaction that reads the tip, checks scope and the status
machine, writes with a compare-and-set on the status it read, appends the tip's history and the
audit entry, and queues what must be sent (a status notice, a relayed question, a moved card).
Telegram is never awaited inside: handlers redraw cards and kick the outbox after the commit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import aiosqlite

from bot.audit import AuditLog
from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import N_, Translator
from bot.kernel.status import Outcome, Status
from bot.kernel.telegram_text import clip, utf16_length
from bot.officers.model import Officer
from bot.officers.service import OfficersService
from bot.tips.codes import normalize_code
from bot.tips.model import LEGAL_TYPES, TRANSFERRED_TO_INVESTIGATION, LegalType, Tip, TipCard
from bot.tips.service import OUTBOX_TIP_CARD, TipService
from bot.triage import deadlines
from bot.triage.deadlines import Extension, as_extension
from bot.triage.model import (
    EVENT_ASKED,
    EVENT_ASSIGNED,
    EVENT_EXTENDED,
    EVENT_LEGAL,
    EVENT_NOTE,
    EVENT_REPLIED,
    EVENT_STATUS,
    EVENT_TRANSFERRED,
    EVENT_UNDELIVERABLE,
    OUTBOX_QUESTION,
    OUTBOX_REPLY,
    OUTBOX_STATUS,
    MessageState,
    Overdue,
    RelayMessage,
    Scope,
    TipEvent,
    TipQuery,
    officer_ref,
)
from bot.triage.repository import TriageRepository
from bot.triage.states import (
    OPEN,
    TransitionRefused,
    as_status,
    check_transition,
    outcome_label,
    status_label,
)
from bot.units import Unit, UnitsRepository

log = logging.getLogger(__name__)

# Longest texts accepted: a note and a question fit one Telegram message with room to spare;
# an answer may be as long as a story.
NOTE_MAX_CHARS: Final = 2000
QUESTION_MAX_CHARS: Final = 1000
ANSWER_MAX_CHARS: Final = 3000
# A tipster who pressed "Reply" has this long to send the answer.
REPLY_WAIT: Final = timedelta(minutes=30)
# Longest lists /overdue and the digest print (the rest is counted).
OVERDUE_LIMIT: Final = 50
# Extensions are recorded in this order, each at most once.
_EXTENSION_ORDER: Final = (Extension.NONE, Extension.COMPLEX, Extension.PROCURACY)
# Untaken: waiting for someone to take it (received, or transferred to this unit).
_UNTAKEN: Final = frozenset({Status.RECEIVED, Status.TRANSFERRED})

ChatFor = Callable[[int | None], Awaitable[int | None]]


class TriageError(Exception):
    """An action refused with a reason; `key` is its catalog key.

    Values that are statuses or outcomes are put in the reader's language by `text`.
    """

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, t: Translator) -> str:
        """Return the reason as HTML in the translator's language."""
        return t(self.key, **_localized(t, self.values))

    def label(self, t: Translator) -> str:
        """Return the reason as plain text (a button's alert)."""
        return t.label(self.key, **_localized(t, self.values))


def _localized(t: Translator, values: Mapping[str, object]) -> dict[str, object]:
    shown: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, Status):
            shown[name] = status_label(t, value)
        elif isinstance(value, Outcome):
            shown[name] = outcome_label(t, value)
        else:
            shown[name] = value
    return shown


class TipNotFoundError(TriageError):
    """No such tip, or not in the officer's scope: the same answer for both."""

    def __init__(self, code: str) -> None:
        super().__init__(N_("triage.error.not_found"), code=code)


@dataclass(frozen=True)
class Change:
    """A tip before and after an action; `moved_from`: its old card, when a new one is posted."""

    before: Tip
    after: Tip
    moved_from: TipCard | None = None


class TriageService:
    """Officers' actions on tips, tipsters' answers, lists and the legal clock."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock,
        tips: TipService,
        units: UnitsRepository,
        officers: OfficersService,
        audit: AuditLog,
        chat_for: ChatFor,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.tips = tips
        self.units = units
        self.officers = officers
        self.audit = audit
        self.repo = TriageRepository(db)
        # Where the card of a tip of a unit goes (bot.officers.chats.officer_chat_for).
        self._chat_for = chat_for
        # Held while a card is redrawn (bot.triage.handlers.refresh_card): two redraws after
        # two quick actions never land in the wrong order.
        self.card_edits = asyncio.Lock()

    # ------------------------------------------------------------ scope

    async def scope_of(self, officer: Officer) -> Scope:
        """Return the tips an officer may see: their subtree; unit-less tips at the top.

        A tip whose place is no unit goes to OFFICER_CHAT_ID; admins and officers of a unit at
        the top of the tree (a province) act on it, and can transfer it to the right unit.
        """
        unit_ids = officer.unit_ids()
        if unit_ids is None:
            return Scope(None, True)
        unitless = False
        if officer.unit_id is not None:
            unit = await self.units.by_id(officer.unit_id)
            unitless = unit is not None and unit.parent_id is None
        return Scope(unit_ids, unitless)

    async def in_scope(self, officer: Officer, tip: Tip) -> bool:
        """Say whether the officer may see and act on the tip."""
        if not officer.active:
            return False
        if tip.unit_id is None:
            return (await self.scope_of(officer)).unitless
        return officer.covers(tip.unit_id)

    async def find(self, officer: Officer, typed: str) -> Tip:
        """Return the tip whose code is typed, if the officer may see it."""
        code = normalize_code(typed)
        if code is None:
            raise TriageError(N_("triage.error.bad_code"), value=_shown(typed))
        tip = await self.tips.tips.by_code(code)
        if tip is None or not await self.in_scope(officer, tip):
            raise TipNotFoundError(code)
        return tip

    async def get(self, officer: Officer, tip_id: int) -> Tip | None:
        """Return a tip by id if the officer may see it (buttons carry ids), else None."""
        tip = await self.tips.tips.by_id(tip_id)
        if tip is None or not await self.in_scope(officer, tip):
            return None
        return tip

    def today(self) -> date:
        """Return today's date in TIMEZONE."""
        return deadlines.local_date(self.clock.now(), self.settings.zone)

    # ------------------------------------------------------------ one transaction per action

    async def _locked(
        self, conn: aiosqlite.Connection, officer: Officer, tip_id: int, expected: Status | None
    ) -> Tip:
        """Read a tip inside the transaction; check scope and, if given, the status it had."""
        tip = await self.repo.tip_in(conn, tip_id)
        if tip is None or not await self.in_scope(officer, tip):
            raise TipNotFoundError("?" if tip is None else tip.code)
        if expected is not None and tip.status != expected:
            raise TriageError(N_("triage.refused.changed"), status=_status(tip.status))
        return tip

    async def _save(
        self, conn: aiosqlite.Connection, before: Tip, after: Tip, now: datetime
    ) -> None:
        if not await self.repo.save_in(conn, after, expected_status=before.status, now=now):
            # Unreachable while this process holds the write lock; another process writing
            # the same file (the command line) could get here.
            raise TriageError(N_("triage.refused.changed"), status=_status(before.status))

    async def _event(
        self,
        conn: aiosqlite.Connection,
        officer: Officer,
        tip: Tip,
        event: str,
        now: datetime,
        *,
        from_status: str | None = None,
        to_status: str | None = None,
        note: str | None = None,
    ) -> None:
        await self.tips.tips.add_event_in(
            conn,
            tip.id,
            at=now,
            actor_kind="officer",
            actor_ref=officer_ref(officer.user_id),
            event=event,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )

    async def _audit(
        self,
        conn: aiosqlite.Connection,
        officer: Officer,
        action: str,
        tip: Tip,
        now: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        await self.audit.append(
            conn,
            at=now,
            actor=officer_ref(officer.user_id),
            action=action,
            target=f"tip:{tip.code}",
            details=details,
        )

    async def _notify_in(self, conn: aiosqlite.Connection, tip: Tip, now: datetime) -> None:
        """Queue the tipster's status notice if this status is in NOTIFY_STATUSES."""
        if tip.status in self.settings.notify_statuses and tip.reporter_chat_sealed is not None:
            await self.tips.outbox.enqueue_in(
                conn, OUTBOX_STATUS, {"tip_id": tip.id, "status": tip.status}, now
            )

    # ------------------------------------------------------------ status

    async def change_status(
        self,
        officer: Officer,
        tip_id: int,
        expected: Status,
        wanted: Status,
        *,
        outcome: Outcome | None = None,
    ) -> Change:
        """Move a tip from `expected` to `wanted` (closing needs an outcome)."""
        if wanted is Status.TRANSFERRED:
            raise TriageError(N_("triage.transfer.where"))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await self._locked(conn, officer, tip_id, expected)
            _check(expected, wanted, outcome)
            if wanted is Status.TAKEN:
                assignee: int | None = officer.user_id
            else:
                assignee = before.assignee_id if before.assignee_id is not None else officer.user_id
            after = dataclasses.replace(
                before,
                status=wanted,
                outcome=None if outcome is None else outcome.value,
                assignee_id=assignee,
                of_value=before.of_value or wanted is Status.VERIFIED,
                transferred_to=None,
                status_at=now,
            )
            await self._save(conn, before, after, now)
            await self._event(
                conn,
                officer,
                after,
                EVENT_STATUS,
                now,
                from_status=before.status,
                to_status=wanted,
                note=None if outcome is None else outcome.value,
            )
            details: dict[str, Any] = {"from": before.status, "to": wanted.value}
            if outcome is not None:
                details["outcome"] = outcome.value
            await self._audit(conn, officer, "tip.status", after, now, details)
            await self._notify_in(conn, after, now)
        return Change(before, after)

    async def transfer(
        self, officer: Officer, tip_id: int, expected: Status | None, unit: Unit | None
    ) -> Change:
        """Transfer a tip to another unit, or (`unit` None) to the investigation body."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await self._locked(conn, officer, tip_id, expected)
            current = _status(before.status)
            _check(current, Status.TRANSFERRED, None)
            if unit is not None:
                if not unit.active:
                    raise TriageError(N_("triage.transfer.retired"), unit=unit.code)
                if unit.id == before.unit_id:
                    raise TriageError(N_("triage.transfer.same_unit"), unit=unit.code)
            moved_from = None
            if unit is None:
                after = dataclasses.replace(
                    before,
                    status=Status.TRANSFERRED,
                    transferred_to=TRANSFERRED_TO_INVESTIGATION,
                    assignee_id=(
                        before.assignee_id if before.assignee_id is not None else officer.user_id
                    ),
                    outcome=None,
                    status_at=now,
                )
            else:
                # The receiving unit takes it up again: nobody handles it until then.
                after = dataclasses.replace(
                    before,
                    status=Status.TRANSFERRED,
                    unit_id=unit.id,
                    transferred_to=unit.code,
                    assignee_id=None,
                    outcome=None,
                    status_at=now,
                )
                card = await self.tips.tips.card(before.id)
                target = await self._chat_for(unit.id)
                if card is not None and target is not None and target != card.chat_id:
                    # A new card in the receiving unit's chat; the old one stays as a record.
                    await self.tips.outbox.enqueue_in(
                        conn, OUTBOX_TIP_CARD, {"tip_id": before.id}, now
                    )
                    moved_from = card
            await self._save(conn, before, after, now)
            target_name = TRANSFERRED_TO_INVESTIGATION if unit is None else unit.code
            await self._event(
                conn,
                officer,
                after,
                EVENT_TRANSFERRED,
                now,
                from_status=before.status,
                to_status=Status.TRANSFERRED,
                note=target_name,
            )
            from_unit = None
            if before.unit_id is not None:
                old_unit = await self.units.by_id(before.unit_id)
                from_unit = None if old_unit is None else old_unit.code
            await self._audit(
                conn,
                officer,
                "tip.transfer",
                after,
                now,
                {"from": before.status, "from_unit": from_unit, "to": target_name},
            )
            await self._notify_in(conn, after, now)
        return Change(before, after, moved_from=moved_from)

    # ------------------------------------------------------------ handler, notes, clock, type

    async def candidates(self, tip: Tip) -> list[Officer]:
        """Return who may handle a tip: active officers and admins whose scope covers it."""
        if tip.unit_id is not None:
            found = await self.officers.covering(tip.unit_id)
        else:
            found = [
                officer
                for officer in await self._everyone()
                if (await self.scope_of(officer)).unitless
            ]
        return [officer for officer in found if officer.role in ("admin", "officer")]

    async def _everyone(self) -> list[Officer]:
        people = []
        for user_id in sorted(self.officers.config_admins):
            officer = await self.officers.officer(user_id)
            if officer is not None:
                people.append(officer)
        for record in await self.officers.records():
            if record.user_id in self.officers.config_admins:
                continue
            officer = await self.officers.officer(record.user_id)
            if officer is not None:
                people.append(officer)
        return people

    async def assign(self, officer: Officer, tip_id: int, assignee_id: int) -> Change:
        """Make an officer who covers the tip its handler (an untaken tip becomes taken)."""
        assignee = await self.officers.officer(assignee_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await self._locked(conn, officer, tip_id, None)
            current = _status(before.status)
            if current is Status.CLOSED:
                raise TriageError(N_("triage.refused.closed"), status=current)
            if (
                assignee is None
                or assignee.role not in ("admin", "officer")
                or not await self.in_scope(assignee, before)
            ):
                raise TriageError(N_("triage.assign.not_eligible"), id=assignee_id)
            if before.assignee_id == assignee_id:
                raise TriageError(N_("triage.assign.already"))
            status = Status.TAKEN if current in _UNTAKEN else current
            after = dataclasses.replace(
                before,
                assignee_id=assignee_id,
                status=status,
                transferred_to=None if status is Status.TAKEN else before.transferred_to,
                status_at=now if status != current else before.status_at,
            )
            await self._save(conn, before, after, now)
            await self._event(
                conn,
                officer,
                after,
                EVENT_ASSIGNED,
                now,
                from_status=before.status if status != current else None,
                to_status=status if status != current else None,
                note=officer_ref(assignee_id),
            )
            await self._audit(
                conn,
                officer,
                "tip.assign",
                after,
                now,
                {"assignee": assignee_id, "previous": before.assignee_id, "status": status.value},
            )
            if status != current:
                await self._notify_in(conn, after, now)
        return Change(before, after)

    async def add_note(self, officer: Officer, tip_id: int, text: str) -> Tip:
        """Add an internal note (never shown to the tipster)."""
        note = _checked_text(text, NOTE_MAX_CHARS, N_("triage.note.usage"))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            tip = await self._locked(conn, officer, tip_id, None)
            await self._event(conn, officer, tip, EVENT_NOTE, now, note=note)
            await self.repo.touch_in(conn, tip.id, now)
            await self._audit(conn, officer, "tip.note", tip, now, {"length": utf16_length(note)})
        return tip

    async def extend(self, officer: Officer, tip_id: int, extension: Extension) -> Change:
        """Record an art. 147 extension: 2 months (complex case), then +2 months (procuracy)."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await self._locked(conn, officer, tip_id, None)
            current = _status(before.status)
            if current not in OPEN:
                raise TriageError(N_("triage.extend.not_open"), status=current)
            had = as_extension(before.extension) or Extension.NONE
            if _EXTENSION_ORDER.index(extension) <= _EXTENSION_ORDER.index(had):
                raise TriageError(N_("triage.extend.already"))
            if _EXTENSION_ORDER.index(extension) - _EXTENSION_ORDER.index(had) > 1:
                raise TriageError(N_("triage.extend.complex_first"))
            if deadlines.is_overdue(before.decision_deadline, self.today()):
                raise TriageError(N_("triage.extend.expired"))
            deadline = deadlines.decision_deadline(
                before.received_at, self.settings.zone, extension
            )
            after = dataclasses.replace(
                before, extension=extension.value, decision_deadline=deadline
            )
            await self._save(conn, before, after, now)
            await self._event(conn, officer, after, EVENT_EXTENDED, now, note=extension.value)
            await self._audit(
                conn,
                officer,
                "tip.extend",
                after,
                now,
                {"extension": extension.value, "deadline": deadline.isoformat()},
            )
        return Change(before, after)

    async def set_legal_type(self, officer: Officer, tip_id: int, legal_type: LegalType) -> Change:
        """Correct the legal type (tố giác, tin báo, phản ánh); the card says an officer did."""
        if legal_type not in LEGAL_TYPES:
            raise TriageError(N_("triage.legal.unknown"))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            before = await self._locked(conn, officer, tip_id, None)
            if before.legal_type == legal_type and before.legal_type_source == "officer":
                raise TriageError(N_("triage.legal.same"))
            after = dataclasses.replace(before, legal_type=legal_type, legal_type_source="officer")
            await self._save(conn, before, after, now)
            await self._event(conn, officer, after, EVENT_LEGAL, now, note=legal_type)
            await self._audit(
                conn,
                officer,
                "tip.legal_type",
                after,
                now,
                {"from": before.legal_type, "to": legal_type},
            )
        return Change(before, after)

    async def record_view(self, officer: Officer, tip: Tip) -> None:
        """Record in the audit log that an officer opened a tip's full content."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await self._audit(conn, officer, "tip.view", tip, now)

    async def record_file_opened(self, officer: Officer, tip: Tip, position: int) -> None:
        """Record in the audit log that an officer opened a file as it was sent (/file)."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await self._audit(conn, officer, "tip.file", tip, now, {"position": position})

    # ------------------------------------------------------------ relays

    async def ask(self, officer: Officer, tip_id: int, text: str) -> RelayMessage:
        """Queue a question to the tipster; their identity stays unknown to everyone."""
        body = _checked_text(text, QUESTION_MAX_CHARS, N_("triage.ask.usage"))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            tip = await self._locked(conn, officer, tip_id, None)
            _askable(tip)
            message_id = await self.repo.add_message_in(
                conn,
                tip_id=tip.id,
                direction="to_tipster",
                officer_id=officer.user_id,
                reply_to=None,
                body=body,
                now=now,
            )
            # tip_id: a dead letter names its tip (/deadletters); the delivery reads message_id.
            await self.tips.outbox.enqueue_in(
                conn, OUTBOX_QUESTION, {"message_id": message_id, "tip_id": tip.id}, now
            )
            await self._event(conn, officer, tip, EVENT_ASKED, now)
            await self.repo.touch_in(conn, tip.id, now)
            await self._audit(conn, officer, "relay.ask", tip, now, {"message": message_id})
        message = await self.repo.message(message_id)
        assert message is not None
        return message

    def check_askable(self, tip: Tip) -> None:
        """Raise TriageError unless a question can be sent to the tipster of this tip."""
        _askable(tip)

    async def begin_answer(self, user_id: int, message_id: int) -> tuple[Tip, RelayMessage] | None:
        """Note that a tipster is answering a question; None if it is not their question."""
        message = await self.repo.message(message_id)
        if message is None or message.direction != "to_tipster":
            return None
        tip = await self.tips.tips.by_id(message.tip_id)
        pseudonym = self.tips.pseudonym(user_id)
        if tip is None or tip.reporter_pseudonym != pseudonym:
            return None
        async with self.db.transaction() as conn:
            await self.repo.put_wait_in(conn, pseudonym, message.id, self.clock.now())
        return tip, message

    async def answering(self, user_id: int) -> RelayMessage | None:
        """Return the question a tipster is answering now, or None (none, or too long ago)."""
        wait = await self.repo.wait(self.tips.pseudonym(user_id))
        if wait is None or self.clock.now() - wait[1] > REPLY_WAIT:
            return None
        return await self.repo.message(wait[0])

    async def answer(self, user_id: int, text: str) -> Tip | None:
        """Store a tipster's answer and queue it for the officers' chat; None if not waiting."""
        question = await self.answering(user_id)
        if question is None:
            return None
        body = _checked_text(text, ANSWER_MAX_CHARS, N_("triage.reply.ask_text"))
        now = self.clock.now()
        pseudonym = self.tips.pseudonym(user_id)
        async with self.db.transaction() as conn:
            tip = await self.repo.tip_in(conn, question.tip_id)
            if tip is None or tip.reporter_pseudonym != pseudonym:
                return None
            message_id = await self.repo.add_message_in(
                conn,
                tip_id=tip.id,
                direction="from_tipster",
                officer_id=None,
                reply_to=question.id,
                body=body,
                now=now,
            )
            await self.tips.outbox.enqueue_in(
                conn, OUTBOX_REPLY, {"message_id": message_id, "tip_id": tip.id}, now
            )
            # The tipster is never named in the history: no actor reference.
            await self.tips.tips.add_event_in(
                conn, tip.id, at=now, actor_kind="resident", event=EVENT_REPLIED
            )
            await self.repo.delete_wait_in(conn, pseudonym)
        return tip

    async def stop_answering(self, user_id: int) -> bool:
        """Forget that a tipster is answering; say whether they were."""
        pseudonym = self.tips.pseudonym(user_id)
        waiting = await self.repo.wait(pseudonym) is not None
        async with self.db.transaction() as conn:
            await self.repo.delete_wait_in(conn, pseudonym)
        return waiting

    async def settle(self, message: RelayMessage, state: MessageState) -> bool:
        """Record a relayed message's delivery or failure; say whether it was still pending."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            changed = await self.repo.settle_message_in(conn, message.id, state, now)
            if changed and state == "undeliverable":
                await self.tips.tips.add_event_in(
                    conn, message.tip_id, at=now, actor_kind="system", event=EVENT_UNDELIVERABLE
                )
        return changed

    # ------------------------------------------------------------ reading

    async def history(self, tip_id: int) -> list[TipEvent]:
        """Return a tip's history, oldest first."""
        return await self.repo.events(tip_id)

    async def messages(self, tip_id: int) -> list[RelayMessage]:
        """Return a tip's questions and answers, oldest first."""
        return await self.repo.messages(tip_id)

    async def list_tips(
        self, officer: Officer, query: TipQuery, *, offset: int, limit: int
    ) -> tuple[list[Tip], int]:
        """Return one page of the officer's tips matching the query, and how many match."""
        scope = await self.scope_of(officer)
        if query.unit_id is not None:
            if not officer.covers(query.unit_id):
                return [], 0
            scope = Scope(frozenset(await self.units.subtree_ids(query.unit_id)), False)
        since = until = None
        if query.period is not None:
            zone = self.settings.zone
            since = datetime.combine(query.period.start, time(), zone)
            until = datetime.combine(query.period.end + timedelta(days=1), time(), zone)
        return await self.repo.find(
            scope,
            statuses=None
            if query.statuses is None
            else [status.value for status in query.statuses],
            category=query.category,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    async def overdue(self, scope: Scope, *, limit: int = OVERDUE_LIMIT) -> Overdue:
        """Return open tips past or within 3 days of their deadline, and tips nobody took."""
        today = self.today()
        last_day = today + timedelta(days=deadlines.DUE_SOON_DAYS)
        hours = self.settings.untaken_alert_hours
        cutoff = self.clock.now() - timedelta(hours=hours)
        due = await self.repo.due_by(
            scope, last_day, [status.value for status in OPEN], limit=limit
        )
        untaken = await self.repo.untaken(
            scope, cutoff, [status.value for status in _UNTAKEN], limit=limit
        )
        return Overdue(today, due, untaken, hours)

    async def chat_of(self, tip: Tip) -> int | None:
        """Return the officers' chat a tip belongs to (its card's, or its unit's)."""
        card = await self.tips.tips.card(tip.id)
        if card is not None:
            return card.chat_id
        return await self._chat_for(tip.unit_id)


def _status(value: str) -> Status:
    status = as_status(value)
    if status is None:
        raise TriageError(N_("triage.refused.not_allowed"), status=value, wanted=value)
    return status


def _check(current: Status, wanted: Status, outcome: Outcome | None) -> None:
    try:
        check_transition(current, wanted, outcome)
    except TransitionRefused as refused:
        raise TriageError(refused.reason, status=current, wanted=wanted) from None


def _askable(tip: Tip) -> None:
    if tip.status == Status.CLOSED:
        raise TriageError(N_("triage.ask.closed"))
    if tip.reporter_chat_sealed is None:
        raise TriageError(N_("triage.ask.no_link"))


def _checked_text(text: str, limit: int, usage_key: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise TriageError(usage_key)
    # UTF-16 units, as Telegram counts: these texts are relayed inside messages of their own.
    length = utf16_length(cleaned)
    if length > limit:
        raise TriageError(N_("triage.error.too_long"), limit=limit, length=length)
    return cleaned


def _shown(text: str, limit: int = 40) -> str:
    return clip(" ".join(text.split()), limit)
