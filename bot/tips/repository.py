"""SQL for tips, their evidence, history, drafts, cards and the outbox (`?` placeholders only).

Methods ending in `_in` run inside the caller's transaction, so a service can make several
writes atomic (a tip, its evidence, its first event, its outbox row and the draft's removal).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import aiosqlite

from bot.db import Database
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


def stamp(moment: datetime) -> str:
    """Return a moment as the UTC ISO text every table stores (sortable as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _language(value: Any) -> Language:
    return as_language(str(value)) or "vi"


# Public: the triage feature (bot/triage) reads tips with the same columns and row mapping.
TIP_COLUMNS = (
    "id, code, category, legal_type, legal_type_source, story, place_kind, place_text, "
    "latitude, longitude, unit_id, occurred, occurred_on, anonymous, reporter_pseudonym, "
    "reporter_chat_sealed, contact_sealed, language, status, received_at, decision_deadline, "
    "first_action_at, assignee_id, outcome, extension, transferred_to, status_at, of_value"
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
                              received_at, decision_deadline, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)
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


@dataclass(frozen=True)
class OutboxRow:
    """One message (or set of messages) waiting to be delivered."""

    id: int
    kind: str
    target_chat_id: int | None
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    # Permanent refusals counted towards OUTBOX_MAX_PERMANENT_FAILURES (transient ones never).
    permanent_failures: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """An outbox row given up after repeated permanent failures, kept for an admin to retry."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime


_SELECT_ROW = (
    "SELECT id, kind, target_chat_id, payload, attempts, next_attempt_at, last_error, "
    "permanent_failures FROM outbox"
)
# Rows still to deliver: neither delivered, nor given up (resident blocked the bot), nor dead.
_WAITING = "delivered_at IS NULL AND undeliverable_at IS NULL AND dead_at IS NULL"


class OutboxRepository:
    """Read and write the outbox of messages to officers' chats."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue_in(
        self,
        conn: aiosqlite.Connection,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        *,
        target_chat_id: int | None = None,
    ) -> int:
        """Queue one delivery, due at once; return its id."""
        cursor = await conn.execute(
            "INSERT INTO outbox (kind, target_chat_id, payload, attempts, next_attempt_at, "
            "created_at) VALUES (?, ?, ?, 0, ?, ?)",
            (kind, target_chat_id, json.dumps(payload), stamp(now), stamp(now)),
        )
        row_id = cursor.lastrowid
        if row_id is None:
            raise RuntimeError("SQLite returned no id for the outbox row")
        return row_id

    async def due(self, now: datetime, *, limit: int) -> list[OutboxRow]:
        """Return undelivered rows whose next attempt is due, oldest first."""
        rows = await self._db.fetch_all(
            f"{_SELECT_ROW} WHERE {_WAITING} AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (stamp(now), limit),
        )
        return [self._row(row) for row in rows]

    async def row(self, row_id: int) -> OutboxRow | None:
        """Return one row, whatever its state."""
        found = await self._db.fetch_one(f"{_SELECT_ROW} WHERE id = ?", (row_id,))
        return None if found is None else self._row(found)

    @staticmethod
    def _row(row: sqlite3.Row) -> OutboxRow:
        return OutboxRow(
            id=int(row["id"]),
            kind=str(row["kind"]),
            target_chat_id=row["target_chat_id"],
            payload=json.loads(str(row["payload"])),
            attempts=int(row["attempts"]),
            next_attempt_at=datetime.fromisoformat(str(row["next_attempt_at"])),
            last_error=row["last_error"],
            permanent_failures=int(row["permanent_failures"]),
        )

    async def pending_count(self) -> int:
        """Count rows not delivered yet (dead letters and given-up rows excluded)."""
        value = await self._db.fetch_value(f"SELECT count(*) FROM outbox WHERE {_WAITING}")
        return int(value or 0)

    async def save_progress_in(
        self,
        conn: aiosqlite.Connection,
        row_id: int,
        payload: dict[str, Any],
        *,
        target_chat_id: int | None,
    ) -> None:
        """Record which parts of a delivery are done, so a retry never repeats them."""
        await conn.execute(
            "UPDATE outbox SET payload = ?, target_chat_id = ? WHERE id = ?",
            (json.dumps(payload), target_chat_id, row_id),
        )

    async def mark_delivered(self, row_id: int, now: datetime) -> None:
        """Mark a row delivered."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?",
                (stamp(now), row_id),
            )

    async def mark_failed(
        self, row_id: int, *, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """Record a failed attempt and when to try again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                (attempts, stamp(next_attempt_at), error[:500], row_id),
            )

    async def mark_undeliverable(self, row_id: int, now: datetime, error: str) -> None:
        """Give a row up for good (the resident blocked the bot): it is never retried."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET undeliverable_at = ?, last_error = ? WHERE id = ?",
                (stamp(now), error[:500], row_id),
            )

    async def postpone(self, row_id: int, until: datetime) -> None:
        """Try a row again at `until` without counting a failed attempt."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (stamp(until), row_id)
            )

    async def postpone_all(self, until: datetime) -> None:
        """Push every due row to `until` (Telegram asked the bot to wait), keeping attempts."""
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE outbox SET next_attempt_at = ? WHERE {_WAITING} AND next_attempt_at < ?",
                (stamp(until), stamp(until)),
            )

    # ------------------------------------------------------------ dead letters

    async def mark_refused(
        self,
        row_id: int,
        *,
        attempts: int,
        permanent_failures: int,
        next_attempt_at: datetime,
        error: str,
    ) -> None:
        """Record a permanent refusal that is not yet the last allowed, and when to try again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = ?, permanent_failures = ?, next_attempt_at = ?, "
                "last_error = ? WHERE id = ?",
                (attempts, permanent_failures, stamp(next_attempt_at), error[:500], row_id),
            )

    async def mark_dead_in(
        self,
        conn: aiosqlite.Connection,
        row_id: int,
        now: datetime,
        *,
        attempts: int,
        permanent_failures: int,
        error: str,
    ) -> bool:
        """Make a waiting row a dead letter (payload kept); say whether it was waiting.

        Only a waiting row dies, so a row dies once per time it is put back, and the caller
        alerts the administrators only when this returns True.
        """
        cursor = await conn.execute(
            "UPDATE outbox SET dead_at = ?, attempts = ?, permanent_failures = ?, "
            f"last_error = ? WHERE id = ? AND {_WAITING}",
            (stamp(now), attempts, permanent_failures, error[:500], row_id),
        )
        return cursor.rowcount == 1

    async def dead_letters(self, *, limit: int) -> list[DeadLetter]:
        """Return the newest dead letters first."""
        rows = await self._db.fetch_all(
            "SELECT id, kind, payload, attempts, last_error, created_at, dead_at FROM outbox "
            "WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [
            DeadLetter(
                id=int(row["id"]),
                kind=str(row["kind"]),
                payload=json.loads(str(row["payload"])),
                attempts=int(row["attempts"]),
                last_error=row["last_error"],
                created_at=datetime.fromisoformat(str(row["created_at"])),
                dead_at=datetime.fromisoformat(str(row["dead_at"])),
            )
            for row in rows
        ]

    async def dead_count(self) -> int:
        """Count the dead letters."""
        value = await self._db.fetch_value("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")
        return int(value or 0)

    async def revive(self, now: datetime, row_id: int | None = None) -> int:
        """Put a dead letter (None: every one) back in the queue, due now; return how many.

        Its permanent refusals start from zero again, so it gets the full number of tries;
        attempts and the last error stay as a record of what happened.
        """
        where = "dead_at IS NOT NULL" + ("" if row_id is None else " AND id = ?")
        params: tuple[Any, ...] = (stamp(now),) if row_id is None else (stamp(now), row_id)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET dead_at = NULL, permanent_failures = 0, next_attempt_at = ? "
                f"WHERE {where}",
                params,
            )
            return int(cursor.rowcount)
