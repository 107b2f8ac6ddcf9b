"""Incoming updates: what users send reaches the store (for replies, copies) and the queue."""

import copy
import threading
from collections.abc import Mapping
from typing import Any

from telegram import Update

from bot.testing.botapi.chats import Chats
from bot.testing.botapi.params import coerce_chat_id
from bot.testing.botapi.store import MessageStore
from bot.testing.botapi.updates import UpdateQueue

_MESSAGE_UPDATE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


class Incoming:
    """Take in what users send: learn who they are, keep their messages, queue the update."""

    def __init__(
        self, lock: threading.RLock, chats: Chats, store: MessageStore, updates: UpdateQueue
    ) -> None:
        self._lock = lock
        self._chats = chats
        self._store = store
        self._updates = updates

    def remember_message(self, message: Mapping[str, Any]) -> None:
        """Store an incoming message so that copy/forward/reply/delete can find it."""
        data = copy.deepcopy(dict(message))
        with self._lock:
            self._chats.learn({"message": data})
            chat_id = coerce_chat_id((data.get("chat") or {}).get("id"))
            message_id = data.get("message_id")
            if not isinstance(chat_id, int) or not isinstance(message_id, int):
                return
            self._store.keep_incoming(chat_id, message_id, data)

    def queue_update(self, update: Mapping[str, Any] | Update) -> int:
        """Queue an update for getUpdates, waking long polls, and return its update_id.

        A missing or stale update_id is replaced, so that offsets keep working.
        """
        data = update.to_dict() if isinstance(update, Update) else copy.deepcopy(dict(update))
        for key in _MESSAGE_UPDATE_KEYS:
            message = data.get(key)
            if isinstance(message, dict):
                self.remember_message(message)
        with self._lock:
            self._chats.learn(data)
            return self._updates.queue(data)
