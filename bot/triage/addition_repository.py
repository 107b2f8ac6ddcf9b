"""SQL for `tip_addition_waits`: the tipster who pressed «Bổ sung thông tin» under /status and
is sending the addition (`?` placeholders only; `_in` methods run in the caller's transaction).
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.db import Database
from bot.db.stamps import stamp


class AdditionWaitsRepository:
    """Remember, by pseudonym, the tip a tipster is adding information to (one at a time)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_in(
        self, conn: aiosqlite.Connection, pseudonym: str, tip_id: int, now: datetime
    ) -> None:
        """Remember the tip (replacing another one the same tipster pressed before)."""
        await conn.execute(
            "INSERT INTO tip_addition_waits (pseudonym, tip_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (pseudonym) DO UPDATE SET tip_id = excluded.tip_id, "
            "created_at = excluded.created_at",
            (pseudonym, tip_id, stamp(now)),
        )

    async def tip_in(
        self, conn: aiosqlite.Connection, pseudonym: str, since: datetime
    ) -> int | None:
        """Return the tip a tipster is adding to, if they pressed after `since`, or None."""
        async with conn.execute(
            "SELECT tip_id FROM tip_addition_waits WHERE pseudonym = ? AND created_at > ?",
            (pseudonym, stamp(since)),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def waiting(self, pseudonym: str, since: datetime) -> bool:
        """Say whether a tipster pressed «Bổ sung thông tin» after `since`."""
        value = await self._db.fetch_value(
            "SELECT count(*) FROM tip_addition_waits WHERE pseudonym = ? AND created_at > ?",
            (pseudonym, stamp(since)),
        )
        return bool(value)

    async def delete_in(self, conn: aiosqlite.Connection, pseudonym: str) -> bool:
        """Forget what a tipster was adding to; say whether there was something."""
        cursor = await conn.execute(
            "DELETE FROM tip_addition_waits WHERE pseudonym = ?", (pseudonym,)
        )
        return cursor.rowcount == 1

    async def delete_older_in(self, conn: aiosqlite.Connection, cutoff: datetime) -> None:
        """Forget every wait from before `cutoff` (nobody can finish it any more)."""
        await conn.execute("DELETE FROM tip_addition_waits WHERE created_at <= ?", (stamp(cutoff),))
