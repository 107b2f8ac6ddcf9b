"""The logic of triage: every officer action on a tip, checked, stored, chained into the audit log.

Each action is one `BEGIN IMMEDIATE` transaction that reads the tip, checks scope and the status
machine, writes with a compare-and-set on the status it read, appends the tip's history and the
audit entry, and queues what must be sent (a status notice, a relayed question, a moved card).
Telegram is never awaited inside: handlers redraw cards and kick the outbox after the commit.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import aiosqlite

from bot.audit import AuditLog
from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import N_
from bot.kernel.status import Outcome, Status
from bot.kernel.telegram_text import clip, utf16_length
from bot.officers.model import Officer
from bot.officers.service import OfficersService
from bot.tips import deadlines
from bot.tips.codes import normalize_code
from bot.tips.deadlines import Extension, as_extension
from bot.tips.model import (
    LEGAL_TYPES,
    TRANSFERRED_TO_INVESTIGATION,
    Attachment,
    LegalType,
    Tip,
    TipCard,
)
from bot.tips.service import OUTBOX_TIP_CARD, TipService
from bot.tips.status import (
    OPEN,
    TransitionRefused,
    as_status,
    check_transition,
)
from bot.tips.status_repository import TipStatusRepository
from bot.triage.additions import Additions, record_from_tipster
from bot.triage.errors import TipNotFoundError as TipNotFoundError
from bot.triage.errors import TriageError as TriageError
from bot.triage.model import (
    EVENT_ASKED,
    EVENT_ASSIGNED,
    EVENT_CLOCK,
    EVENT_EXTENDED,
    EVENT_LEGAL,
    EVENT_NOTE,
    EVENT_REPLIED,
    EVENT_STATUS,
    EVENT_TRANSFERRED,
    EVENT_UNDELIVERABLE,
    OUTBOX_QUESTION,
    OUTBOX_STATUS,
    MessageState,
    RelayMessage,
    officer_ref,
)
from bot.triage.reads import OVERDUE_LIMIT as OVERDUE_LIMIT
from bot.triage.reads import UNTAKEN, ChatFor, TriageReads
from bot.triage.repository import TriageRepository
from bot.units import Unit, UnitDirectory

log = logging.getLogger(__name__)

# Longest texts accepted: a note and a question fit one Telegram message with room to spare;
# an answer may be as long as a story.
NOTE_MAX_CHARS: Final = 2000
QUESTION_MAX_CHARS: Final = 1000
ANSWER_MAX_CHARS: Final = 3000
# A tipster who pressed "Reply" has this long to send the answer.
REPLY_WAIT: Final = timedelta(minutes=30)
# Extensions are recorded in this order, each at most once.
_EXTENSION_ORDER: Final = (Extension.NONE, Extension.COMPLEX, Extension.PROCURACY)


@dataclass(frozen=True)
class Change:
    """A tip before and after an action; `moved_from`: its old card, when a new one is posted."""

    before: Tip
    after: Tip
    moved_from: TipCard | None = None


class TriageService(TriageReads):
    """Officers' actions on tips, tipsters' answers, lists and the legal clock."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock,
        tips: TipService,
        units: UnitDirectory,
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
        # The tips tables belong to bot.tips: triage decides, the tips package writes.
        self.states = TipStatusRepository(db)
        # Where the card of a tip of a unit goes (OfficersService.chat_for).
        self._chat_for = chat_for
        # A tipster's own additions to their open tip, relayed like answers.
        self.additions = Additions(db=db, clock=clock, tips=tips)

    async def find(self, officer: Officer, typed: str) -> Tip:
        """Return the tip whose code is typed, if the officer may see it."""
        code = normalize_code(typed)
        if code is None:
            raise TriageError(N_("triage.error.bad_code"), value=_shown(typed))
        tip = await self.tips.tip_by_code(code)
        if tip is None or not await self.in_scope(officer, tip):
            raise TipNotFoundError(code)
        return tip

    async def get(self, officer: Officer, tip_id: int) -> Tip | None:
        """Return a tip by id if the officer may see it (buttons carry ids), else None."""
        tip = await self.tips.tip(tip_id)
        if tip is None or not await self.in_scope(officer, tip):
            return None
        return tip

    # ------------------------------------------------------------ one transaction per action

    async def _locked(
        self, conn: aiosqlite.Connection, officer: Officer, tip_id: int, expected: Status | None
    ) -> Tip:
        """Read a tip inside the transaction; check scope and, if given, the status it had."""
        tip = await self.states.tip_in(conn, tip_id)
        if tip is None or not await self.in_scope(officer, tip):
            raise TipNotFoundError("?" if tip is None else tip.code)
        if expected is not None and tip.status != expected:
            raise TriageError(N_("triage.refused.changed"), status=_status(tip.status))
        return tip

    async def _save(
        self, conn: aiosqlite.Connection, before: Tip, after: Tip, now: datetime
    ) -> None:
        if not await self.states.save_in(conn, after, expected_status=before.status, now=now):
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
                card = await self.tips.card_of(before.id)
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
            status = Status.TAKEN if current in UNTAKEN else current
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
            await self.states.touch_in(conn, tip.id, now)
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
            if not deadlines.follows_art_147(before.legal_type):
                raise TriageError(N_("triage.extend.not_art_147"))
            had = as_extension(before.extension) or Extension.NONE
            if _EXTENSION_ORDER.index(extension) <= _EXTENSION_ORDER.index(had):
                raise TriageError(N_("triage.extend.already"))
            if _EXTENSION_ORDER.index(extension) - _EXTENSION_ORDER.index(had) > 1:
                raise TriageError(N_("triage.extend.complex_first"))
            if deadlines.is_overdue(before.decision_deadline, self.today()):
                raise TriageError(N_("triage.extend.expired"))
            deadline = deadlines.extended_deadline(before.decision_deadline, had, extension)
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
            clock = deadlines.reclassified_clock(
                before.legal_type,
                legal_type,
                received_at=before.received_at,
                today=self.today(),
                zone=self.settings.zone,
                service_days=self.settings.service_target_days,
            )
            if clock is not None:
                # An extension belongs to the art. 147 clock it extended, so a new clock has none.
                after = dataclasses.replace(
                    after, decision_deadline=clock[1], extension=Extension.NONE.value
                )
            await self._save(conn, before, after, now)
            await self._event(conn, officer, after, EVENT_LEGAL, now, note=legal_type)
            if clock is not None:
                await self._event(
                    conn,
                    officer,
                    after,
                    EVENT_CLOCK,
                    now,
                    note=f"{clock[0]}:{clock[1].isoformat()}",
                )
            await self._audit(
                conn,
                officer,
                "tip.legal_type",
                after,
                now,
                {
                    "from": before.legal_type,
                    "to": legal_type,
                    "deadline": after.decision_deadline.isoformat(),
                },
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

    async def message(self, message_id: int) -> RelayMessage | None:
        """Return a relayed question or answer, or None."""
        return await self.repo.message(message_id)

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
            await self.states.touch_in(conn, tip.id, now)
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
        tip = await self.tips.tip(message.tip_id)
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
        return await self.answer_to(user_id, question, text)

    async def answer_to(
        self,
        user_id: int,
        question: RelayMessage,
        text: str,
        attachment: Attachment | None = None,
    ) -> Tip | None:
        """Relay a tipster's answer (text, or a file with its caption) to one question of
        theirs; None if it is not theirs. The file joins the tip's evidence."""
        if question.direction != "to_tipster":
            return None
        if attachment is not None and not text.strip():
            body = ""
        else:
            body = _checked_text(text, ANSWER_MAX_CHARS, N_("triage.reply.ask_text"))
        now = self.clock.now()
        pseudonym = self.tips.pseudonym(user_id)
        async with self.db.transaction() as conn:
            tip = await self.states.tip_in(conn, question.tip_id)
            if tip is None or tip.reporter_pseudonym != pseudonym:
                return None
            await record_from_tipster(
                conn,
                self.tips,
                self.repo,
                tip,
                body,
                attachment,
                now,
                reply_to=question.id,
                event=EVENT_REPLIED,
            )
            await self.repo.delete_wait_in(conn, pseudonym)
            await self.repo.delete_held_in(conn, pseudonym)
        return tip

    async def open_questions(self, user_id: int) -> list[RelayMessage]:
        """Return the questions a tipster got and has not answered, on tips still open."""
        return await self.repo.unanswered(await self.tips.open_tip_ids(user_id))

    async def hold_answer(self, user_id: int, text: str) -> None:
        """Keep a tipster's answer, sealed, until they say which question it answers."""
        body = _checked_text(text, ANSWER_MAX_CHARS, N_("triage.reply.ask_text"))
        pseudonym = self.tips.pseudonym(user_id)
        sealed = self.tips.keyring.seal(body, context=f"held-answer:{pseudonym}")
        async with self.db.transaction() as conn:
            await self.repo.put_held_in(conn, pseudonym, sealed, self.clock.now())

    async def answer_held(self, user_id: int, question_id: int) -> Tip | None:
        """Relay the held answer to the question picked; None if none is held or not theirs."""
        question = await self.repo.message(question_id)
        pseudonym = self.tips.pseudonym(user_id)
        async with self.db.transaction() as conn:
            held = await self.repo.held_in(conn, pseudonym)
        if question is None or held is None or self.clock.now() - held[1] > REPLY_WAIT:
            return None
        body = self.tips.keyring.unseal(held[0], context=f"held-answer:{pseudonym}")
        return await self.answer_to(user_id, question, body)

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


def _status(value: str) -> Status:
    status = as_status(value)
    if status is None:
        raise TriageError(N_("triage.refused.not_allowed"), status=value, wanted=value)
    return status


def _check(current: Status, wanted: Status, outcome: Outcome | None) -> None:
    try:
        check_transition(current, wanted, outcome)
    except TransitionRefused as refused:
        # The outcome is named only when there is one: "closed as «…»" needs it.
        named = {} if outcome is None else {"outcome": outcome}
        raise TriageError(refused.reason, status=current, wanted=wanted, **named) from None


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
