"""SQL for triage: a tip's triage columns, its history, relayed messages, lists (`?` only).

Methods ending in `_in` run inside the caller's transaction. Lists take a `Scope` and pass unit
ids as one JSON array (`json_each`), so every statement here is a fixed text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from typing import cast

import aiosqlite

from bot.db import Database
from bot.tips.model import Tip
from bot.tips.repository import TIP_COLUMNS, stamp, tip_from_row
from bot.triage.model import Direction, MessageState, RelayMessage, Scope, TipEvent

# Scope, in every list: all units (NULL), or the given ids, plus unit-less tips when allowed.
_IN_SCOPE = (
    "(? IS NULL OR unit_id IN (SELECT value FROM json_each(?)) OR (? = 1 AND unit_id IS NULL))"
)
_LIST_WHERE = f"""
    WHERE {_IN_SCOPE}
      AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))
      AND (? IS NULL OR category = ?)
      AND (? IS NULL OR received_at >= ?)
      AND (? IS NULL OR received_at < ?)
"""


def _json(values: Iterable[object] | None) -> str | None:
    return None if values is None else json.dumps(sorted({str(value) for value in values}))


def _scope_params(scope: Scope) -> tuple[object, ...]:
    ids = None if scope.unit_ids is None else json.dumps(sorted(scope.unit_ids))
    return (ids, ids, 1 if scope.unitless else 0)


def _message(row: sqlite3.Row) -> RelayMessage:
    return RelayMessage(
        id=int(row["id"]),
        tip_id=int(row["tip_id"]),
        direction=cast(Direction, row["direction"]),
        officer_id=row["officer_id"],
        reply_to=row["reply_to"],
        body=str(row["body"]),
        state=cast(MessageState, row["state"]),
        created_at=datetime.fromisoformat(str(row["created_at"])),
    )


_MESSAGE_COLUMNS = "id, tip_id, direction, officer_id, reply_to, body, state, created_at"


class TriageRepository:
    """Read and write what triage adds to tips."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------ one tip

    async def tip_in(self, conn: aiosqlite.Connection, tip_id: int) -> Tip | None:
        """Return a tip as this transaction sees it."""
        async with conn.execute(f"SELECT {TIP_COLUMNS} FROM tips WHERE id = ?", (tip_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else tip_from_row(row)

    async def save_in(
        self, conn: aiosqlite.Connection, tip: Tip, *, expected_status: str, now: datetime
    ) -> bool:
        """Write a tip's triage state if its status is still `expected_status`; say whether.

        The compare-and-set on the status is what keeps two officers pressing at once from
        both acting on the state they saw: the second write finds another status and fails.
        """
        cursor = await conn.execute(
            """
            UPDATE tips SET status = ?, outcome = ?, assignee_id = ?, unit_id = ?,
                            transferred_to = ?, extension = ?, decision_deadline = ?,
                            legal_type = ?, legal_type_source = ?, of_value = ?, status_at = ?,
                            first_action_at = coalesce(first_action_at, ?), updated_at = ?
            WHERE id = ? AND status = ?
            """,
            (
                tip.status,
                tip.outcome,
                tip.assignee_id,
                tip.unit_id,
                tip.transferred_to,
                tip.extension,
                tip.decision_deadline.isoformat(),
                tip.legal_type,
                tip.legal_type_source,
                1 if tip.of_value else 0,
                None if tip.status_at is None else stamp(tip.status_at),
                stamp(now),
                stamp(now),
                tip.id,
                expected_status,
            ),
        )
        return cursor.rowcount == 1

    async def touch_in(self, conn: aiosqlite.Connection, tip_id: int, now: datetime) -> None:
        """Record an officer action that changes no triage column (a note, a question)."""
        await conn.execute(
            "UPDATE tips SET first_action_at = coalesce(first_action_at, ?), updated_at = ? "
            "WHERE id = ?",
            (stamp(now), stamp(now), tip_id),
        )

    async def events(self, tip_id: int) -> list[TipEvent]:
        """Return a tip's history, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id, at, actor_kind, actor_ref, event, from_status, to_status, note "
            "FROM tip_events WHERE tip_id = ? ORDER BY at, id",
            (tip_id,),
        )
        return [
            TipEvent(
                id=int(row["id"]),
                at=datetime.fromisoformat(str(row["at"])),
                actor_kind=str(row["actor_kind"]),
                actor_ref=row["actor_ref"],
                event=str(row["event"]),
                from_status=row["from_status"],
                to_status=row["to_status"],
                note=row["note"],
            )
            for row in rows
        ]

    # ------------------------------------------------------------ relayed messages

    async def add_message_in(
        self,
        conn: aiosqlite.Connection,
        *,
        tip_id: int,
        direction: Direction,
        officer_id: int | None,
        reply_to: int | None,
        body: str,
        now: datetime,
    ) -> int:
        """Store a question or an answer, pending delivery; return its id."""
        cursor = await conn.execute(
            "INSERT INTO tip_messages (tip_id, direction, officer_id, reply_to, body, state, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (tip_id, direction, officer_id, reply_to, body, stamp(now)),
        )
        if cursor.lastrowid is None:
            raise RuntimeError("SQLite returned no id for the message")
        return cursor.lastrowid

    async def message(self, message_id: int) -> RelayMessage | None:
        """Return one relayed message, or None."""
        row = await self._db.fetch_one(
            f"SELECT {_MESSAGE_COLUMNS} FROM tip_messages WHERE id = ?", (message_id,)
        )
        return None if row is None else _message(row)

    async def messages(self, tip_id: int) -> list[RelayMessage]:
        """Return a tip's questions and answers, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_MESSAGE_COLUMNS} FROM tip_messages WHERE tip_id = ? ORDER BY id",
            (tip_id,),
        )
        return [_message(row) for row in rows]

    async def settle_message_in(
        self, conn: aiosqlite.Connection, message_id: int, state: MessageState, now: datetime
    ) -> bool:
        """Mark a pending message delivered or undeliverable; say whether it was pending."""
        cursor = await conn.execute(
            "UPDATE tip_messages SET state = ?, settled_at = ? WHERE id = ? AND state = 'pending'",
            (state, stamp(now), message_id),
        )
        return cursor.rowcount == 1

    # ------------------------------------------------------------ tipsters about to answer

    async def put_wait_in(
        self, conn: aiosqlite.Connection, pseudonym: str, message_id: int, now: datetime
    ) -> None:
        """Remember which question a tipster is answering (one at a time)."""
        await conn.execute(
            "INSERT INTO tip_reply_waits (pseudonym, message_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (pseudonym) DO UPDATE SET message_id = excluded.message_id, "
            "created_at = excluded.created_at",
            (pseudonym, message_id, stamp(now)),
        )

    async def wait(self, pseudonym: str) -> tuple[int, datetime] | None:
        """Return the question a tipster is answering and since when, or None."""
        row = await self._db.fetch_one(
            "SELECT message_id, created_at FROM tip_reply_waits WHERE pseudonym = ?", (pseudonym,)
        )
        if row is None:
            return None
        return int(row["message_id"]), datetime.fromisoformat(str(row["created_at"]))

    async def delete_wait_in(self, conn: aiosqlite.Connection, pseudonym: str) -> None:
        """Forget that a tipster is answering."""
        await conn.execute("DELETE FROM tip_reply_waits WHERE pseudonym = ?", (pseudonym,))

    # ------------------------------------------------------------ lists

    async def find(
        self,
        scope: Scope,
        *,
        statuses: Iterable[str] | None,
        category: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Tip], int]:
        """Return one page of matching tips, most urgent deadline first, and how many match."""
        status_json = _json(statuses)
        params = (
            *_scope_params(scope),
            status_json,
            status_json,
            category,
            category,
            None if since is None else stamp(since),
            None if since is None else stamp(since),
            None if until is None else stamp(until),
            None if until is None else stamp(until),
        )
        total = await self._db.fetch_value(f"SELECT count(*) FROM tips {_LIST_WHERE}", params)
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips {_LIST_WHERE} "
            "ORDER BY decision_deadline, received_at, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [tip_from_row(row) for row in rows], int(total or 0)

    async def due_by(
        self, scope: Scope, last_day: date, statuses: Iterable[str], *, limit: int
    ) -> list[Tip]:
        """Return tips in `statuses` whose deadline is on or before `last_day`, soonest first."""
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips WHERE {_IN_SCOPE} "
            "AND status IN (SELECT value FROM json_each(?)) AND decision_deadline <= ? "
            "ORDER BY decision_deadline, received_at, id LIMIT ?",
            (*_scope_params(scope), _json(statuses), last_day.isoformat(), limit),
        )
        return [tip_from_row(row) for row in rows]

    async def untaken(
        self, scope: Scope, cutoff: datetime, statuses: Iterable[str], *, limit: int
    ) -> list[Tip]:
        """Return tips nobody handles, waiting in `statuses` since `cutoff` or longer."""
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips WHERE {_IN_SCOPE} "
            "AND assignee_id IS NULL AND status IN (SELECT value FROM json_each(?)) "
            "AND coalesce(status_at, received_at) <= ? "
            "ORDER BY coalesce(status_at, received_at), id LIMIT ?",
            (*_scope_params(scope), _json(statuses), stamp(cutoff), limit),
        )
        return [tip_from_row(row) for row in rows]
