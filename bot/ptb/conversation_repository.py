"""SQL for `conversation_states`: one row per live conversation (bot/ptb/persistence.py seals
its keys; this module only reads and writes the rows)."""

from __future__ import annotations

import sqlite3

import aiosqlite

from bot.db import Database


class ConversationStatesRepository:
    """Read a conversation's rows; write one inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(self, name: str) -> list[sqlite3.Row]:
        """Return (key_pseudonym, key_sealed, state) of every row of a conversation."""
        return await self._db.fetch_all(
            "SELECT key_pseudonym, key_sealed, state FROM conversation_states WHERE name = ?",
            (name,),
        )

    @staticmethod
    async def delete_in(conn: aiosqlite.Connection, name: str, pseudonym: str) -> None:
        """Delete one conversation's row on `conn`."""
        await conn.execute(
            "DELETE FROM conversation_states WHERE name = ? AND key_pseudonym = ?",
            (name, pseudonym),
        )

    @staticmethod
    async def put_in(
        conn: aiosqlite.Connection,
        name: str,
        pseudonym: str,
        sealed: str,
        state_json: str,
        updated_at: str,
    ) -> None:
        """Insert or replace one conversation's row on `conn`."""
        await conn.execute(
            "INSERT INTO conversation_states (name, key_pseudonym, key_sealed, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, key_pseudonym) DO UPDATE SET "
            "key_sealed = excluded.key_sealed, state = excluded.state, "
            "updated_at = excluded.updated_at",
            (name, pseudonym, sealed, state_json, updated_at),
        )
