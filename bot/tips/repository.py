"""SQL for tips, their evidence, history, drafts and cards (`?` placeholders only).

Methods ending in `_in` run inside the caller's transaction, so a service can make several
writes atomic (a tip, its evidence, its first event, its outbox row and the draft's removal);
the outbox itself is bot/outbox/repository.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import aiosqlite

from bot.db import Database
from bot.db.stamps import stamp as stamp
from bot.kernel.i18n import Language, as_language
from bot.tips.model import (
    Attachment,
    Category,
    Evidence,
    EvidenceKind,
    LegalType,
    LegalTypeSource,
    Occurred,
    PlaceKind,
    Tip,
    TipCard,
    TipSummary,
)


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _language(value: Any) -> Language:
    return as_language(str(value)) or "vi"


# Public: the triage feature (bot/triage) reads tips with the same columns and row mapping.
TIP_COLUMNS = (
    "id, code, category, legal_type, legal_type_source, story, place_kind, place_text, "
    "latitude, longitude, unit_id, occurred, occurred_on, anonymous, reporter_pseudonym, "
    "reporter_chat_sealed, contact_sealed, language, status, received_at, decision_deadline, "
    "first_action_at, assignee_id, outcome, extension, transferred_to, status_at, of_value, "
    "occurred_time"
)


def tip_from_row(row: sqlite3.Row) -> Tip:
    """Return a tip from a row selected with TIP_COLUMNS."""
    return Tip(
        id=int(row["id"]),
        code=str(row["code"]),
        category=str(row["category"]),
        legal_type=cast(LegalType, row["legal_type"]),
        legal_type_source=cast(LegalTypeSource, row["legal_type_source"]),
        story=str(row["story"]),
        place_kind=cast(PlaceKind, row["place_kind"]),
        place_text=row["place_text"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        unit_id=row["unit_id"],
        occurred=cast(Occurred, row["occurred"]),
        occurred_on=date.fromisoformat(row["occurred_on"]) if row["occurred_on"] else None,
        anonymous=bool(row["anonymous"]),
        reporter_pseudonym=str(row["reporter_pseudonym"]),
        reporter_chat_sealed=row["reporter_chat_sealed"],
        contact_sealed=row["contact_sealed"],
        language=_language(row["language"]),
        status=str(row["status"]),
        received_at=datetime.fromisoformat(str(row["received_at"])),
        decision_deadline=date.fromisoformat(str(row["decision_deadline"])),
        first_action_at=_moment(row["first_action_at"]),
        assignee_id=row["assignee_id"],
        outcome=row["outcome"],
        extension=str(row["extension"]),
        transferred_to=row["transferred_to"],
        status_at=_moment(row["status_at"]),
        of_value=bool(row["of_value"]),
        occurred_time=row["occurred_time"],
    )


class CategoriesRepository:
    """Read the seeded tip categories."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def active(self) -> list[Category]:
        """Return the active categories in their display order."""
        rows = await self._db.fetch_all(
            "SELECT code, label_vi, label_en, default_legal_type, sort_order "
            "FROM tip_categories WHERE active = 1 ORDER BY sort_order, code"
        )
        return [
            Category(
                code=str(row["code"]),
                label_vi=str(row["label_vi"]),
                label_en=str(row["label_en"]),
                default_legal_type=cast(LegalType, row["default_legal_type"]),
                sort_order=int(row["sort_order"]),
            )
            for row in rows
        ]


@dataclass(frozen=True)
class StoredDraft:
    """A draft row as stored: its answers still sealed."""

    pseudonym: str
    step: str
    data_sealed: str
    chat_sealed: str
    language: Language
    version: int
    updated_at: datetime


class DraftsRepository:
    """Read and write `tip_drafts` (one draft per resident, keyed by pseudonym)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _row(row: sqlite3.Row) -> StoredDraft:
        return StoredDraft(
            pseudonym=str(row["pseudonym"]),
            step=str(row["step"]),
            data_sealed=str(row["data_sealed"]),
            chat_sealed=str(row["chat_sealed"]),
            language=_language(row["language"]),
            version=int(row["version"]),
            updated_at=datetime.fromisoformat(str(row["updated_at"])),
        )

    async def get(self, pseudonym: str) -> StoredDraft | None:
        """Return a resident's draft, or None."""
        row = await self._db.fetch_one(
            "SELECT pseudonym, step, data_sealed, chat_sealed, language, version, updated_at "
            "FROM tip_drafts WHERE pseudonym = ?",
            (pseudonym,),
        )
        return None if row is None else self._row(row)

    async def replace_in(
        self,
        conn: aiosqlite.Connection,
        *,
        pseudonym: str,
        step: str,
        data_sealed: str,
        chat_sealed: str,
        language: Language,
        now: datetime,
    ) -> None:
        """Start a draft, replacing any older one of the same resident."""
        await conn.execute(
            "INSERT INTO tip_drafts (pseudonym, step, data_sealed, chat_sealed, language, "
            "version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (pseudonym) DO UPDATE SET step = excluded.step, "
            "data_sealed = excluded.data_sealed, chat_sealed = excluded.chat_sealed, "
            "language = excluded.language, version = tip_drafts.version + 1, "
            "created_at = excluded.created_at, updated_at = excluded.updated_at",
            (pseudonym, step, data_sealed, chat_sealed, language, stamp(now), stamp(now)),
        )

    async def update_in(
        self,
        conn: aiosqlite.Connection,
        *,
        pseudonym: str,
        version: int,
        step: str,
        data_sealed: str,
        language: Language,
        now: datetime,
    ) -> bool:
        """Save a draft if it is still at `version`; say whether it was."""
        cursor = await conn.execute(
            "UPDATE tip_drafts SET step = ?, data_sealed = ?, language = ?, "
            "version = version + 1, updated_at = ? WHERE pseudonym = ? AND version = ?",
            (step, data_sealed, language, stamp(now), pseudonym, version),
        )
        return cursor.rowcount == 1

    async def delete_in(self, conn: aiosqlite.Connection, pseudonym: str) -> None:
        """Remove a resident's draft."""
        await conn.execute("DELETE FROM tip_drafts WHERE pseudonym = ?", (pseudonym,))

    async def delete_if_idle_in(
        self, conn: aiosqlite.Connection, pseudonym: str, cutoff: datetime
    ) -> bool:
        """Remove a draft untouched since `cutoff`; say whether it was removed."""
        cursor = await conn.execute(
            "DELETE FROM tip_drafts WHERE pseudonym = ? AND updated_at <= ?",
            (pseudonym, stamp(cutoff)),
        )
        return cursor.rowcount == 1

    async def idle_since(self, cutoff: datetime, *, limit: int = 200) -> list[StoredDraft]:
        """Return drafts untouched since `cutoff`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT pseudonym, step, data_sealed, chat_sealed, language, version, updated_at "
            "FROM tip_drafts WHERE updated_at <= ? ORDER BY updated_at LIMIT ?",
            (stamp(cutoff), limit),
        )
        return [self._row(row) for row in rows]


@dataclass(frozen=True)
class NewTip:
    """Everything a submission writes to `tips` (secrets already sealed)."""

    code: str
    submission_key: str
    category: str
    legal_type: LegalType
    legal_type_source: LegalTypeSource
    story: str
    place_kind: PlaceKind
    place_text: str | None
    latitude: float | None
    longitude: float | None
    unit_id: int | None
    occurred: Occurred
    occurred_on: str | None
    anonymous: bool
    reporter_pseudonym: str
    reporter_chat_sealed: str | None
    contact_sealed: str | None
    language: Language
    received_at: datetime
    decision_deadline: date
    occurred_time: str | None = None


class TipsRepository:
    """Read and write tips, their evidence, events and cards."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert_in(self, conn: aiosqlite.Connection, tip: NewTip) -> int:
        """Insert a tip and return its id (IntegrityError on a code or key already used)."""
        cursor = await conn.execute(
            """
            INSERT INTO tips (code, submission_key, category, legal_type, legal_type_source,
                              story, place_kind, place_text, latitude, longitude, unit_id,
                              occurred, occurred_on, anonymous, reporter_pseudonym,
                              reporter_chat_sealed, contact_sealed, language, status,
                              received_at, decision_deadline, updated_at, occurred_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?)
            """,
            (
                tip.code,
                tip.submission_key,
                tip.category,
                tip.legal_type,
                tip.legal_type_source,
                tip.story,
                tip.place_kind,
                tip.place_text,
                tip.latitude,
                tip.longitude,
                tip.unit_id,
                tip.occurred,
                tip.occurred_on,
                1 if tip.anonymous else 0,
                tip.reporter_pseudonym,
                tip.reporter_chat_sealed,
                tip.contact_sealed,
                tip.language,
                stamp(tip.received_at),
                tip.decision_deadline.isoformat(),
                stamp(tip.received_at),
                tip.occurred_time,
            ),
        )
        tip_id = cursor.lastrowid
        if tip_id is None:
            raise RuntimeError("SQLite returned no id for the new tip")
        return tip_id

    async def add_evidence_in(
        self,
        conn: aiosqlite.Connection,
        tip_id: int,
        items: Sequence[tuple[str, Attachment]],
    ) -> None:
        """Store a tip's attachments as (role, attachment), in order."""
        await conn.executemany(
            "INSERT INTO tip_evidence (tip_id, position, role, kind, file_id, file_unique_id, "
            "mime, size, caption) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    tip_id,
                    position,
                    role,
                    item.kind,
                    item.file_id,
                    item.file_unique_id,
                    item.mime,
                    item.size,
                    item.caption,
                )
                for position, (role, item) in enumerate(items, start=1)
            ],
        )

    async def add_attachment_in(
        self, conn: aiosqlite.Connection, tip_id: int, item: Attachment
    ) -> int:
        """Store one more file of a tip (after those it has) and return its id."""
        cursor = await conn.execute(
            "INSERT INTO tip_evidence (tip_id, position, role, kind, file_id, file_unique_id, "
            "mime, size, caption) SELECT ?, coalesce(max(position), 0) + 1, 'evidence', ?, ?, ?, "
            "?, ?, ? FROM tip_evidence WHERE tip_id = ?",
            (
                tip_id,
                item.kind,
                item.file_id,
                item.file_unique_id,
                item.mime,
                item.size,
                item.caption,
                tip_id,
            ),
        )
        if cursor.lastrowid is None:
            raise RuntimeError("SQLite returned no id for the attachment")
        return cursor.lastrowid

    async def add_event_in(
        self,
        conn: aiosqlite.Connection,
        tip_id: int,
        *,
        at: datetime,
        actor_kind: str,
        event: str,
        actor_ref: str | None = None,
        from_status: str | None = None,
        to_status: str | None = None,
        note: str | None = None,
    ) -> None:
        """Append one event to a tip's history."""
        await conn.execute(
            "INSERT INTO tip_events (tip_id, at, actor_kind, actor_ref, event, from_status, "
            "to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (tip_id, stamp(at), actor_kind, actor_ref, event, from_status, to_status, note),
        )

    async def by_id(self, tip_id: int) -> Tip | None:
        """Return the tip with this id, or None."""
        row = await self._db.fetch_one(f"SELECT {TIP_COLUMNS} FROM tips WHERE id = ?", (tip_id,))
        return None if row is None else tip_from_row(row)

    async def by_code(self, code: str) -> Tip | None:
        """Return the tip with this receipt code, or None."""
        row = await self._db.fetch_one(f"SELECT {TIP_COLUMNS} FROM tips WHERE code = ?", (code,))
        return None if row is None else tip_from_row(row)

    async def code_of(self, payload: dict[str, Any]) -> str | None:
        """Return the code of the tip an outbox payload names ("tip_id"), if it still exists."""
        tip_id = payload.get("tip_id")
        if not isinstance(tip_id, int):
            return None
        value = await self._db.fetch_value("SELECT code FROM tips WHERE id = ?", (tip_id,))
        return None if value is None else str(value)

    async def by_submission_key(self, key: str) -> Tip | None:
        """Return the tip a submission key made, or None."""
        row = await self._db.fetch_one(
            f"SELECT {TIP_COLUMNS} FROM tips WHERE submission_key = ?", (key,)
        )
        return None if row is None else tip_from_row(row)

    async def any_active_unit(self) -> bool:
        """Say whether the unit tree has any active unit (the place step offers them)."""
        value = await self._db.fetch_value("SELECT 1 FROM units WHERE active = 1 LIMIT 1")
        return value is not None

    async def count_since(self, pseudonym: str, since: datetime) -> int:
        """Count a resident's tips received at or after `since`."""
        value = await self._db.fetch_value(
            "SELECT count(*) FROM tips WHERE reporter_pseudonym = ? AND received_at >= ?",
            (pseudonym, stamp(since)),
        )
        return int(value or 0)

    async def oldest_since(self, pseudonym: str, since: datetime) -> datetime | None:
        """Return when the oldest of a resident's tips at or after `since` was received."""
        value = await self._db.fetch_value(
            "SELECT min(received_at) FROM tips WHERE reporter_pseudonym = ? AND received_at >= ?",
            (pseudonym, stamp(since)),
        )
        return _moment(value)

    async def of_reporter(self, pseudonym: str, *, limit: int = 20) -> list[TipSummary]:
        """Return a resident's latest tips, newest first."""
        rows = await self._db.fetch_all(
            "SELECT code, category, status, received_at FROM tips WHERE reporter_pseudonym = ? "
            "ORDER BY received_at DESC, id DESC LIMIT ?",
            (pseudonym, limit),
        )
        return [
            TipSummary(
                code=str(row["code"]),
                category=str(row["category"]),
                status=str(row["status"]),
                received_at=datetime.fromisoformat(str(row["received_at"])),
            )
            for row in rows
        ]

    async def open_ids_of_reporter(self, pseudonym: str) -> list[int]:
        """Return the ids of a resident's tips that are not closed."""
        rows = await self._db.fetch_all(
            "SELECT id FROM tips WHERE reporter_pseudonym = ? AND status <> 'closed' ORDER BY id",
            (pseudonym,),
        )
        return [int(row["id"]) for row in rows]

    async def count_of_reporter(self, pseudonym: str) -> int:
        """Count every tip of a resident."""
        value = await self._db.fetch_value(
            "SELECT count(*) FROM tips WHERE reporter_pseudonym = ?", (pseudonym,)
        )
        return int(value or 0)

    async def evidence(self, tip_id: int) -> list[Evidence]:
        """Return a tip's attachments in the order they were sent."""
        rows = await self._db.fetch_all(
            "SELECT id, tip_id, position, role, kind, file_id, file_unique_id, mime, size, "
            "caption FROM tip_evidence WHERE tip_id = ? ORDER BY position",
            (tip_id,),
        )
        return [
            Evidence(
                id=int(row["id"]),
                tip_id=int(row["tip_id"]),
                position=int(row["position"]),
                role=cast(Any, row["role"]),
                kind=cast(EvidenceKind, row["kind"]),
                file_id=str(row["file_id"]),
                file_unique_id=str(row["file_unique_id"]),
                mime=row["mime"],
                size=row["size"],
                caption=row["caption"],
            )
            for row in rows
        ]

    async def card(self, tip_id: int) -> TipCard | None:
        """Return where a tip's card was posted, or None if not yet."""
        row = await self._db.fetch_one(
            "SELECT tip_id, chat_id, message_id FROM tip_cards WHERE tip_id = ?", (tip_id,)
        )
        if row is None:
            return None
        return TipCard(int(row["tip_id"]), int(row["chat_id"]), int(row["message_id"]))

    async def card_by_message(self, chat_id: int, message_id: int) -> TipCard | None:
        """Return the card that is this message, or None."""
        row = await self._db.fetch_one(
            "SELECT tip_id, chat_id, message_id FROM tip_cards "
            "WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        if row is None:
            return None
        return TipCard(int(row["tip_id"]), int(row["chat_id"]), int(row["message_id"]))

    async def save_card_in(self, conn: aiosqlite.Connection, card: TipCard, now: datetime) -> None:
        """Record (or move) a tip's card."""
        await conn.execute(
            "INSERT INTO tip_cards (tip_id, chat_id, message_id, sent_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tip_id) DO UPDATE SET chat_id = excluded.chat_id, "
            "message_id = excluded.message_id, sent_at = excluded.sent_at",
            (card.tip_id, card.chat_id, card.message_id, stamp(now)),
        )
