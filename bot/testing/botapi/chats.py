"""Chats and users: what the API learnt of them, blocked chats, and the chat methods."""

import copy
import threading
from collections.abc import Callable, Mapping
from typing import Any

from bot.testing.botapi.model import BLOCKED_DESCRIPTION, JSONDict
from bot.testing.botapi.params import ApiFailure, MethodTable, Params, bad_request

METHODS = MethodTable()


class Chats:
    """The bot itself, and the users and chats seen in incoming updates."""

    def __init__(self, lock: threading.RLock, bot_user: JSONDict) -> None:
        self._lock = lock
        self._bot_user = bot_user
        self.unknown_chats: set[int | str] = set()
        self._blocked: set[int] = set()
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}

    @property
    def bot_user(self) -> JSONDict:
        """Return the bot's User JSON, as getMe answers it."""
        return copy.deepcopy(self._bot_user)

    def block(self, user_id: int) -> None:
        """Make the user's private chat answer every send with 403 (bot blocked)."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Let the bot reach the user's private chat again."""
        with self._lock:
            self._blocked.discard(user_id)

    def knows(self, chat_id: int) -> bool:
        """Tell whether a chat or user has been seen."""
        return chat_id in self._chats or chat_id in self._users

    def forget(self, chat_id: int) -> None:
        """Drop what was learnt about a chat (and the user of a private chat)."""
        self._chats.pop(chat_id, None)
        self._users.pop(chat_id, None)

    def learn(self, data: Mapping[str, Any]) -> None:
        """Remember users and chats seen in incoming JSON to shape later answers."""
        for value in data.values():
            if not isinstance(value, dict):
                continue
            sender = value.get("from")
            if (
                isinstance(sender, dict)
                and isinstance(sender.get("id"), int)
                and sender["id"] != self._bot_user["id"]
            ):
                self._users[sender["id"]] = copy.deepcopy(sender)
            chat = value.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                self._chats[chat["id"]] = copy.deepcopy(chat)
            nested = value.get("message")
            if isinstance(nested, dict):
                self.learn({"message": nested})

    def resolve_chat(self, raw: int | str | None) -> int:
        """Return the chat id a parameter names (an id or an @username); 400 if unknown."""
        if raw is None:
            raise bad_request("chat_id is empty")
        if raw in self.unknown_chats:
            raise bad_request("chat not found")
        if isinstance(raw, str):
            wanted = raw.removeprefix("@").lower()
            for chat_id, chat in self._chats.items():
                if str(chat.get("username", "")).lower() == wanted:
                    return chat_id
            raise bad_request("chat not found")
        if raw == 0:
            raise bad_request("chat not found")
        return raw

    def target_chat(self, p: Params, name: str = "chat_id") -> int:
        """Return the chat a message goes to; 403 if its user blocked the bot."""
        chat_id = self.resolve_chat(p.chat_id(name))
        if chat_id in self._blocked:
            raise ApiFailure(403, BLOCKED_DESCRIPTION)
        return chat_id

    def chat_json(self, chat_id: int) -> JSONDict:
        """Return a chat's JSON, as learnt or as Telegram would describe an unseen one."""
        known = self._chats.get(chat_id)
        if known is not None:
            return copy.deepcopy(known)
        if chat_id > 0:
            user = self._users.get(chat_id, {})
            chat: JSONDict = {
                "id": chat_id,
                "type": "private",
                "first_name": user.get("first_name", "User"),
            }
            for key in ("last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            return chat
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def user_json(self, user_id: int) -> JSONDict:
        """Return a user's JSON, as learnt or as a plain unseen user."""
        if user_id == self._bot_user["id"]:
            return self.bot_user
        known = self._users.get(user_id)
        if known is not None:
            return copy.deepcopy(known)
        return {"id": user_id, "is_bot": False, "first_name": "User"}


class ChatMethods:
    """The Bot API methods about the bot and its chats."""

    def __init__(self, chats: Chats, has_messages: Callable[[int], bool]) -> None:
        self.chats = chats
        self.has_messages = has_messages

    @METHODS.method("getMe")
    def get_me(self, p: Params) -> JSONDict:
        return self.chats.bot_user

    @METHODS.method("logOut")
    def log_out(self, p: Params) -> bool:
        return True

    @METHODS.method("close")
    def close(self, p: Params) -> bool:
        return True

    @METHODS.method("sendChatAction")
    def send_chat_action(self, p: Params) -> bool:
        self.chats.target_chat(p)
        if not p.get_str("action"):
            raise bad_request("wrong parameter action in request")
        return True

    @METHODS.method("getChat")
    def get_chat(self, p: Params) -> JSONDict:
        chat_id = self.chats.resolve_chat(p.chat_id())
        if not self.chats.knows(chat_id) and not self.has_messages(chat_id):
            raise bad_request("chat not found")
        chat = self.chats.chat_json(chat_id)
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    @METHODS.method("getChatMember")
    def get_chat_member(self, p: Params) -> JSONDict:
        self.chats.resolve_chat(p.chat_id())
        user_id = p.get_int("user_id")
        if user_id is None:
            raise bad_request("user not found")
        return {"status": "member", "user": self.chats.user_json(user_id)}
