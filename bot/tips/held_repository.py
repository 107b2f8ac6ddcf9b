"""SQL for `tip_held_items`: what a resident sent at the main menu, held (sealed) until they say
whether it starts a tip (`?` placeholders only; `_in` methods run in the caller's transaction).
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.db import Database
from bot.db.stamps import stamp


class HeldItemsRepository:
    """Read and write the one held item of each resident, keyed by pseudonym."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_in(
        self,
        conn: aiosqlite.Connection,
        pseudonym: str,
        item_sealed: str,
        token: str,
        now: datetime,
    ) -> None:
        """Hold an item, replacing any older one of the same resident."""
        await conn.execute(
            "INSERT INTO tip_held_items (pseudonym, item_sealed, token, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (pseudonym) DO UPDATE SET "
            "item_sealed = excluded.item_sealed, token = excluded.token, "
            "created_at = excluded.created_at",
            (pseudonym, item_sealed, token, stamp(now)),
        )

    async def take_in(
        self, conn: aiosqlite.Connection, pseudonym: str, token: str, since: datetime
    ) -> str | None:
        """Remove and return the sealed item held under `token` since `since`, or None."""
        async with conn.execute(
            "SELECT item_sealed FROM tip_held_items "
            "WHERE pseudonym = ? AND token = ? AND created_at > ?",
            (pseudonym, token, stamp(since)),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await conn.execute("DELETE FROM tip_held_items WHERE pseudonym = ?", (pseudonym,))
        return str(row["item_sealed"])

    async def drop_in(self, conn: aiosqlite.Connection, pseudonym: str, token: str) -> bool:
        """Remove the item held under `token`; say whether there was one."""
        cursor = await conn.execute(
            "DELETE FROM tip_held_items WHERE pseudonym = ? AND token = ?", (pseudonym, token)
        )
        return cursor.rowcount == 1

    async def delete_older_in(self, conn: aiosqlite.Connection, cutoff: datetime) -> int:
        """Remove every item held since before `cutoff`; return how many."""
        cursor = await conn.execute(
            "DELETE FROM tip_held_items WHERE created_at <= ?", (stamp(cutoff),)
        )
        return cursor.rowcount
