"""The logic of tips: drafts, limits, submission, follow-up, and what officers' features reuse.

Anonymity rests here: a resident is handled by `pseudonym(user_id)`, and anything that must be
read back (the chat to answer, a contact they chose to leave, the draft itself) is sealed under
SECRET_KEY before it reaches the database.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring, SealError
from bot.kernel.i18n import Language
from bot.outbox.repository import OutboxRepository
from bot.ptb.persistence import ConversationKey, ConversationStore
from bot.tips import deadlines, steps
from bot.tips.codes import CharacterChoice, new_code
from bot.tips.held_repository import HeldItemsRepository
from bot.tips.model import (
    STATUS_RECEIVED,
    Attachment,
    Category,
    Draft,
    DraftRecord,
    Evidence,
    HeldItem,
    Tip,
    TipCard,
    TipSummary,
)
from bot.tips.repository import (
    CategoriesRepository,
    DraftsRepository,
    NewTip,
    TipsRepository,
)
from bot.tips.status_repository import TipStatusRepository
from bot.units import UnitDirectory

log = logging.getLogger(__name__)

# The ConversationHandler's name: its states live in conversation_states under this name.
CONVERSATION = "tip_submission"
OUTBOX_TIP_CARD = "tip_card"
_CODE_ATTEMPTS = 8


class DraftGoneError(Exception):
    """The draft expired, was sent or changed since it was read."""


class IncompleteDraftError(Exception):
    """A draft lacks an answer that a tip needs; `step` names the first missing one."""

    def __init__(self, step: str) -> None:
        super().__init__(f"draft is missing {step}")
        self.step = step


@dataclass(frozen=True)
class LimitReached:
    """A resident sent as many tips as the period allows."""

    period: Literal["hour", "day"]
    limit: int
    retry_at: datetime


@dataclass(frozen=True)
class Submission:
    """The tip a submission made, and whether this call made it (False: a repeat)."""

    tip: Tip
    created: bool


@dataclass(frozen=True)
class ExpiredDraft:
    """A draft removed for idleness, and whom to tell (None if its chat cannot be unsealed)."""

    chat_id: int | None
    language: Language


def conversation_key(chat_id: int, user_id: int) -> ConversationKey:
    """Return the ConversationHandler key of a resident's private chat (per chat and user)."""
    return (chat_id, user_id)


class TipService:
    """Drafts, submission and follow-up of tips."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        keyring: Keyring,
        clock: Clock,
        units: UnitDirectory,
    ) -> None:
        self.settings = settings
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.units = units
        self.tips = TipsRepository(db)
        self.drafts = DraftsRepository(db)
        self.held = HeldItemsRepository(db)
        self.history = TipStatusRepository(db)
        self.outbox = OutboxRepository(db)
        self.categories_repo = CategoriesRepository(db)
        self.conversations = ConversationStore(db, keyring, clock)
        self._categories: list[Category] | None = None
        # Where receipt codes' characters come from: unguessable (`secrets`). Only the sandbox's
        # `--seed` replaces it, for reproducible transcripts; nothing in the bot itself does.
        self.code_choice: CharacterChoice = secrets.choice

    # ------------------------------------------------------------ identity

    def pseudonym(self, user_id: int) -> str:
        """Return a resident's keyed pseudonym."""
        return self.keyring.pseudonym(user_id)

    def seal_chat(self, chat_id: int, pseudonym: str) -> str:
        """Seal a chat id, bound to the resident's pseudonym."""
        return self.keyring.seal(str(chat_id), context=pseudonym)

    def reporter_chat(self, tip: Tip) -> int | None:
        """Return the chat to reach a tip's reporter, or None if the link is lost.

        Relays and status notices (officers' features) use this; never store what it returns.
        """
        if tip.reporter_chat_sealed is None:
            return None
        try:
            return int(
                self.keyring.unseal(tip.reporter_chat_sealed, context=tip.reporter_pseudonym)
            )
        except (SealError, ValueError):
            return None

    def is_reporter_here(self, tip: Tip, user_id: int, chat_id: int) -> bool:
        """Say whether this person is the tip's tipster, writing from the chat it came from."""
        return (
            tip.reporter_pseudonym == self.pseudonym(user_id) and self.reporter_chat(tip) == chat_id
        )

    def contact_of(self, tip: Tip) -> str | None:
        """Return the contact a non-anonymous reporter left, or None."""
        if tip.anonymous or tip.contact_sealed is None:
            return None
        try:
            return self.keyring.unseal(tip.contact_sealed, context=_contact_context(tip.code))
        except SealError:
            return None

    # ------------------------------------------------------------ data

    async def categories(self) -> list[Category]:
        """Return the active categories (seeded data, read once)."""
        if self._categories is None:
            self._categories = await self.categories_repo.active()
        return self._categories

    async def category(self, code: str | None) -> Category | None:
        """Return a category by code, or None."""
        for category in await self.categories():
            if category.code == code:
                return category
        return None

    async def any_units(self) -> bool:
        """Say whether there is any active unit to pick from."""
        return await self.tips.any_active_unit()

    def now(self) -> datetime:
        """Return the current moment (UTC)."""
        return self.clock.now()

    def local_now(self) -> datetime:
        """Return the time now in the configured time zone (naive: the wall clock there)."""
        return self.clock.now().astimezone(self.settings.zone).replace(tzinfo=None)

    def local_today(self) -> date:
        """Return today's date in the configured time zone."""
        return self.clock.now().astimezone(self.settings.zone).date()

    def decision_deadline(self, received_at: datetime, legal_type: str) -> date:
        """Return a new tip's deadline: art. 147's 20 days, or the unit's service target."""
        return deadlines.first_deadline(
            received_at, self.settings.zone, legal_type, self.settings.service_target_days
        )

    # ------------------------------------------------------------ limits

    async def limit_reached(self, user_id: int) -> LimitReached | None:
        """Say whether a resident may send another tip now; None when they may."""
        pseudonym = self.pseudonym(user_id)
        now = self.now()
        periods: tuple[tuple[Literal["hour", "day"], timedelta, int], ...] = (
            ("hour", timedelta(hours=1), self.settings.tip_limit_per_hour),
            ("day", timedelta(days=1), self.settings.tip_limit_per_day),
        )
        for period, length, limit in periods:
            since = now - length
            if await self.tips.count_since(pseudonym, since) >= limit:
                oldest = await self.tips.oldest_since(pseudonym, since) or now
                return LimitReached(period, limit, oldest + length)
        return None

    # ------------------------------------------------------------ drafts

    def _seal_draft(self, draft: Draft, pseudonym: str) -> str:
        return self.keyring.seal(json.dumps(draft.to_json()), context=f"tip-draft:{pseudonym}")

    async def start_draft(
        self, user_id: int, chat_id: int, language: Language, step: str
    ) -> DraftRecord:
        """Start a fresh draft at `step`, with its conversation state, in one transaction."""
        pseudonym = self.pseudonym(user_id)
        draft = Draft(submission_key=secrets.token_urlsafe(12))
        async with self.db.transaction() as conn:
            await self._start_draft_in(conn, draft, user_id, chat_id, language, step)
        stored = await self.drafts.get(pseudonym)
        version = stored.version if stored is not None else 1
        return DraftRecord(draft=draft, step=step, version=version, language=language)

    async def _start_draft_in(
        self,
        conn: aiosqlite.Connection,
        draft: Draft,
        user_id: int,
        chat_id: int,
        language: Language,
        step: str,
    ) -> None:
        pseudonym = self.pseudonym(user_id)
        await self.drafts.replace_in(
            conn,
            pseudonym=pseudonym,
            step=step,
            data_sealed=self._seal_draft(draft, pseudonym),
            chat_sealed=self.seal_chat(chat_id, pseudonym),
            language=language,
            now=self.now(),
        )
        await self.conversations.put_in(
            conn, CONVERSATION, conversation_key(chat_id, user_id), step
        )

    # ------------------------------------------------------------ an item held at the menu

    def _held_context(self, pseudonym: str) -> str:
        return f"held-item:{pseudonym}"

    def _held_cutoff(self) -> datetime:
        # A held item lives as long as an idle draft would: the same expiry removes both.
        return self.now() - timedelta(minutes=self.settings.tip_draft_idle_minutes)

    async def hold_item(self, user_id: int, item: HeldItem) -> str:
        """Hold, sealed, what a resident sent at the main menu; return the offer's token."""
        pseudonym = self.pseudonym(user_id)
        token = secrets.token_urlsafe(9)
        sealed = self.keyring.seal(
            json.dumps(item.to_json()), context=self._held_context(pseudonym)
        )
        async with self.db.transaction() as conn:
            await self.held.put_in(conn, pseudonym, sealed, token, self.now())
        return token

    async def start_draft_with_held(
        self, user_id: int, chat_id: int, language: Language, token: str
    ) -> tuple[DraftRecord, HeldItem] | None:
        """Start a draft holding the item offered under `token` (as evidence, or a location as
        the place), taking the item in the same transaction; None if it is gone or older."""
        pseudonym = self.pseudonym(user_id)
        draft = Draft(submission_key=secrets.token_urlsafe(12))
        async with self.db.transaction() as conn:
            sealed = await self.held.take_in(conn, pseudonym, token, self._held_cutoff())
            if sealed is None:
                return None
            try:
                opened = self.keyring.unseal(sealed, context=self._held_context(pseudonym))
                item = HeldItem.from_json(json.loads(opened))
            except (SealError, ValueError, TypeError):
                log.warning("a held item sealed under another SECRET_KEY was found; dropped")
                return None
            _put_held(draft, item)
            await self._start_draft_in(conn, draft, user_id, chat_id, language, steps.CATEGORY)
        stored = await self.drafts.get(pseudonym)
        version = stored.version if stored is not None else 1
        record = DraftRecord(draft=draft, step=steps.CATEGORY, version=version, language=language)
        return record, item

    async def drop_held(self, user_id: int, token: str) -> bool:
        """Forget the item offered under `token`; say whether it was still held."""
        async with self.db.transaction() as conn:
            return await self.held.drop_in(conn, self.pseudonym(user_id), token)

    async def load_draft(self, user_id: int) -> DraftRecord | None:
        """Return a resident's draft, or None if there is none (or it cannot be opened)."""
        pseudonym = self.pseudonym(user_id)
        stored = await self.drafts.get(pseudonym)
        if stored is None:
            return None
        try:
            data = json.loads(
                self.keyring.unseal(stored.data_sealed, context=f"tip-draft:{pseudonym}")
            )
        except (SealError, ValueError):
            log.warning("a draft sealed under another SECRET_KEY was found; it is ignored")
            return None
        return DraftRecord(
            draft=Draft.from_json(data),
            step=stored.step,
            version=stored.version,
            language=stored.language,
        )

    async def save_draft(
        self,
        user_id: int,
        chat_id: int,
        record: DraftRecord,
        step: str,
        language: Language,
    ) -> DraftRecord:
        """Save a draft at `step` with its conversation state; DraftGoneError if it changed."""
        pseudonym = self.pseudonym(user_id)
        async with self.db.transaction() as conn:
            saved = await self.drafts.update_in(
                conn,
                pseudonym=pseudonym,
                version=record.version,
                step=step,
                data_sealed=self._seal_draft(record.draft, pseudonym),
                language=language,
                now=self.now(),
            )
            if not saved:
                raise DraftGoneError("the draft changed or expired meanwhile")
            await self.conversations.put_in(
                conn, CONVERSATION, conversation_key(chat_id, user_id), step
            )
        return DraftRecord(
            draft=record.draft, step=step, version=record.version + 1, language=language
        )

    async def discard_draft(self, user_id: int, chat_id: int) -> None:
        """Remove a resident's draft and end their conversation, in one transaction."""
        async with self.db.transaction() as conn:
            await self.drafts.delete_in(conn, self.pseudonym(user_id))
            await self.conversations.put_in(
                conn, CONVERSATION, conversation_key(chat_id, user_id), None
            )

    async def expire_idle(self) -> list[ExpiredDraft]:
        """Remove drafts idle longer than TIP_DRAFT_IDLE_MINUTES; return whom to tell."""
        cutoff = self.now() - timedelta(minutes=self.settings.tip_draft_idle_minutes)
        async with self.db.transaction() as conn:
            await self.held.delete_older_in(conn, cutoff)
        expired: list[ExpiredDraft] = []
        for stored in await self.drafts.idle_since(cutoff):
            chat_id: int | None
            try:
                chat_id = int(self.keyring.unseal(stored.chat_sealed, context=stored.pseudonym))
            except (SealError, ValueError):
                chat_id = None
            async with self.db.transaction() as conn:
                removed = await self.drafts.delete_if_idle_in(conn, stored.pseudonym, cutoff)
                if removed and chat_id is not None:
                    # The tip flow runs in private chats only, where the chat id is the user id.
                    await self.conversations.put_in(
                        conn, CONVERSATION, conversation_key(chat_id, chat_id), None
                    )
            if removed:
                expired.append(ExpiredDraft(chat_id, stored.language))
        return expired

    # ------------------------------------------------------------ submission

    async def existing_submission(self, user_id: int, submission_key: str) -> Tip | None:
        """Return the tip this resident's submission key already made, or None."""
        tip = await self.tips.by_submission_key(submission_key)
        if tip is None or tip.reporter_pseudonym != self.pseudonym(user_id):
            return None
        return tip

    def _new_tip(
        self,
        draft: Draft,
        category: Category,
        code: str,
        pseudonym: str,
        chat_id: int,
        language: Language,
        now: datetime,
        unit_id: int | None,
    ) -> NewTip:
        """Return what a submission writes to `tips`, its secrets sealed."""
        legal_type = draft.legal_type or category.default_legal_type
        return NewTip(
            code=code,
            submission_key=draft.submission_key,
            category=category.code,
            legal_type=legal_type,
            legal_type_source=draft.legal_type_source if draft.legal_type else "category",
            story=draft.story,
            place_kind=draft.place_kind or "unknown",
            place_text=draft.place_text,
            latitude=draft.latitude,
            longitude=draft.longitude,
            unit_id=unit_id,
            occurred=draft.occurred or "unknown",
            occurred_on=draft.occurred_on,
            occurred_time=draft.occurred_time,
            anonymous=draft.anonymous,
            reporter_pseudonym=pseudonym,
            reporter_chat_sealed=self.seal_chat(chat_id, pseudonym),
            contact_sealed=(
                None
                if draft.anonymous or not draft.contact
                else self.keyring.seal(draft.contact, context=_contact_context(code))
            ),
            language=language,
            received_at=now,
            decision_deadline=self.decision_deadline(now, legal_type),
        )

    async def routed_unit(self, draft: Draft) -> int | None:
        """Return the unit a new tip goes to, by these rules in this order of priority.

        1. The unit the resident picked by name (place_kind "unit"): their word wins.
        2. A map pin: the deepest active unit whose centroid lies within ROUTING_RADIUS_KM,
           then the nearest (bot.units.routing); 0 turns this off.
        3. Otherwise (a typed address, "I don't know", a pin far from every centroid): no unit;
           the card goes to OFFICER_CHAT_ID and officers route it by hand.
        The pin itself is stored with the tip; neither it nor the distance is logged.
        """
        if draft.unit_id is not None:
            return draft.unit_id
        if draft.place_kind != "location" or draft.latitude is None or draft.longitude is None:
            return None
        unit = await self.units.unit_for_pin(
            draft.latitude, draft.longitude, self.settings.routing_radius_km
        )
        return None if unit is None else unit.id

    async def submit(
        self, user_id: int, chat_id: int, record: DraftRecord, language: Language
    ) -> Submission:
        """Write the tip, its evidence, first event and outbox row, and drop the draft, at once.

        A second call with the same draft (double tap, redelivered update) returns the tip the
        first call made and writes nothing.
        """
        draft = record.draft
        existing = await self.existing_submission(user_id, draft.submission_key)
        if existing is not None:
            return Submission(existing, created=False)
        category = await self.category(draft.category)
        missing = first_missing_step(draft, category)
        if missing is not None or category is None:
            raise IncompleteDraftError(missing or "category")
        pseudonym = self.pseudonym(user_id)
        now = self.now()
        evidence: list[tuple[str, Attachment]] = []
        if draft.story_voice is not None:
            evidence.append(("story", draft.story_voice))
        evidence.extend(("evidence", item) for item in draft.evidence)
        unit_id = await self.routed_unit(draft)
        for _attempt in range(_CODE_ATTEMPTS):
            code = new_code(self.code_choice)
            new = self._new_tip(draft, category, code, pseudonym, chat_id, language, now, unit_id)
            try:
                async with self.db.transaction() as conn:
                    tip_id = await self.tips.insert_in(conn, new)
                    if evidence:
                        await self.tips.add_evidence_in(conn, tip_id, evidence)
                    await self.tips.add_event_in(
                        conn,
                        tip_id,
                        at=now,
                        actor_kind="resident",
                        event="received",
                        to_status=STATUS_RECEIVED,
                    )
                    await self.outbox.enqueue_in(conn, OUTBOX_TIP_CARD, {"tip_id": tip_id}, now)
                    await self.drafts.delete_in(conn, pseudonym)
                    await self.conversations.put_in(
                        conn, CONVERSATION, conversation_key(chat_id, user_id), None
                    )
            except sqlite3.IntegrityError as error:
                if "submission_key" in str(error):
                    again = await self.existing_submission(user_id, draft.submission_key)
                    if again is not None:
                        return Submission(again, created=False)
                    raise
                if "tips.code" in str(error):
                    continue  # a one-in-a-trillion collision: draw another code
                raise
            tip = await self.tips.by_id(tip_id)
            if tip is None:
                raise RuntimeError("the tip just written cannot be read back")
            return Submission(tip, created=True)
        raise RuntimeError("could not draw an unused receipt code")

    # ------------------------------------------------------------ follow-up

    async def tips_of(self, user_id: int, *, limit: int = 20) -> tuple[list[TipSummary], int]:
        """Return a resident's latest tips and how many they sent in all."""
        pseudonym = self.pseudonym(user_id)
        return (
            await self.tips.of_reporter(pseudonym, limit=limit),
            await self.tips.count_of_reporter(pseudonym),
        )

    async def open_tip_ids(self, user_id: int) -> list[int]:
        """Return the ids of a resident's tips that are not closed."""
        return await self.tips.open_ids_of_reporter(self.pseudonym(user_id))

    async def tip(self, tip_id: int) -> Tip | None:
        """Return the tip with this id, or None."""
        return await self.tips.by_id(tip_id)

    async def tip_by_code(self, code: str) -> Tip | None:
        """Return the tip with this receipt code, or None."""
        return await self.tips.by_code(code)

    async def evidence_of(self, tip_id: int) -> list[Evidence]:
        """Return a tip's attachments in the order they were sent."""
        return await self.tips.evidence(tip_id)

    async def evidence_item(self, tip_id: int, evidence_id: int) -> tuple[Evidence, int] | None:
        """Return one of a tip's files and how many it has, or None if it is gone."""
        items = await self.tips.evidence(tip_id)
        found = next((item for item in items if item.id == evidence_id), None)
        return None if found is None else (found, len(items))

    async def card_of(self, tip_id: int) -> TipCard | None:
        """Return where a tip's card was posted, or None if not yet."""
        return await self.tips.card(tip_id)

    async def code_in(self, payload: dict[str, Any]) -> str | None:
        """Return the receipt code of the tip an outbox payload names, if it still exists."""
        return await self.tips.code_of(payload)

    async def save_card_in(self, conn: aiosqlite.Connection, card: TipCard, now: datetime) -> None:
        """Record (or move) where a tip's card is, in the caller's transaction."""
        await self.tips.save_card_in(conn, card, now)

    async def has_draft(self, user_id: int) -> bool:
        """Say whether a resident has a tip in progress (its content is not read)."""
        return await self.drafts.get(self.pseudonym(user_id)) is not None

    async def status_of(self, code: str) -> str | None:
        """Return the status of the tip with this code, or None (never any content)."""
        tip = await self.tips.by_code(code)
        return None if tip is None else tip.status

    async def timeline_of(self, code: str, language: Language) -> TipTimeline | None:
        """Return what a resident may follow of a tip: its status moves, unit and deadline.

        Only the moves (status and date) are kept; who made them, notes and content stay out,
        so the code alone never discloses an officer or the tip itself.
        """
        tip = await self.tips.by_code(code)
        if tip is None:
            return None
        moves = [
            (event.at, event.to_status)
            for event in await self.history.events(tip.id)
            if event.to_status is not None
        ]
        unit = await self.units.by_id(tip.unit_id) if tip.unit_id is not None else None
        return TipTimeline(
            tip=tip, moves=moves, unit_name=None if unit is None else unit.name(language)
        )


@dataclass(frozen=True)
class TipTimeline:
    """A tip as its resident follows it: status moves (when, to what), unit, deadline."""

    tip: Tip
    moves: list[tuple[datetime, str]]
    unit_name: str | None


def _put_held(draft: Draft, item: HeldItem) -> None:
    """Put a held item where the conversation would have: a file as evidence, a location as
    the place (not asked again)."""
    if item.attachment is not None:
        draft.evidence.append(item.attachment)
    elif item.latitude is not None and item.longitude is not None:
        draft.place_kind = "location"
        draft.latitude, draft.longitude = item.latitude, item.longitude
        draft.place_text = item.venue
        draft.place_given = True


def _contact_context(code: str) -> str:
    return f"tip-contact:{code}"


def first_missing_step(draft: Draft, category: Category | None) -> str | None:
    """Return the first step a draft still needs, or None when it can be sent."""
    if category is None:
        return steps.CATEGORY
    if not draft.story_parts and draft.story_voice is None:
        return steps.STORY
    if draft.place_kind is None:
        return steps.PLACE
    if draft.occurred is None:
        return steps.WHEN
    if not draft.evidence_done:
        return steps.EVIDENCE
    if not draft.identity_done:
        return steps.IDENTITY
    return None
