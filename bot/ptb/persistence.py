"""python-telegram-bot persistence in our SQLite database: conversations only, keys sealed.

A `ConversationHandler` keys its conversations by Telegram ids ((chat id, user id) tuples).
Those must never be stored in clear, so each key is stored twice: as a keyed HMAC, to find and
replace its row, and sealed (AES-GCM, bound to the conversation's name), to rebuild the tuple
when the bot starts again. States are stored as JSON.

python-telegram-bot writes conversation changes only on its `update_persistence` ticks. Two
ways keep a SIGKILL from losing an answered step:

- a conversation listed in `self_written` (the tip flow) writes its own state row with
  `ConversationStore.put_in(conn, ...)` in the same transaction as its data, and the ticks
  leave its rows alone (a tick racing the handler could otherwise write the older state);
- every other persistent conversation is flushed after each update by `flush_after_update`,
  which `bot/app.py` adds in a late handler group.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiosqlite
from telegram import Update
from telegram.ext import BasePersistence, CallbackContext, PersistenceInput, TypeHandler

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.crypto import Keyring, SealError

log = logging.getLogger(__name__)

ConversationKey = tuple[int | str, ...]
# python-telegram-bot's shape of stored callback data (never stored here).
_CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
# The full length of an HMAC-SHA256 in unpadded base64: a pseudonym, not a short signature.
_KEY_PSEUDONYM_LENGTH = 43


class ConversationStore:
    """SQL for `conversation_states`: one row per live conversation, keys never in clear."""

    def __init__(self, db: Database, keyring: Keyring, clock: Clock | None = None) -> None:
        self._db = db
        self._keyring = keyring
        self._clock = clock or Clock()

    def key_pseudonym(self, name: str, key: ConversationKey) -> str:
        """Return the keyed HMAC that names a conversation key in the table."""
        return self._keyring.sign(
            f"conversation:{name}:{_key_json(key)}", length=_KEY_PSEUDONYM_LENGTH
        )

    async def load(self, name: str) -> dict[ConversationKey, object]:
        """Return {key: state} of a conversation; rows sealed under another key are skipped."""
        rows = await self._db.fetch_all(
            "SELECT key_pseudonym, key_sealed, state FROM conversation_states WHERE name = ?",
            (name,),
        )
        states: dict[ConversationKey, object] = {}
        for row in rows:
            try:
                raw_key = json.loads(
                    self._keyring.unseal(str(row["key_sealed"]), context=_context(name))
                )
            except (SealError, ValueError):
                # SECRET_KEY changed: the link to the person is gone; the row is useless.
                log.warning("skipping a %s conversation sealed under another SECRET_KEY", name)
                continue
            states[tuple(raw_key)] = json.loads(str(row["state"]))
        return states

    async def put(self, name: str, key: ConversationKey, state: object) -> None:
        """Store one conversation's state (None deletes it) in its own transaction."""
        async with self._db.transaction() as conn:
            await self.put_in(conn, name, key, state)

    async def put_in(
        self, conn: aiosqlite.Connection, name: str, key: ConversationKey, state: object
    ) -> None:
        """Store one conversation's state (None deletes it) inside the caller's transaction."""
        pseudonym = self.key_pseudonym(name, key)
        if state is None:
            await conn.execute(
                "DELETE FROM conversation_states WHERE name = ? AND key_pseudonym = ?",
                (name, pseudonym),
            )
            return
        try:
            state_json = json.dumps(state)
        except TypeError as error:
            raise TypeError(
                f"conversation {name!r} returned a state that is not JSON: {state!r}"
            ) from error
        sealed = self._keyring.seal(_key_json(key), context=_context(name))
        await conn.execute(
            "INSERT INTO conversation_states (name, key_pseudonym, key_sealed, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, key_pseudonym) DO UPDATE SET "
            "key_sealed = excluded.key_sealed, state = excluded.state, "
            "updated_at = excluded.updated_at",
            (name, pseudonym, sealed, state_json, _stamp(self._clock.now())),
        )


def _key_json(key: Iterable[int | str]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def _context(name: str) -> str:
    return f"conversation:{name}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class SqlitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Persist conversation states (and nothing else) in `conversation_states`."""

    def __init__(
        self,
        store: ConversationStore,
        *,
        self_written: Iterable[str] = (),
        update_interval: float = 60,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.store = store
        self._self_written = frozenset(self_written)

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        """Return the stored states of a conversation."""
        return await self.store.load(name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Write one changed state, unless its conversation writes its own rows."""
        if name in self._self_written:
            return
        await self.store.put(name, key, new_state)

    # Only conversations are stored; the rest of the interface has nothing to do.

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """Return no user data (not stored)."""
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """Return no chat data (not stored)."""
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        """Return no bot data (not stored)."""
        return {}

    async def get_callback_data(self) -> _CallbackData | None:
        """Return no callback data (not stored)."""
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Store nothing."""

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Store nothing."""

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Store nothing."""

    async def update_callback_data(self, data: object) -> None:
        """Store nothing."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Store nothing."""

    async def drop_user_data(self, user_id: int) -> None:
        """Store nothing."""

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Refresh nothing."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Refresh nothing."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Refresh nothing."""

    async def flush(self) -> None:
        """Do nothing: every write is committed when it is made."""


async def _flush(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Write the conversation states this update changed, now rather than on the next tick."""
    await context.application.update_persistence()


def flush_after_update() -> TypeHandler[Update, Any, None]:
    """Return the handler that flushes conversation states after every update.

    Add it in a handler group after every feature's: python-telegram-bot updates a
    conversation's state only after its callback returns.
    """
    return TypeHandler(Update, _flush)
