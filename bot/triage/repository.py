"""SQL for triage's own tables: relayed messages and tipsters about to answer (`?` only).

Methods ending in `_in` run inside the caller's transaction. A tip's triage columns, its
history and the lists of tips are the tips tables': bot/tips/status_repository.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import cast

import aiosqlite

from bot.db import Database
from bot.tips.repository import stamp
from bot.triage.model import Direction, MessageState, RelayMessage


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
        evidence_id=row["evidence_id"],
    )


_MESSAGE_COLUMNS = (
    "id, tip_id, direction, officer_id, reply_to, body, state, created_at, evidence_id"
)


class TriageRepository:
    """Read and write the questions and answers relayed between officers and tipsters."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        evidence_id: int | None = None,
    ) -> int:
        """Store a question or an answer, pending delivery; return its id."""
        cursor = await conn.execute(
            "INSERT INTO tip_messages (tip_id, direction, officer_id, reply_to, body, state, "
            "created_at, evidence_id) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (tip_id, direction, officer_id, reply_to, body, stamp(now), evidence_id),
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

    async def unanswered(self, tip_ids: Sequence[int]) -> list[RelayMessage]:
        """Return the delivered questions on these tips that no answer replies to, oldest first."""
        if not tip_ids:
            return []
        marks = ", ".join("?" for _ in tip_ids)
        rows = await self._db.fetch_all(
            f"SELECT {_MESSAGE_COLUMNS} FROM tip_messages AS q WHERE q.tip_id IN ({marks}) "
            "AND q.direction = 'to_tipster' AND q.state = 'delivered' AND NOT EXISTS "
            "(SELECT 1 FROM tip_messages AS a WHERE a.reply_to = q.id) ORDER BY q.id",
            tuple(tip_ids),
        )
        return [_message(row) for row in rows]

    # ------------------------------------------------------------ held answers
    async def put_held_in(
        self, conn: aiosqlite.Connection, pseudonym: str, body_sealed: str, now: datetime
    ) -> None:
        """Hold a tipster's answer until they pick its question (replacing one held before)."""
        await conn.execute(
            "INSERT INTO tip_held_answers (pseudonym, body_sealed, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (pseudonym) DO UPDATE SET body_sealed = excluded.body_sealed, "
            "created_at = excluded.created_at",
            (pseudonym, body_sealed, stamp(now)),
        )

    async def held_in(
        self, conn: aiosqlite.Connection, pseudonym: str
    ) -> tuple[str, datetime] | None:
        """Return a held answer (sealed) and since when, or None, inside a transaction."""
        async with conn.execute(
            "SELECT body_sealed, created_at FROM tip_held_answers WHERE pseudonym = ?",
            (pseudonym,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return str(row[0]), datetime.fromisoformat(str(row[1]))

    async def delete_held_in(self, conn: aiosqlite.Connection, pseudonym: str) -> None:
        """Forget a held answer."""
        await conn.execute("DELETE FROM tip_held_answers WHERE pseudonym = ?", (pseudonym,))

    async def forget_waits_of_tip_in(self, conn: aiosqlite.Connection, tip_id: int) -> None:
        """Forget every tipster about to answer a question on this tip (the purge of a tip)."""
        await conn.execute(
            "DELETE FROM tip_reply_waits WHERE message_id IN "
            "(SELECT id FROM tip_messages WHERE tip_id = ?)",
            (tip_id,),
        )
