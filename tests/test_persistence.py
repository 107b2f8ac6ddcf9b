"""SqlitePersistence: conversation states survive a restart, their keys never in clear."""

from __future__ import annotations

from pathlib import Path

from bot.db import Database, migrate
from bot.kernel.crypto import Keyring
from bot.ptb.persistence import ConversationStore, SqlitePersistence

SECRET = b"persistence-test-secret-that-is-long-enough-0123"
USER = 918273645501


async def _database(path: Path) -> Database:
    db = Database(path)
    await db.open()
    await migrate(db)
    return db


async def test_states_round_trip_with_keys_sealed(tmp_path: Path) -> None:
    db = await _database(tmp_path / "tips.sqlite3")
    try:
        persistence = SqlitePersistence(ConversationStore(db, Keyring(SECRET)))
        await persistence.update_conversation("officers", (USER, USER), "waiting")
        await persistence.update_conversation("officers", (-100123, USER), 3)
        assert await persistence.get_conversations("officers") == {
            (USER, USER): "waiting",
            (-100123, USER): 3,
        }
        assert await persistence.get_conversations("other") == {}
        rows = await db.fetch_all("SELECT * FROM conversation_states")
        dumped = repr([tuple(row) for row in rows])
        assert str(USER) not in dumped
        # Ending a conversation deletes its row.
        await persistence.update_conversation("officers", (USER, USER), None)
        assert await persistence.get_conversations("officers") == {(-100123, USER): 3}
    finally:
        await db.close()


async def test_a_self_written_conversation_is_left_to_its_owner(tmp_path: Path) -> None:
    db = await _database(tmp_path / "tips.sqlite3")
    try:
        store = ConversationStore(db, Keyring(SECRET))
        persistence = SqlitePersistence(store, self_written={"tips"})
        await store.put("tips", (USER, USER), "story")
        # PTB's periodic tick must not overwrite (or delete) what the flow wrote itself.
        await persistence.update_conversation("tips", (USER, USER), "category")
        await persistence.update_conversation("tips", (USER, USER), None)
        assert await persistence.get_conversations("tips") == {(USER, USER): "story"}
    finally:
        await db.close()


async def test_rows_sealed_under_another_secret_are_skipped(tmp_path: Path) -> None:
    db = await _database(tmp_path / "tips.sqlite3")
    try:
        await ConversationStore(db, Keyring(SECRET)).put("flow", (USER,), "a")
        other = SqlitePersistence(ConversationStore(db, Keyring(SECRET[::-1])))
        assert await other.get_conversations("flow") == {}
    finally:
        await db.close()


async def test_only_conversations_are_stored(tmp_path: Path) -> None:
    db = await _database(tmp_path / "tips.sqlite3")
    try:
        persistence = SqlitePersistence(ConversationStore(db, Keyring(SECRET)))
        store = persistence.store_data
        assert not store.user_data
        assert not store.chat_data
        assert not store.bot_data
        assert not store.callback_data
        assert await persistence.get_user_data() == {}
        assert await persistence.get_chat_data() == {}
        assert await persistence.get_bot_data() == {}
        assert await persistence.get_callback_data() is None
    finally:
        await db.close()
