"""Media: photos, documents, videos, voice, audio, animations, video notes and albums."""

from bot.testing.botapi.chats import Chats
from bot.testing.botapi.content import caption_content, check_markup
from bot.testing.botapi.files import Files
from bot.testing.botapi.model import JSONDict
from bot.testing.botapi.params import MethodTable, Params, bad_request
from bot.testing.botapi.store import MessageStore

METHODS = MethodTable()


class MediaMethods:
    """The Bot API methods that send a file, alone or in a media group."""

    def __init__(self, chats: Chats, store: MessageStore, files: Files) -> None:
        self.chats = chats
        self.store = store
        self.files = files
        self._media_group_counter = 0

    def _send_media(self, kind: str, p: Params) -> JSONDict:
        chat_id = self.chats.target_chat(p)
        value = p.values.get(kind)
        upload = p.upload_for(value, kind)
        # sendVideoNote has no caption: Telegram ignores one rather than checking it.
        caption, source = ({}, "") if kind == "video_note" else caption_content(p)
        markup = check_markup(p.get_json("reply_markup"))
        reply = self.store.reply_target(chat_id, p)
        stored = self.files.resolve_media(kind, value, upload)
        content: JSONDict = {kind: self.files.media_json(kind, stored, p), **caption}
        method = "send" + "".join(part.capitalize() for part in kind.split("_"))
        return self.store.deliver(
            chat_id, p, method, content, source_text=source, markup=markup, reply=reply
        )

    @METHODS.method("sendPhoto")
    def send_photo(self, p: Params) -> JSONDict:
        return self._send_media("photo", p)

    @METHODS.method("sendDocument")
    def send_document(self, p: Params) -> JSONDict:
        return self._send_media("document", p)

    @METHODS.method("sendVideo")
    def send_video(self, p: Params) -> JSONDict:
        return self._send_media("video", p)

    @METHODS.method("sendVoice")
    def send_voice(self, p: Params) -> JSONDict:
        return self._send_media("voice", p)

    @METHODS.method("sendAudio")
    def send_audio(self, p: Params) -> JSONDict:
        return self._send_media("audio", p)

    @METHODS.method("sendAnimation")
    def send_animation(self, p: Params) -> JSONDict:
        return self._send_media("animation", p)

    @METHODS.method("sendVideoNote")
    def send_video_note(self, p: Params) -> JSONDict:
        return self._send_media("video_note", p)

    @METHODS.method("sendMediaGroup")
    def send_media_group(self, p: Params) -> list[JSONDict]:
        chat_id = self.chats.target_chat(p)
        media = p.get_json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media must include 2-10 items")
        reply = self.store.reply_target(chat_id, p)
        prepared: list[tuple[str, JSONDict, str]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise bad_request("can't parse InputMedia JSON object")
            kind = str(item["type"])
            item_params = Params({**item, "parse_mode": item.get("parse_mode")}, p.files)
            caption, source = caption_content(item_params)
            stored = self.files.resolve_media(
                kind, item.get("media"), p.upload_for(item.get("media"), kind)
            )
            prepared.append(
                (kind, {kind: self.files.media_json(kind, stored, item_params), **caption}, source)
            )
        self._media_group_counter += 1
        group_id = str(13000000000000000 + self._media_group_counter)
        return [
            self.store.deliver(
                chat_id,
                p,
                "sendMediaGroup",
                content,
                source_text=source,
                media_group_id=group_id,
                reply=reply,
            )
            for _kind, content, source in prepared
        ]
