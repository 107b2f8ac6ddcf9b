"""Builders of Telegram-shaped incoming updates for tests and the sandbox."""

import contextlib
import copy
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from telegram import Bot, Update

from bot.testing.botapi import InMemoryBotApi, SentMessage

__all__ = ["ChatType", "Person", "UpdateBuilder"]

JSONDict = dict[str, Any]
ChatType = Literal["group", "supergroup"]

FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake jpeg\xff\xd9"
FAKE_PDF = b"%PDF-1.4\n% fake pdf\n%%EOF\n"
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42fake mp4"
FAKE_OGG = b"OggS\x00fake voice"


@dataclass(frozen=True)
class Person:
    """Describe a Telegram user who talks to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    phone: str | None = None

    def user_dict(self) -> JSONDict:
        """Return the person as Telegram's User JSON."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat_dict(self) -> JSONDict:
        """Return the person's private chat with the bot as Telegram's Chat JSON."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class UpdateBuilder:
    """Build real telegram.Update objects from Telegram-shaped JSON."""

    def __init__(
        self,
        bot: Bot,
        api: InMemoryBotApi | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.api = api
        self._clock = clock
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, int] = {}
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._poll_ids = itertools.count(1)

    # ------------------------------------------------------------ plumbing

    def _now(self) -> int:
        return int(self._clock())

    def _next_update_id(self) -> int:
        if self.api is not None:
            return self.api.allocate_update_id()
        return next(self._update_ids)

    def _next_message_id(self, chat_id: int) -> int:
        # Ids come from the API when present so incoming and bot messages never collide.
        if self.api is not None:
            return self.api.allocate_message_id(chat_id)
        message_id = self._message_ids.get(chat_id, 1)
        self._message_ids[chat_id] = message_id + 1
        return message_id

    def _register_file(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> tuple[str, str]:
        """Return (file_id, file_unique_id), making the bytes downloadable through the API."""
        if self.api is not None:
            # The API mints both ids: its count is shared by every builder on it and, with a
            # file store, goes on across runs, where a count of this builder's would start again.
            file_id = self.api.register_file(
                content, file_name=file_name, mime_type=mime_type, kind=kind
            )
            return file_id, self.api.file_unique_id(file_id)
        number = next(self._file_ids)
        return f"in-file-{number}-{kind}", f"in-uniq-{number}"

    def _bot_user(self) -> JSONDict:
        if self.api is not None:
            return self.api.bot_user
        try:
            return self.bot.bot.to_dict()
        except RuntimeError:
            # The Bot is not initialized yet; its id is the numeric part of the token.
            bot_id = int(self.bot.token.split(":", 1)[0])
            return {"id": bot_id, "is_bot": True, "first_name": "Bot", "username": "bot"}

    def _chat(
        self,
        person: Person,
        chat_id: int | None,
        chat_type: ChatType | None,
        title: str | None = None,
    ) -> JSONDict:
        if chat_id is None or chat_id == person.id:
            return person.private_chat_dict()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": person.first_name}
        return {
            "id": chat_id,
            "type": chat_type or "supergroup",
            "title": title or f"Test group {abs(chat_id)}",
        }

    def _reply_json(self, chat: JSONDict, message_id: int) -> JSONDict:
        if self.api is not None:
            try:
                raw = self.api.message(int(chat["id"]), message_id).raw
            except KeyError:
                pass
            else:
                raw.pop("reply_to_message", None)
                return raw
        return {"message_id": message_id, "date": self._now(), "chat": chat, "text": ""}

    def _message(
        self,
        person: Person | None,
        chat: JSONDict,
        content: Mapping[str, Any],
        *,
        reply_to: int | None = None,
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(int(chat["id"])),
            "date": self._now(),
            "chat": chat,
        }
        if person is not None:
            message["from"] = person.user_dict()
        if reply_to is not None:
            message["reply_to_message"] = self._reply_json(chat, reply_to)
        message.update(copy.deepcopy(dict(content)))
        return message

    def _wrap(self, kind: str, payload: JSONDict) -> Update:
        if self.api is not None and "message_id" in payload:
            self.api.remember_message(payload)
        data = {"update_id": self._next_update_id(), kind: payload}
        # de_json gets a copy: it must not share dicts with what the API stores.
        return Update.de_json(copy.deepcopy(data), self.bot)

    def _message_update(
        self,
        person: Person,
        content: Mapping[str, Any],
        *,
        chat_id: int | None,
        chat_type: ChatType | None,
        reply_to: int | None = None,
    ) -> Update:
        chat = self._chat(person, chat_id, chat_type)
        return self._wrap("message", self._message(person, chat, content, reply_to=reply_to))

    @staticmethod
    def payload(update: Update) -> JSONDict:
        """Return the update as Telegram's JSON, ready for InMemoryBotApi.queue_update."""
        return update.to_dict()

    # ------------------------------------------------------------ messages

    def text(
        self,
        person: Person,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """Build a plain text message from the person."""
        return self._message_update(
            person, {"text": text}, chat_id=chat_id, chat_type=chat_type, reply_to=reply_to
        )

    def command(
        self,
        person: Person,
        command: str,
        *args: str,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a "/command arg..." message with a bot_command entity over the command."""
        name = command if command.startswith("/") else f"/{command}"
        text = " ".join([name, *args])
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(name)}
        return self._message_update(
            person, {"text": text, "entities": [entity]}, chat_id=chat_id, chat_type=chat_type
        )

    def location(
        self,
        person: Person,
        lat: float,
        lon: float,
        *,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a message sharing a location."""
        content = {"location": {"latitude": lat, "longitude": lon}}
        return self._message_update(person, content, chat_id=chat_id, chat_type=chat_type)

    def contact(
        self,
        person: Person,
        phone: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a shared contact; ``own`` marks it as the sender's own number (user_id set)."""
        contact: JSONDict = {
            "phone_number": phone,
            "first_name": first_name or (person.first_name if own else "Contact"),
        }
        if own:
            contact["user_id"] = person.id
            if person.last_name:
                contact["last_name"] = person.last_name
        return self._message_update(
            person, {"contact": contact}, chat_id=chat_id, chat_type=chat_type
        )

    def photo(
        self,
        person: Person,
        *,
        caption: str | None = None,
        content: bytes = FAKE_JPEG,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a photo message with two sizes whose files the API can serve."""
        sizes = []
        for width, height in ((90, 67), (1280, 960)):
            file_id, unique_id = self._register_file(content, kind="photo")
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(content),
                }
            )
        data: JSONDict = {"photo": sizes}
        if caption is not None:
            data["caption"] = caption
        return self._message_update(person, data, chat_id=chat_id, chat_type=chat_type)

    def document(
        self,
        person: Person,
        *,
        file_name: str = "file.pdf",
        mime_type: str | None = "application/pdf",
        content: bytes = FAKE_PDF,
        file_size: int | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a document message; ``file_size`` may claim a size other than the content's.

        ``mime_type=None``: Telegram sends no mime_type, as for a file its client could not name.
        """
        file_id, unique_id = self._register_file(
            content, kind="document", file_name=file_name, mime_type=mime_type
        )
        document: JSONDict = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_name": file_name,
            "file_size": len(content) if file_size is None else file_size,
        }
        if mime_type is not None:
            document["mime_type"] = mime_type
        data: JSONDict = {"document": document}
        if caption is not None:
            data["caption"] = caption
        return self._message_update(person, data, chat_id=chat_id, chat_type=chat_type)

    def video(
        self,
        person: Person,
        *,
        caption: str | None = None,
        content: bytes = FAKE_MP4,
        duration: int = 5,
        width: int = 1280,
        height: int = 720,
        mime_type: str = "video/mp4",
        file_size: int | None = None,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a video message."""
        file_id, unique_id = self._register_file(content, kind="video", mime_type=mime_type)
        data: JSONDict = {
            "video": {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": width,
                "height": height,
                "duration": duration,
                "mime_type": mime_type,
                "file_size": len(content) if file_size is None else file_size,
            }
        }
        if caption is not None:
            data["caption"] = caption
        return self._message_update(person, data, chat_id=chat_id, chat_type=chat_type)

    def voice(
        self,
        person: Person,
        *,
        duration: int = 3,
        content: bytes = FAKE_OGG,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """Build a voice note message (a Telegram reply to message `reply_to` when given)."""
        file_id, unique_id = self._register_file(content, kind="voice", mime_type="audio/ogg")
        data = {
            "voice": {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": len(content),
            }
        }
        return self._message_update(
            person, data, chat_id=chat_id, chat_type=chat_type, reply_to=reply_to
        )

    def sticker(
        self,
        person: Person,
        *,
        emoji: str = "👍",
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """Build a sticker message (a Telegram reply to message `reply_to` when given)."""
        file_id, unique_id = self._register_file(b"RIFF fake webp", kind="sticker")
        data = {
            "sticker": {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": emoji,
            }
        }
        return self._message_update(
            person, data, chat_id=chat_id, chat_type=chat_type, reply_to=reply_to
        )

    def poll(
        self,
        person: Person,
        *,
        question: str = "Bạn nghĩ sao?",
        options: Sequence[str] = ("Có", "Không"),
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a message carrying a regular anonymous poll."""
        poll = {
            "id": str(5000000000000000000 + next(self._poll_ids)),
            "question": question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": str(index)}
                for index, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        return self._message_update(person, {"poll": poll}, chat_id=chat_id, chat_type=chat_type)

    def edited_text(
        self,
        person: Person,
        message_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build an edited_message update: the person changed an earlier message's text."""
        chat = self._chat(person, chat_id, chat_type)
        date = self._now()
        if self.api is not None:
            with contextlib.suppress(KeyError):
                date = int(self.api.message(int(chat["id"]), message_id).raw.get("date", date))
        message: JSONDict = {
            "message_id": message_id,
            "date": date,
            "edit_date": self._now(),
            "chat": chat,
            "from": person.user_dict(),
            "text": text,
        }
        return self._wrap("edited_message", message)

    def channel_post(self, chat_id: int, text: str, *, title: str = "Test channel") -> Update:
        """Build a channel_post update in a channel the bot administers."""
        chat = {"id": chat_id, "type": "channel", "title": title}
        message = self._message(None, chat, {"text": text, "sender_chat": chat})
        return self._wrap("channel_post", message)

    def forwarded_text(
        self,
        person: Person,
        text: str,
        *,
        from_person: Person | None = None,
        chat_id: int | None = None,
        chat_type: ChatType | None = None,
    ) -> Update:
        """Build a text the person forwarded (from ``from_person``, or a hidden user if None)."""
        date = self._now() - 3600
        origin: JSONDict
        if from_person is not None:
            origin = {"type": "user", "sender_user": from_person.user_dict(), "date": date}
        else:
            origin = {"type": "hidden_user", "sender_user_name": "Ẩn danh", "date": date}
        content = {"text": text, "forward_origin": origin}
        return self._message_update(person, content, chat_id=chat_id, chat_type=chat_type)

    # ------------------------------------------------------------ other update kinds

    def callback(
        self,
        person: Person,
        message: SentMessage | Mapping[str, Any],
        data: str,
        *,
        chat_id: int | None = None,
    ) -> Update:
        """Build a callback_query: the person pressed a button with ``data`` on a bot message."""
        if isinstance(message, SentMessage):
            raw = message.raw
            if self.api is not None:
                # Telegram attaches the message as it is now, edits included.
                with contextlib.suppress(KeyError):
                    raw = self.api.message(message.chat_id, message.message_id).raw
        else:
            raw = copy.deepcopy(dict(message))
        if "chat" not in raw:
            raw["chat"] = self._chat(person, chat_id, None)
        raw.setdefault("date", self._now())
        query = {
            "id": str(4000000000000000000 + next(self._callback_ids)),
            "from": person.user_dict(),
            "message": raw,
            "chat_instance": str(-abs(int(raw["chat"]["id"])) * 7919),
            "data": data,
        }
        return self._wrap("callback_query", query)

    def inline_callback(self, person: Person, inline_message_id: str, data: str) -> Update:
        """Build a callback_query from a button on an inline message: it carries no chat."""
        query = {
            "id": str(4000000000000000000 + next(self._callback_ids)),
            "from": person.user_dict(),
            "inline_message_id": inline_message_id,
            "chat_instance": str(7919 * person.id),
            "data": data,
        }
        return self._wrap("callback_query", query)

    def inline_query(self, person: Person, query: str) -> Update:
        """Build an inline_query: the person typed "@bot query" in a chat; it carries no chat."""
        payload = {
            "id": str(5000000000000000000 + next(self._callback_ids)),
            "from": person.user_dict(),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        return self._wrap("inline_query", payload)

    def reaction(
        self, person: Person, message_id: int, emoji: str = "👍", *, chat_id: int | None = None
    ) -> Update:
        """Build a message_reaction: the person set a reaction on a message of the chat."""
        payload = {
            "chat": self._chat(person, chat_id, None),
            "message_id": message_id,
            "user": person.user_dict(),
            "date": self._now(),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        }
        # Not through _wrap: a reaction's message_id names a message, it is none itself.
        data = {"update_id": self._next_update_id(), "message_reaction": payload}
        return Update.de_json(data, self.bot)

    def my_chat_member_blocked(self, person: Person) -> Update:
        """Build the my_chat_member update Telegram sends when the person blocks the bot."""
        return self._my_chat_member(person, "member", "kicked")

    def my_chat_member_unblocked(self, person: Person) -> Update:
        """Build the my_chat_member update Telegram sends when the person unblocks the bot."""
        return self._my_chat_member(person, "kicked", "member")

    def _my_chat_member(self, person: Person, old: str, new: str) -> Update:
        bot_user = self._bot_user()

        def member(status: str) -> JSONDict:
            state: JSONDict = {"status": status, "user": bot_user}
            if status == "kicked":
                state["until_date"] = 0
            return state

        payload = {
            "chat": person.private_chat_dict(),
            "from": person.user_dict(),
            "date": self._now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self._wrap("my_chat_member", payload)
