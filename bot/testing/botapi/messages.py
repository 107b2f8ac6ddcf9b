"""Messages: sending text, editing, deleting, copying and forwarding, locations and contacts."""

import copy
from typing import Any

from bot.testing.botapi.chats import Chats
from bot.testing.botapi.content import caption_content, check_markup, text_content
from bot.testing.botapi.files import FILE_FOLDERS
from bot.testing.botapi.model import NOT_MODIFIED_DESCRIPTION, JSONDict, StoredMessage
from bot.testing.botapi.params import MethodTable, Params, bad_request
from bot.testing.botapi.store import MessageStore

METHODS = MethodTable()

# Keys of a Message that describe where/when it was sent rather than what it contains;
# copies and forwards take everything else.
_META_KEYS = frozenset(
    {
        "message_id",
        "from",
        "sender_chat",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "external_reply",
        "quote",
        "forward_origin",
        "reply_markup",
        "media_group_id",
        "message_thread_id",
        "is_topic_message",
        "has_protected_content",
        "author_signature",
        "is_automatic_forward",
        "via_bot",
        "link_preview_options",
        # Message.to_dict() writes these service flags as False; they are not content.
        "channel_chat_created",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
    }
)


class MessageMethods:
    """The Bot API methods that send, change or remove one message."""

    def __init__(self, chats: Chats, store: MessageStore) -> None:
        self.chats = chats
        self.store = store

    def _editable(self, p: Params) -> tuple[StoredMessage, bool]:
        inline_id = p.get_str("inline_message_id")
        if inline_id:
            inline = self.store.inline_message(inline_id)
            if inline is None:
                raise bad_request("message to edit not found")
            return inline, True
        chat_id = self.chats.target_chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = self.store.find(chat_id, message_id)
        if stored is None or not stored.outgoing:
            raise bad_request("message to edit not found")
        return stored, False

    def _apply_edit(
        self, stored: StoredMessage, inline: bool, changes: JSONDict, markup: JSONDict | None
    ) -> Any:
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        unchanged = all(
            (key not in stored.raw) if value is None else stored.raw.get(key) == value
            for key, value in changes.items()
        )
        if unchanged and stored.raw.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
        raw = copy.deepcopy(stored.raw)
        for key, value in changes.items():
            if value is None:
                raw.pop(key, None)
            else:
                raw[key] = value
        if markup is None:
            raw.pop("reply_markup", None)
        else:
            raw["reply_markup"] = copy.deepcopy(markup)
        if not inline:
            raw["edit_date"] = self.store.now()
        stored.raw = raw
        stored.reply_markup = copy.deepcopy(markup)
        return True if inline else copy.deepcopy(raw)

    def _message_source(self, p: Params, not_found: str) -> tuple[int, StoredMessage]:
        from_chat = self.chats.resolve_chat(p.chat_id("from_chat_id"))
        stored = self.store.find(from_chat, p.get_int("message_id"))
        if stored is None:
            raise bad_request(not_found)
        return from_chat, stored

    @METHODS.method("sendMessage")
    def send_message(self, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        content, source = text_content(p)
        markup = check_markup(p.get_json("reply_markup"))
        reply = self.store.reply_target(chat_id, p)
        return self.store.deliver(
            chat_id, p, "sendMessage", content, source_text=source, markup=markup, reply=reply
        )

    @METHODS.method("editMessageText")
    def edit_message_text(self, p: Params) -> Any:
        stored, inline = self._editable(p)
        content, source = text_content(p)
        markup = check_markup(p.get_json("reply_markup"))
        if "text" not in stored.raw:
            raise bad_request("there is no text in the message to edit")
        changes = {"text": content["text"], "entities": content.get("entities")}
        result = self._apply_edit(stored, inline, changes, markup)
        stored.source_text = source
        return result

    @METHODS.method("editMessageCaption")
    def edit_message_caption(self, p: Params) -> Any:
        stored, inline = self._editable(p)
        content, source = caption_content(p)
        markup = check_markup(p.get_json("reply_markup"))
        if not any(k in stored.raw for k in FILE_FOLDERS):
            raise bad_request("there is no caption in the message to edit")
        changes = {
            "caption": content.get("caption"),
            "caption_entities": content.get("caption_entities"),
        }
        result = self._apply_edit(stored, inline, changes, markup)
        stored.source_text = source
        return result

    @METHODS.method("editMessageReplyMarkup")
    def edit_message_reply_markup(self, p: Params) -> Any:
        stored, inline = self._editable(p)
        markup = check_markup(p.get_json("reply_markup"))
        return self._apply_edit(stored, inline, {}, markup)

    @METHODS.method("deleteMessage")
    def delete_message(self, p: Params) -> bool:
        chat_id = self.chats.resolve_chat(p.chat_id())
        stored = self.store.find(chat_id, p.get_int("message_id"))
        if stored is None:
            raise bad_request("message to delete not found")
        stored.deleted = True
        return True

    @METHODS.method("deleteMessages")
    def delete_messages(self, p: Params) -> bool:
        chat_id = self.chats.resolve_chat(p.chat_id())
        ids = p.get_json("message_ids")
        for message_id in ids if isinstance(ids, list) else []:
            stored = self.store.find(chat_id, Params({"id": message_id}, {}).get_int("id"))
            if stored is not None:
                stored.deleted = True
        return True

    @METHODS.method("sendLocation")
    def send_location(self, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
        if latitude is None or longitude is None:
            raise bad_request("wrong latitude or longitude specified")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        live_period = p.get_int("live_period")
        if live_period:
            location["live_period"] = live_period
        markup = check_markup(p.get_json("reply_markup"))
        reply = self.store.reply_target(chat_id, p)
        return self.store.deliver(
            chat_id, p, "sendLocation", {"location": location}, markup=markup, reply=reply
        )

    @METHODS.method("sendContact")
    def send_contact(self, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        phone, first_name = p.get_str("phone_number"), p.get_str("first_name")
        if not phone:
            raise bad_request("phone number is empty")
        if not first_name:
            raise bad_request("first name is empty")
        contact: JSONDict = {"phone_number": phone, "first_name": first_name}
        for key in ("last_name", "vcard"):
            if p.has(key):
                contact[key] = p.get_str(key)
        markup = check_markup(p.get_json("reply_markup"))
        reply = self.store.reply_target(chat_id, p)
        return self.store.deliver(
            chat_id, p, "sendContact", {"contact": contact}, markup=markup, reply=reply
        )

    @METHODS.method("copyMessage")
    def copy_message(self, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        _from_chat, source = self._message_source(p, "message to copy not found")
        if source.raw.get("has_protected_content"):
            raise bad_request("message can't be copied")
        content = _copied_content(source)
        source_text = str(content.get("text") or content.get("caption") or "")
        if p.has("caption") and "text" not in content:
            caption, source_text = caption_content(p)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(caption)
        markup = check_markup(p.get_json("reply_markup"))
        reply = self.store.reply_target(chat_id, p)
        raw = self.store.deliver(
            chat_id, p, "copyMessage", content, source_text=source_text, markup=markup, reply=reply
        )
        return {"message_id": raw["message_id"]}

    @METHODS.method("forwardMessage")
    def forward_message(self, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        from_chat, source = self._message_source(p, "message to forward not found")
        if source.raw.get("has_protected_content"):
            raise bad_request("message can't be forwarded")
        content = _copied_content(source)
        origin = source.raw.get("forward_origin")
        if origin is None:
            origin = self._forward_origin(from_chat, source)
        content["forward_origin"] = copy.deepcopy(origin)
        source_text = str(content.get("text") or content.get("caption") or "")
        return self.store.deliver(chat_id, p, "forwardMessage", content, source_text=source_text)

    def _forward_origin(self, from_chat: int, source: StoredMessage) -> JSONDict:
        """Return who a forward names as its origin: the channel, the user, or a hidden user."""
        chat = source.raw.get("chat") or {}
        if chat.get("type") == "channel":
            return {
                "type": "channel",
                "chat": chat,
                "message_id": source.raw["message_id"],
                "date": source.raw.get("date", self.store.now()),
            }
        if isinstance(source.raw.get("from"), dict):
            return {
                "type": "user",
                "sender_user": source.raw["from"],
                "date": source.raw.get("date", self.store.now()),
            }
        return {
            "type": "hidden_user",
            "sender_user_name": str(from_chat),
            "date": source.raw.get("date", self.store.now()),
        }


def _copied_content(source: StoredMessage) -> JSONDict:
    return {k: copy.deepcopy(v) for k, v in source.raw.items() if k not in _META_KEYS}
