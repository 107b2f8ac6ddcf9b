"""The messages of every chat: stored as sent or received, delivered, and read back by tests."""

import asyncio
import copy
import threading
from collections.abc import Callable, Mapping
from typing import Any

from bot.testing.botapi.chats import Chats
from bot.testing.botapi.model import JSONDict, SentMessage, StoredMessage
from bot.testing.botapi.params import Params, bad_request, coerce_chat_id
from bot.testing.botapi.waiting import wake_all, watch


class MessageStore:
    """Every chat's messages by id, and the bot's own in the order it sent them."""

    def __init__(self, lock: threading.RLock, chats: Chats, clock: Callable[[], float]) -> None:
        self._lock = lock
        self._chats = chats
        self._clock = clock
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._outgoing: list[tuple[int, int]] = []
        # The same messages per chat, so a chat's history is found without scanning them all
        # (simulated crowds of residents each read their own chat after every step).
        self._outgoing_by_chat: dict[int, list[int]] = {}
        self._inline_messages: dict[str, StoredMessage] = {}
        # Tests that wait for the bot (another task or process) are woken by these instead of
        # sleeping: per chat when a message is sent there.
        self._chat_watchers: dict[int, list[asyncio.Future[None]]] = {}

    def now(self) -> int:
        """Return the API's clock in whole seconds, as message dates are."""
        return int(self._clock())

    def has_messages(self, chat_id: int) -> bool:
        """Tell whether any message of the chat is stored."""
        return chat_id in self._messages

    # ------------------------------------------------------------ storing

    def allocate_message_id(self, chat_id: int) -> int:
        """Reserve the next message_id of a chat (shared by incoming and outgoing messages)."""
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = message_id + 1
            return message_id

    def keep_incoming(self, chat_id: int, message_id: int, data: JSONDict) -> None:
        """Store (or replace) an incoming message, keeping later ids free."""
        chat_messages = self._messages.setdefault(chat_id, {})
        existing = chat_messages.get(message_id)
        if existing is not None:
            existing.raw = data
        else:
            chat_messages[message_id] = StoredMessage(
                raw=data, outgoing=False, method="incoming", source_text=data.get("text", "")
            )
        self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), message_id + 1)

    def register_inline_message(
        self,
        inline_message_id: str,
        text: str = "",
        reply_markup: Mapping[str, Any] | None = None,
    ) -> None:
        """Make an inline message (sent via inline mode) editable by inline_message_id."""
        raw: JSONDict = {"text": text}
        if reply_markup is not None:
            raw["reply_markup"] = dict(reply_markup)
        with self._lock:
            self._inline_messages[inline_message_id] = StoredMessage(
                raw=raw,
                outgoing=True,
                method="inline",
                reply_markup=dict(reply_markup) if reply_markup else None,
            )

    def inline_message(self, inline_message_id: str) -> StoredMessage | None:
        """Return the inline message of this id, if registered."""
        return self._inline_messages.get(inline_message_id)

    def find(self, chat_id: int, message_id: int | None) -> StoredMessage | None:
        """Return a chat's message unless it is unknown or deleted."""
        if message_id is None:
            return None
        stored = self._messages.get(chat_id, {}).get(message_id)
        return None if stored is None or stored.deleted else stored

    def reply_target(self, chat_id: int, p: Params) -> JSONDict | None:
        """Return the message a send replies to, as quoted in reply_to_message; 400 if missing."""
        reply = p.get_json("reply_parameters")
        message_id: int | None = None
        allow_missing = p.get_bool("allow_sending_without_reply")
        target_chat = chat_id
        if isinstance(reply, dict):
            message_id = Params(reply, {}).get_int("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            other_chat = coerce_chat_id(reply.get("chat_id"))
            if other_chat is not None:
                target_chat = self._chats.resolve_chat(other_chat)
        else:
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        stored = self.find(target_chat, message_id)
        if stored is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        if target_chat != chat_id:
            return None
        quoted = copy.deepcopy(stored.raw)
        quoted.pop("reply_to_message", None)
        return quoted

    def deliver(
        self,
        chat_id: int,
        p: Params,
        method: str,
        content: JSONDict,
        *,
        source_text: str = "",
        media_group_id: str | None = None,
        markup: JSONDict | None = None,
        reply: JSONDict | None = None,
    ) -> JSONDict:
        """Store a new bot message in a chat and return its JSON; validation is done by now."""
        protect = p.get_bool("protect_content")
        raw: JSONDict = {
            "message_id": self.allocate_message_id(chat_id),
            "from": self._chats.bot_user,
            "chat": self._chats.chat_json(chat_id),
            "date": self.now(),
        }
        thread_id = p.get_int("message_thread_id")
        if thread_id is not None and chat_id < 0:
            raw["message_thread_id"] = thread_id
        if reply is not None:
            raw["reply_to_message"] = reply
        if media_group_id is not None:
            raw["media_group_id"] = media_group_id
        raw.update(copy.deepcopy(content))
        if protect:
            raw["has_protected_content"] = True
        # Only inline keyboards belong to the message; reply keyboards live in the client.
        if markup is not None and "inline_keyboard" in markup:
            raw["reply_markup"] = copy.deepcopy(markup)
        stored = StoredMessage(
            raw=raw,
            outgoing=True,
            method=method,
            reply_markup=copy.deepcopy(markup),
            protect_content=protect,
            source_text=source_text,
        )
        self._messages.setdefault(chat_id, {})[raw["message_id"]] = stored
        self._outgoing.append((chat_id, raw["message_id"]))
        self._outgoing_by_chat.setdefault(chat_id, []).append(raw["message_id"])
        wake_all(self._chat_watchers.pop(chat_id, []))
        return copy.deepcopy(raw)

    def forget(self, chat_id: int) -> list[JSONDict]:
        """Drop a chat's messages; return them, so that their files can be dropped too."""
        dropped = [stored.raw for stored in self._messages.pop(chat_id, {}).values()]
        if self._outgoing_by_chat.pop(chat_id, None):
            self._outgoing = [entry for entry in self._outgoing if entry[0] != chat_id]
        return dropped

    # ------------------------------------------------------------ reading

    def sent_messages(self, chat_id: int | None = None, *, start: int = 0) -> list[SentMessage]:
        """Return every message the bot sent, in order and in its current state.

        With a chat, ``start`` skips that chat's first messages (``message_count`` of earlier).
        """
        with self._lock:
            if chat_id is None:
                pairs = self._outgoing[start:]
            else:
                pairs = [(chat_id, mid) for mid in self._outgoing_by_chat.get(chat_id, [])[start:]]
            return [self._messages[cid][mid].snapshot(cid) for cid, mid in pairs]

    def message_count(self, chat_id: int) -> int:
        """Return how many messages the bot has sent to a chat."""
        with self._lock:
            return len(self._outgoing_by_chat.get(chat_id, ()))

    async def wait_for_messages(self, chat_id: int, more_than: int, *, within: float) -> bool:
        """Wait until the bot has sent more than ``more_than`` messages to a chat.

        Return False if ``within`` seconds pass first. Woken by each message, never polling.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            with self._lock:
                if len(self._outgoing_by_chat.get(chat_id, ())) > more_than:
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                watcher: asyncio.Future[None] = loop.create_future()
                self._chat_watchers.setdefault(chat_id, []).append(watcher)
            await watch(self._lock, watcher, remaining, self._chat_watchers.get(chat_id))

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """Return the current state of any stored message; KeyError if unknown."""
        with self._lock:
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            return stored.snapshot(chat_id)

    def last_message(self, chat_id: int) -> SentMessage:
        """Return the latest message the bot sent to a chat; AssertionError if none."""
        with self._lock:
            # Snapshotting only the one returned: histories grow long in fuzzing.
            ids = self._outgoing_by_chat.get(chat_id)
            if ids:
                return self._messages[chat_id][ids[-1]].snapshot(chat_id)
        raise AssertionError(f"the bot sent nothing to chat {chat_id}")
