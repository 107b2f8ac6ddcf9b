"""In-memory Telegram Bot API used by the tests and the terminal sandbox."""

import asyncio
import copy
import json
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar, cast
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.testing.file_store import FileStore

__all__ = [
    "BLOCKED_DESCRIPTION",
    "NOT_MODIFIED_DESCRIPTION",
    "ApiCall",
    "ApiError",
    "FailureKind",
    "InMemoryBotApi",
    "SentMessage",
    "UploadedFile",
]

JSONDict = dict[str, Any]
FailureKind = Literal["429", "400", "401", "403", "409", "5xx", "timeout", "network"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

NOT_MODIFIED_DESCRIPTION = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"
_FAILURE_KINDS: frozenset[str] = frozenset(
    {"429", "400", "401", "403", "409", "5xx", "timeout", "network"}
)

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
_MESSAGE_UPDATE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
_INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_FILE_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ".bin"),
    "video": ("videos", ".mp4"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "sticker": ("stickers", ".webp"),
    "animation": ("animations", ".mp4"),
    "video_note": ("video_notes", ".mp4"),
}
_DEFAULT_MIME = {
    "document": "application/octet-stream",
    "video": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
}


@dataclass(frozen=True)
class ApiError:
    """Describe why a recorded API call failed."""

    kind: str
    error_code: int | None
    description: str
    retry_after: int | None = None


@dataclass
class ApiCall:
    """Record one Bot API call and its outcome."""

    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    result: Any | None = None
    error: ApiError | None = None


@dataclass(frozen=True)
class UploadedFile:
    """Hold one file uploaded along with a request."""

    content: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """Snapshot the current state of one message in a chat.

    ``text`` is the text or caption exactly as the bot passed it (HTML markup intact);
    ``plain_text`` is what the user sees, as in ``raw`` (markup parsed into entities).
    """

    chat_id: int
    message_id: int
    text: str
    method: str
    reply_markup: dict[str, Any] | None
    protect_content: bool
    raw: dict[str, Any]
    plain_text: str = ""
    deleted: bool = False

    def _inline_buttons(self) -> list[list[JSONDict]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        return [[b for b in row if isinstance(b, dict)] for row in rows if isinstance(row, list)]

    def buttons(self) -> list[list[str]]:
        """Return the texts of the inline keyboard, row by row."""
        return [[str(b.get("text", "")) for b in row] for row in self._inline_buttons()]

    def button_data(self, text: str) -> str:
        """Return the callback_data of the inline button with this text."""
        for row in self._inline_buttons():
            for button in row:
                data = button.get("callback_data")
                if button.get("text") == text and isinstance(data, str):
                    return data
        raise KeyError(f"no inline callback button {text!r}; buttons: {self.buttons()}")

    def button_url(self, text: str) -> str:
        """Return the url of the inline button with this text."""
        for row in self._inline_buttons():
            for button in row:
                url = button.get("url")
                if button.get("text") == text and isinstance(url, str):
                    return url
        raise KeyError(f"no inline url button {text!r}; buttons: {self.buttons()}")

    def reply_keyboard(self) -> list[list[str]]:
        """Return the texts of the reply keyboard, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("keyboard") or []
        result: list[list[str]] = []
        for row in rows:
            if not isinstance(row, list):
                continue
            result.append([b if isinstance(b, str) else str(b.get("text", "")) for b in row])
        return result


class _ApiFailure(Exception):
    """Carry a Telegram error answer out of a method handler."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        kind: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.kind = kind or str(status)
        self.retry_after = retry_after

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def as_error(self) -> ApiError:
        return ApiError(self.kind, self.status, self.description, self.retry_after)


def _bad_request(reason: str) -> _ApiFailure:
    return _ApiFailure(400, f"Bad Request: {reason}")


@dataclass
class _FailureRule:
    method: str
    remaining: int | None
    error: FailureKind
    retry_after: int
    description: str | None
    chat_id: int | str | None


@dataclass
class _StoredMessage:
    raw: JSONDict
    outgoing: bool
    method: str
    reply_markup: JSONDict | None = None
    protect_content: bool = False
    source_text: str = ""
    deleted: bool = False


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    photo_sizes: list[JSONDict] | None = None
    number: int = 0


def _utf16_len(text: str) -> int:
    # Telegram's limits count UTF-16 code units: a character outside the BMP (an emoji, 𝐁) is
    # two. "surrogatepass": a lone surrogate from `&#xD800;` is one unit, not a crash here.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _coerce_chat_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        try:
            return int(stripped)
        except ValueError:
            return stripped or None
    return None


class _Params:
    """Read request parameters that may arrive typed (in process) or as strings (HTTP)."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, bool | dict | list) else str(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise _bad_request(f'field "{name}" must be of type Integer')

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise _bad_request(f'field "{name}" must be of type Float')

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        return _coerce_chat_id(self.values.get(name))

    def upload_for(self, value: Any, name: str) -> UploadedFile | None:
        """Find the uploaded file that a parameter value refers to, if any."""
        if isinstance(value, str) and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            upload = self.files.get(key)
            if upload is None:
                raise _bad_request(f"file {key} was not found in the request")
            return upload
        if value is None or value == "":
            return self.files.get(name)
        return None


# ---------------------------------------------------------------- HTML entity parsing

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_NAME_RE = re.compile(r"[A-Za-z][-A-Za-z0-9]*")
_ATTR_RE = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_CHARREF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]+);")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL_RE = re.compile(r"[<&]")


def _parse_error(reason: str) -> _ApiFailure:
    return _bad_request(f"can't parse entities: {reason}")


def _decode_charref(ref: str) -> str | None:
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        # No character behind 0, a surrogate or past U+10FFFF: the reference stays as text.
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return None
        return chr(code)
    return _NAMED_REFS.get(ref)


def _tag_entity(
    name: str, attrs: dict[str, str], stack: list[tuple[str, JSONDict | None, int]], where: int
) -> JSONDict | None:
    kind = _TAG_ENTITY.get(name)
    if kind is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
        raise _parse_error(f'Unsupported start tag "{name}" at byte offset {where}')
    if name == "a":
        href = attrs.get("href")
        return {"type": "text_link", "url": href} if href else None
    if name == "code" and stack and stack[-1][0] == "pre":
        # Telegram folds <pre><code class="language-x"> into one pre entity with a language.
        language = attrs.get("class", "")
        pre_entity = stack[-1][1]
        if pre_entity is not None and language.startswith("language-"):
            pre_entity["language"] = language.removeprefix("language-")
        return None
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Turn Telegram-flavoured HTML into plain text and entities, as the Bot API does."""
    out: list[str] = []
    position = 0
    stack: list[tuple[str, JSONDict | None, int]] = []
    entities: list[JSONDict] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            where = len(source[:index].encode("utf-8"))
            end = source.find(">", index)
            if end < 0:
                raise _parse_error(f"Unclosed start tag at byte offset {where}")
            inner = source[index + 1 : end].strip()
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _parse_error(f'Unexpected end tag "{name}" at byte offset {where}')
                open_name, entity, start = stack.pop()
                if name != open_name:
                    raise _parse_error(
                        f'Unmatched end tag at byte offset {where}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                if entity is not None and position > start:
                    entities.append({**entity, "offset": start, "length": position - start})
            else:
                match = _TAG_NAME_RE.match(inner)
                name = match.group(0).lower() if match else ""
                attrs = {
                    m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                    for m in _ATTR_RE.finditer(inner[len(name) :])
                }
                stack.append((name, _tag_entity(name, attrs, stack, where), position))
            index = end + 1
            continue
        if char == "&":
            ref = _CHARREF_RE.match(source, index)
            decoded = _decode_charref(ref.group(1)) if ref else None
            if ref is not None and decoded is not None:
                out.append(decoded)
                position += _utf16_len(decoded)
                index = ref.end()
                continue
        # A run of plain text up to the next tag or character reference, taken whole: a long
        # answer would otherwise cost one UTF-16 encoding per character.
        special = _SPECIAL_RE.search(source, index + 1)
        run_end = special.start() if special else len(source)
        run = source[index:run_end]
        out.append(run)
        position += _utf16_len(run)
        index = run_end
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), [
        {"type": e["type"], "offset": e["offset"], "length": e["length"]}
        | {k: v for k, v in e.items() if k not in ("type", "offset", "length")}
        for e in ordered
    ]


# ---------------------------------------------------------------- the API

_Handler = Callable[["InMemoryBotApi", _Params], Any]
_HandlerT = TypeVar("_HandlerT", bound=_Handler)
_HANDLERS: dict[str, tuple[str, _Handler]] = {}
_ASYNC_METHODS = {"getupdates": "getUpdates"}


def _api_method(name: str) -> Callable[[_HandlerT], _HandlerT]:
    def register(func: _HandlerT) -> _HandlerT:
        _HANDLERS[name.lower()] = (name, func)
        return func

    return register


def canonical_method(name: str) -> str | None:
    """Return the Bot API's spelling of a method name, or None if the API lacks it."""
    lowered = name.lower()
    if lowered in _ASYNC_METHODS:
        return _ASYNC_METHODS[lowered]
    entry = _HANDLERS.get(lowered)
    return entry[0] if entry else None


def _read_upload(value: Any) -> UploadedFile:
    """Turn one of PTB's multipart field tuples into an UploadedFile."""
    filename: str | None = None
    mime: str | None = None
    content: Any = value
    if isinstance(value, tuple):
        filename, content, mime = [*value, None, None, None][:3]
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    elif hasattr(content, "read"):
        data = cast("IO[bytes]", content).read()
    else:
        data = str(content).encode()
    return UploadedFile(data, filename, mime)


class InMemoryBotApi(BaseRequest):
    """Answer Bot API requests from memory, recording every call for inspection."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "tinbao_test_bot",
        bot_first_name: str = "Tin báo",
        clock: Callable[[], float] = time.time,
        record_calls: bool = True,
        round_trip: float = 0.0,
        file_store: Path | None = None,
    ) -> None:
        """Start empty; with ``file_store``, keep every file in that folder too (FileStore)."""
        self._clock = clock
        # Seconds every call takes before it is answered, as a network round trip to Telegram
        # would (the benchmarks' latency case); 0 answers at once.
        self.round_trip = round_trip
        # Off for long runs (the benchmarks): `calls` stays empty instead of growing with every
        # call, and forget_chat() drops a simulated person's chat once they are done.
        self.record_calls = record_calls
        self._bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # A re-entrant lock rather than loop confinement: the sandbox may feed updates from
        # a reader thread while the loop serves the bot.
        self._lock = threading.RLock()
        self.calls: list[ApiCall] = []
        self.unknown_chats: set[int | str] = set()
        self._blocked: set[int] = set()
        self._failures: list[_FailureRule] = []
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, _StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._outgoing: list[tuple[int, int]] = []
        # The same messages per chat, so a chat's history is found without scanning them all
        # (simulated crowds of residents each read their own chat after every step).
        self._outgoing_by_chat: dict[int, list[int]] = {}
        self._inline_messages: dict[str, _StoredMessage] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, str] = {}
        self._file_counter = 0
        # A folder keeping every file (the sandbox's, beside its database), so a file id kept in
        # a database names the same bytes after a restart. Its ids carry the store's namespace
        # and its numbers go on from the last run's: no id ever names two files.
        self._file_store = FileStore(file_store) if file_store is not None else None
        if self._file_store is not None:
            self._load_files(self._file_store)
        self._media_group_counter = 0
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._updates: list[JSONDict] = []
        # update_id -> how many getUpdates answers carried it (Telegram redelivers after crashes);
        # kept only while calls are recorded.
        self._deliveries: dict[int, int] = {}
        self._holding = False
        self._next_update_id = 1
        self._last_queued_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        # Tests that wait for the bot (another task or process) are woken by these instead of
        # sleeping: per chat when a message is sent there, and after every call for the rest.
        self._chat_watchers: dict[int, list[asyncio.Future[None]]] = {}
        self._call_watchers: list[asyncio.Future[None]] = []
        self._webhook: JSONDict | None = None
        # Chats whose calls wait until released (hold_chat): a slow Telegram for one person.
        self._held_chats: dict[int, asyncio.Event] = {}

    # ------------------------------------------------------------ BaseRequest interface

    @property
    def read_timeout(self) -> float | None:
        """Return no default read timeout: nothing here waits on a network."""
        return None

    async def initialize(self) -> None:
        """Do nothing; the API needs no resources, so repeated calls are harmless."""

    async def shutdown(self) -> None:
        """Do nothing; state survives so tests can inspect it after the bot stops."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request that python-telegram-bot would send over HTTP."""
        if method.upper() == "GET":
            return self.download_file(url)
        method_name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, UploadedFile] = {}
        if request_data is not None and request_data.contains_files:
            files = {k: _read_upload(v) for k, v in request_data.multipart_data.items()}
        status, body = await self.handle(method_name, params, files)
        return status, json.dumps(body, ensure_ascii=False).encode("utf-8")

    # ------------------------------------------------------------ dispatch

    async def handle(
        self,
        method_name: str,
        params: Mapping[str, Any],
        files: Mapping[str, bytes | UploadedFile] | None = None,
    ) -> tuple[int, JSONDict]:
        """Run one Bot API method and return the HTTP status and Telegram's JSON answer.

        Simulated timeouts and network failures are raised as TimedOut / NetworkError.
        """
        uploads = {
            k: v if isinstance(v, UploadedFile) else UploadedFile(bytes(v))
            for k, v in (files or {}).items()
        }
        canonical = canonical_method(method_name)
        call = ApiCall(
            canonical or method_name, dict(params), _coerce_chat_id(params.get("chat_id"))
        )
        if self.record_calls:
            with self._lock:
                self.calls.append(call)
        # Woken twice: when a call starts (a long poll may last long) and when it has ended.
        self._wake_call_watchers()
        try:
            await self._network(canonical, call.chat_id)
            if canonical is None:
                raise _ApiFailure(404, "Not Found: method not found")
            p = _Params(params, uploads)
            self._inject_failure(canonical, call.chat_id)
            if canonical == "getUpdates":
                result: Any = await self._get_updates(p)
            else:
                handler = _HANDLERS[canonical.lower()][1]
                with self._lock:
                    result = handler(self, p)
        except _ApiFailure as failure:
            call.error = failure.as_error()
            return failure.status, failure.body()
        except TimedOut as exc:
            call.error = ApiError("timeout", None, exc.message)
            raise
        except NetworkError as exc:
            call.error = ApiError("network", None, exc.message)
            raise
        finally:
            self._wake_call_watchers()
        if self.record_calls:
            call.result = copy.deepcopy(result)
        return 200, {"ok": True, "result": result}

    def download_file(self, url_or_path: str) -> tuple[int, bytes]:
        """Return (status, bytes) for a file URL ``<base_file_url><token>/<file_path>``."""
        segments = [s for s in urlsplit(url_or_path).path.split("/") if s]
        with self._lock:
            for start in range(len(segments)):
                file_id = self._file_paths.get("/".join(segments[start:]))
                if file_id is not None:
                    return 200, self._files[file_id].content
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return 404, json.dumps(body).encode()

    def _inject_failure(self, method: str, chat_id: int | str | None) -> None:
        with self._lock:
            rule = next(
                (
                    r
                    for r in self._failures
                    if r.method in ("*", method.lower())
                    and (r.chat_id is None or r.chat_id == chat_id)
                ),
                None,
            )
            if rule is None:
                return
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
        if rule.error == "429":
            description = rule.description or f"Too Many Requests: retry after {rule.retry_after}"
            raise _ApiFailure(429, description, retry_after=rule.retry_after)
        if rule.error == "400":
            raise _ApiFailure(400, rule.description or "Bad Request: chat not found")
        if rule.error == "403":
            raise _ApiFailure(403, rule.description or BLOCKED_DESCRIPTION)
        if rule.error == "401":
            # What Telegram answers every method for a revoked or mistyped token.
            raise _ApiFailure(401, rule.description or "Unauthorized")
        if rule.error == "409":
            # What a long poll gets when another process polls with the same token.
            raise _ApiFailure(
                409,
                rule.description
                or "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        if rule.error == "5xx":
            raise _ApiFailure(502, rule.description or "Bad Gateway", kind="5xx")
        if rule.error == "timeout":
            raise TimedOut(rule.description)
        raise NetworkError(rule.description or "simulated network failure")

    async def _network(self, method: str | None, chat_id: int | str | None) -> None:
        """Wait as the network would: a held chat until released, then the round trip."""
        if method == "getUpdates":
            return
        held = self._held_chats.get(chat_id) if isinstance(chat_id, int) else None
        if held is not None:
            await held.wait()
        if self.round_trip:
            await asyncio.sleep(self.round_trip)

    def hold_chat(self, chat_id: int) -> None:
        """Make calls into `chat_id` wait (recorded, not answered) until release_chat().

        For tests in the bot's own event loop: what the bot does while Telegram is slow for
        one person.
        """
        self._held_chats.setdefault(chat_id, asyncio.Event())

    def release_chat(self, chat_id: int | None = None) -> None:
        """Let the held calls into `chat_id` (None: every held chat) and later ones be answered."""
        chats = list(self._held_chats) if chat_id is None else [chat_id]
        for chat in chats:
            held = self._held_chats.pop(chat, None)
            if held is not None:
                held.set()

    # ------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        error: FailureKind,
        retry_after: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"``: any) fail with ``error``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._add_failure(method, times, error, retry_after, description, chat_id)

    def fail_until_cleared(
        self,
        method: str,
        *,
        error: FailureKind,
        retry_after: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make every call of ``method`` fail with ``error`` until clear_failures()."""
        self._add_failure(method, None, error, retry_after, description, chat_id)

    def _add_failure(
        self,
        method: str,
        times: int | None,
        error: FailureKind,
        retry_after: int,
        description: str | None,
        chat_id: int | None,
    ) -> None:
        if error not in _FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {error!r}")
        name = "*" if method == "*" else (canonical_method(method) or method).lower()
        with self._lock:
            self._failures.append(
                _FailureRule(name, times, error, retry_after, description, chat_id)
            )

    def clear_failures(self) -> None:
        """Forget every pending injected failure."""
        with self._lock:
            self._failures.clear()

    def block(self, user_id: int) -> None:
        """Make the user's private chat answer every send with 403 (bot blocked)."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Let the bot reach the user's private chat again."""
        with self._lock:
            self._blocked.discard(user_id)

    # ------------------------------------------------------------ inspection

    @property
    def bot_user(self) -> JSONDict:
        """Return the bot's User JSON, as getMe answers it."""
        return copy.deepcopy(self._bot_user)

    def calls_for(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of one method (any spelling case)."""
        name = (canonical_method(method) or method).lower()
        with self._lock:
            return [c for c in self.calls if c.method.lower() == name]

    def calls_to(self, chat_id: int | str) -> list[ApiCall]:
        """Return the recorded calls addressed to one chat."""
        with self._lock:
            return [c for c in self.calls if c.chat_id == chat_id]

    def clear(self) -> None:
        """Forget the recorded calls; messages, files and chats stay."""
        with self._lock:
            self.calls.clear()

    def sent_messages(self, chat_id: int | None = None, *, start: int = 0) -> list[SentMessage]:
        """Return every message the bot sent, in order and in its current state.

        With a chat, ``start`` skips that chat's first messages (``message_count`` of earlier).
        """
        with self._lock:
            if chat_id is None:
                pairs = self._outgoing[start:]
            else:
                pairs = [(chat_id, mid) for mid in self._outgoing_by_chat.get(chat_id, [])[start:]]
            return [self._snapshot(cid, self._messages[cid][mid]) for cid, mid in pairs]

    def forget_chat(self, chat_id: int) -> None:
        """Drop a chat's stored messages, the files they carry and what was learnt about it.

        For long runs (the benchmarks), once a simulated person is done.
        """
        with self._lock:
            for stored in self._messages.get(chat_id, {}).values():
                for kind in _FILE_FOLDERS:
                    media = stored.raw.get(kind)
                    for item in media if isinstance(media, list) else [media]:
                        if isinstance(item, dict):
                            dropped = self._files.pop(str(item.get("file_id")), None)
                            if dropped is not None:
                                self._file_paths.pop(dropped.file_path, None)
                                if self._file_store is not None:
                                    self._file_store.remove(dropped.number)
            self._messages.pop(chat_id, None)
            self._chats.pop(chat_id, None)
            self._users.pop(chat_id, None)
            if self._outgoing_by_chat.pop(chat_id, None):
                self._outgoing = [entry for entry in self._outgoing if entry[0] != chat_id]

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
            await self._watch(watcher, remaining, self._chat_watchers.get(chat_id))

    async def wait_until(self, condition: Callable[[], bool], *, within: float) -> bool:
        """Wait until ``condition()`` holds, checked again as every API call starts and ends.

        Return False if ``within`` seconds pass first.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if condition():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            watcher: asyncio.Future[None] = loop.create_future()
            with self._lock:
                self._call_watchers.append(watcher)
            await self._watch(watcher, remaining, self._call_watchers)

    async def _watch(
        self,
        watcher: asyncio.Future[None],
        within: float,
        registry: list[asyncio.Future[None]] | None,
    ) -> None:
        try:
            await asyncio.wait({watcher}, timeout=within)
        finally:
            watcher.cancel()
            with self._lock:
                if registry is not None and watcher in registry:
                    registry.remove(watcher)

    def _wake_call_watchers(self) -> None:
        with self._lock:
            watchers, self._call_watchers = self._call_watchers, []
        for watcher in watchers:
            watcher.get_loop().call_soon_threadsafe(_resolve_waiter, watcher)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """Return the current state of any stored message; KeyError if unknown."""
        with self._lock:
            stored = self._messages.get(chat_id, {}).get(message_id)
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            return self._snapshot(chat_id, stored)

    def last_message(self, chat_id: int) -> SentMessage:
        """Return the latest message the bot sent to a chat; AssertionError if none."""
        with self._lock:
            # Snapshotting only the one returned: histories grow long in fuzzing.
            ids = self._outgoing_by_chat.get(chat_id)
            if ids:
                return self._snapshot(chat_id, self._messages[chat_id][ids[-1]])
        raise AssertionError(f"the bot sent nothing to chat {chat_id}")

    def last_text(self, chat_id: int) -> str:
        """Return the text (or caption) of the latest message the bot sent to a chat."""
        return self.last_message(chat_id).text

    def pending_updates(self) -> list[JSONDict]:
        """Return the queued updates that getUpdates has not confirmed yet."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def confirm_updates(self, offset: int) -> None:
        """Forget queued updates below ``offset``, as a getUpdates offset or a webhook 200 does."""
        with self._lock:
            self._confirm_updates(offset)

    def hold_confirmations(self, hold: bool = True) -> None:
        """Make getUpdates offsets confirm nothing while held (``False`` ends it).

        As if the bot's acknowledgements never reached Telegram because it was killed before
        its next poll: the polling bot still pages forward, but a restarted bot, which starts
        without an offset, gets every update of the held time again, handled or not.
        """
        with self._lock:
            self._holding = hold

    def deliveries(self, update_id: int) -> int:
        """Return how many getUpdates answers carried an update."""
        with self._lock:
            return self._deliveries.get(update_id, 0)

    def redelivered(self) -> list[int]:
        """Return the ids of the updates that getUpdates delivered more than once."""
        with self._lock:
            return sorted(uid for uid, times in self._deliveries.items() if times > 1)

    def pending_update_count(self) -> int:
        """Return how many queued updates getUpdates has not confirmed yet (no copies)."""
        with self._lock:
            return len(self._updates)

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the commands stored for a scope (default scope if None) and language."""
        with self._lock:
            return copy.deepcopy(self._commands.get(self._command_key(scope, language_code), []))

    @property
    def webhook_url(self) -> str:
        """Return the URL set with setWebhook, or "" when polling."""
        with self._lock:
            return str(self._webhook["url"]) if self._webhook else ""

    @staticmethod
    def _snapshot(chat_id: int, stored: _StoredMessage) -> SentMessage:
        raw = stored.raw
        plain = str(raw.get("text") or raw.get("caption") or "")
        return SentMessage(
            chat_id=chat_id,
            message_id=int(raw["message_id"]),
            text=stored.source_text if stored.outgoing else plain,
            method=stored.method,
            reply_markup=copy.deepcopy(stored.reply_markup),
            protect_content=stored.protect_content,
            raw=copy.deepcopy(raw),
            plain_text=plain,
            deleted=stored.deleted,
        )

    # ------------------------------------------------------------ incoming side

    def allocate_message_id(self, chat_id: int) -> int:
        """Reserve the next message_id of a chat (shared by incoming and outgoing messages)."""
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 1)
            self._next_message_id[chat_id] = message_id + 1
            return message_id

    def allocate_update_id(self) -> int:
        """Reserve the next update_id."""
        with self._lock:
            update_id = max(self._next_update_id, self._last_queued_update_id + 1)
            self._next_update_id = update_id + 1
            return update_id

    def remember_message(self, message: Mapping[str, Any]) -> None:
        """Store an incoming message so that copy/forward/reply/delete can find it."""
        data = copy.deepcopy(dict(message))
        with self._lock:
            self._learn({"message": data})
            chat_id = _coerce_chat_id((data.get("chat") or {}).get("id"))
            message_id = data.get("message_id")
            if not isinstance(chat_id, int) or not isinstance(message_id, int):
                return
            chat_messages = self._messages.setdefault(chat_id, {})
            existing = chat_messages.get(message_id)
            if existing is not None:
                existing.raw = data
            else:
                chat_messages[message_id] = _StoredMessage(
                    raw=data, outgoing=False, method="incoming", source_text=data.get("text", "")
                )
            self._next_message_id[chat_id] = max(
                self._next_message_id.get(chat_id, 1), message_id + 1
            )

    def register_inline_message(
        self, inline_message_id: str, text: str = "", reply_markup: Mapping[str, Any] | None = None
    ) -> None:
        """Make an inline message (sent via inline mode) editable by inline_message_id."""
        raw: JSONDict = {"text": text}
        if reply_markup is not None:
            raw["reply_markup"] = dict(reply_markup)
        with self._lock:
            self._inline_messages[inline_message_id] = _StoredMessage(
                raw=raw,
                outgoing=True,
                method="inline",
                reply_markup=dict(reply_markup) if reply_markup else None,
            )

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
            update_id = data.get("update_id")
            if not isinstance(update_id, int) or update_id <= self._last_queued_update_id:
                update_id = self.allocate_update_id()
            data["update_id"] = update_id
            self._last_queued_update_id = update_id
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._learn(data)
            self._updates.append(data)
            self._wake_pollers()
        return update_id

    def _wake_pollers(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            # call_soon_threadsafe so that a reader thread may queue updates too.
            waiter.get_loop().call_soon_threadsafe(_resolve_waiter, waiter)

    def _learn(self, data: Mapping[str, Any]) -> None:
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
                self._learn({"message": nested})

    def register_file(
        self,
        content: bytes,
        *,
        file_unique_id: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        kind: str = "document",
    ) -> str:
        """Store bytes as a file and return its file_id, usable with getFile and downloads."""
        with self._lock:
            return self._store_file(
                content,
                kind=kind,
                file_name=file_name,
                mime_type=mime_type,
                file_unique_id=file_unique_id,
            ).file_id

    def file_content(self, file_id: str) -> bytes:
        """Return the bytes of a known file; KeyError if unknown."""
        with self._lock:
            return self._files[file_id].content

    def file_unique_id(self, file_id: str) -> str:
        """Return the file_unique_id of a known file; KeyError if unknown."""
        with self._lock:
            return self._files[file_id].file_unique_id

    def _load_files(self, store: FileStore) -> None:
        for number, content, meta in store.load():
            stored = _StoredFile(
                file_id=str(meta["file_id"]),
                file_unique_id=str(meta["file_unique_id"]),
                content=content,
                file_path=str(meta["file_path"]),
                file_name=meta.get("file_name"),
                mime_type=meta.get("mime_type"),
                photo_sizes=meta.get("photo_sizes"),
                number=number,
            )
            self._files[stored.file_id] = stored
            self._file_paths[stored.file_path] = stored.file_id
        self._file_counter = store.highest_number()

    def _keep_file(self, stored: _StoredFile, *, new: bool) -> None:
        """Write a file (new) or its changed metadata to the file store, if there is one."""
        if self._file_store is None:
            return
        meta: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "photo_sizes": stored.photo_sizes,
        }
        if new:
            self._file_store.save(stored.number, stored.content, meta)
        else:
            self._file_store.save_meta(stored.number, stored.content, meta)

    def _store_file(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_unique_id: str | None = None,
    ) -> _StoredFile:
        self._file_counter += 1
        # Another sandbox on the same folder may have taken the number meanwhile.
        while self._file_store is not None and not self._file_store.claim(self._file_counter):
            self._file_counter += 1
        number = self._file_counter
        serial = f"{self._file_store.namespace}-{number}" if self._file_store else str(number)
        folder, default_ext = _FILE_FOLDERS.get(kind, ("documents", ".bin"))
        ext = default_ext
        if kind == "photo":
            ext = ".jpg"  # Telegram re-encodes every photo as JPEG, whatever was uploaded.
        elif file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or default_ext
        stored = _StoredFile(
            file_id=f"file-{serial}-{kind}",
            file_unique_id=file_unique_id or f"uniq-{serial}",
            content=bytes(content),
            file_path=f"{folder}/file_{serial}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            number=number,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored.file_id
        self._keep_file(stored, new=True)
        return stored

    # ------------------------------------------------------------ helpers for handlers

    def _now(self) -> int:
        return int(self._clock())

    def _resolve_chat(self, raw: int | str | None) -> int:
        if raw is None:
            raise _bad_request("chat_id is empty")
        if raw in self.unknown_chats:
            raise _bad_request("chat not found")
        if isinstance(raw, str):
            wanted = raw.removeprefix("@").lower()
            for chat_id, chat in self._chats.items():
                if str(chat.get("username", "")).lower() == wanted:
                    return chat_id
            raise _bad_request("chat not found")
        if raw == 0:
            raise _bad_request("chat not found")
        return raw

    def _target_chat(self, p: _Params, name: str = "chat_id") -> int:
        chat_id = self._resolve_chat(p.chat_id(name))
        if chat_id in self._blocked:
            raise _ApiFailure(403, BLOCKED_DESCRIPTION)
        return chat_id

    def _chat_json(self, chat_id: int) -> JSONDict:
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

    def _user_json(self, user_id: int) -> JSONDict:
        if user_id == self._bot_user["id"]:
            return self.bot_user
        known = self._users.get(user_id)
        if known is not None:
            return copy.deepcopy(known)
        return {"id": user_id, "is_bot": False, "first_name": "User"}

    def _find_message(self, chat_id: int, message_id: int | None) -> _StoredMessage | None:
        if message_id is None:
            return None
        stored = self._messages.get(chat_id, {}).get(message_id)
        return None if stored is None or stored.deleted else stored

    def _format_text(
        self, p: _Params, text_field: str, entities_field: str
    ) -> tuple[str, list[JSONDict], str]:
        """Return (plain text, entities, text as sent) for a text or caption parameter."""
        source = p.get_str(text_field) or ""
        parse_mode = (p.get_str("parse_mode") or "").lower()
        if parse_mode == "html":
            text, entities = parse_html(source)
            return text, entities, source
        # Markdown modes are passed through unparsed; only HTML is modelled.
        given = p.get_json(entities_field)
        entities = [e for e in given if isinstance(e, dict)] if isinstance(given, list) else []
        return source, entities, source

    def _text_content(self, p: _Params) -> tuple[JSONDict, str]:
        text, entities, source = self._format_text(p, "text", "entities")
        if not text.strip():
            raise _bad_request("message text is empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return content, source

    def _caption_content(self, p: _Params) -> tuple[JSONDict, str]:
        if not p.has("caption"):
            return {}, ""
        caption, entities, source = self._format_text(p, "caption", "caption_entities")
        if _utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        content: JSONDict = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content, source

    @staticmethod
    def _check_markup(markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse inline keyboard markup JSON object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
                if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
                    raise _bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not (
                    isinstance(data, str)
                    and 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    def _reply_target(self, chat_id: int, p: _Params) -> JSONDict | None:
        reply = p.get_json("reply_parameters")
        message_id: int | None = None
        allow_missing = p.get_bool("allow_sending_without_reply")
        target_chat = chat_id
        if isinstance(reply, dict):
            message_id = _Params(reply, {}).get_int("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            other_chat = _coerce_chat_id(reply.get("chat_id"))
            if other_chat is not None:
                target_chat = self._resolve_chat(other_chat)
        else:
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        stored = self._find_message(target_chat, message_id)
        if stored is None:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        if target_chat != chat_id:
            return None
        quoted = copy.deepcopy(stored.raw)
        quoted.pop("reply_to_message", None)
        return quoted

    def _deliver(
        self,
        chat_id: int,
        p: _Params,
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
            "from": self.bot_user,
            "chat": self._chat_json(chat_id),
            "date": self._now(),
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
        stored = _StoredMessage(
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
        for watcher in self._chat_watchers.pop(chat_id, []):
            watcher.get_loop().call_soon_threadsafe(_resolve_waiter, watcher)
        return copy.deepcopy(raw)

    def _resolve_media(self, kind: str, value: Any, upload: UploadedFile | None) -> _StoredFile:
        if upload is not None:
            return self._store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=upload.mime_type
            )
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = urlsplit(value).path.rsplit("/", 1)[-1] or None
                # Nothing is fetched: tests must never reach the internet.
                return self._store_file(f"content of {value}".encode(), kind=kind, file_name=name)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {kind} in the request")

    def _media_json(self, kind: str, stored: _StoredFile, p: _Params) -> Any:
        size = len(stored.content)
        base: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if kind == "photo":
            if stored.photo_sizes is None:
                thumb = self._store_file(stored.content, kind="photo")
                stored.photo_sizes = [
                    {
                        "file_id": thumb.file_id,
                        "file_unique_id": thumb.file_unique_id,
                        "width": 90,
                        "height": 67,
                        "file_size": size,
                    },
                    {**base, "width": 1280, "height": 960, "file_size": size},
                ]
                self._keep_file(stored, new=False)
            return copy.deepcopy(stored.photo_sizes)
        mime = stored.mime_type or _DEFAULT_MIME.get(kind)
        result: JSONDict = dict(base)
        if kind in ("video", "voice", "audio", "animation", "video_note"):
            result["duration"] = p.get_int("duration") or 1
        if kind in ("video", "animation"):
            result["width"] = p.get_int("width") or 1280
            result["height"] = p.get_int("height") or 720
        if kind == "video_note":
            result["length"] = p.get_int("length") or 240
        if kind in ("document", "audio", "video", "animation"):
            result["file_name"] = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        if kind == "audio":
            for key in ("performer", "title"):
                if p.has(key):
                    result[key] = p.get_str(key)
        if mime:
            result["mime_type"] = mime
        result["file_size"] = size
        return result

    def _send_media(self, kind: str, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        value = p.values.get(kind)
        upload = p.upload_for(value, kind)
        # sendVideoNote has no caption: Telegram ignores one rather than checking it.
        caption, source = ({}, "") if kind == "video_note" else self._caption_content(p)
        markup = self._check_markup(p.get_json("reply_markup"))
        reply = self._reply_target(chat_id, p)
        stored = self._resolve_media(kind, value, upload)
        content: JSONDict = {kind: self._media_json(kind, stored, p), **caption}
        method = "send" + "".join(part.capitalize() for part in kind.split("_"))
        return self._deliver(
            chat_id, p, method, content, source_text=source, markup=markup, reply=reply
        )

    def _editable(self, p: _Params) -> tuple[_StoredMessage, bool]:
        inline_id = p.get_str("inline_message_id")
        if inline_id:
            inline = self._inline_messages.get(inline_id)
            if inline is None:
                raise _bad_request("message to edit not found")
            return inline, True
        chat_id = self._target_chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        stored = self._find_message(chat_id, message_id)
        if stored is None or not stored.outgoing:
            raise _bad_request("message to edit not found")
        return stored, False

    def _apply_edit(
        self, stored: _StoredMessage, inline: bool, changes: JSONDict, markup: JSONDict | None
    ) -> Any:
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad_request("inline keyboard expected")
        unchanged = all(
            (key not in stored.raw) if value is None else stored.raw.get(key) == value
            for key, value in changes.items()
        )
        if unchanged and stored.raw.get("reply_markup") == markup:
            raise _bad_request(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
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
            raw["edit_date"] = self._now()
        stored.raw = raw
        stored.reply_markup = copy.deepcopy(markup)
        return True if inline else copy.deepcopy(raw)

    def _message_source(self, p: _Params, not_found: str) -> tuple[int, _StoredMessage]:
        from_chat = self._resolve_chat(p.chat_id("from_chat_id"))
        stored = self._find_message(from_chat, p.get_int("message_id"))
        if stored is None:
            raise _bad_request(not_found)
        return from_chat, stored

    # ------------------------------------------------------------ methods

    @_api_method("getMe")
    def _get_me(self, p: _Params) -> JSONDict:
        return self.bot_user

    @_api_method("logOut")
    def _log_out(self, p: _Params) -> bool:
        return True

    @_api_method("close")
    def _close(self, p: _Params) -> bool:
        return True

    async def _get_updates(self, p: _Params) -> list[JSONDict]:
        offset = p.get_int("offset")
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        timeout = max(p.get_float("timeout") or 0.0, 0.0)
        allowed = p.get_json("allowed_updates")
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._webhook is not None:
                raise _ApiFailure(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed] or None
            floor = 0
            if self._holding:
                # The acknowledgement "never arrives": the poller moves on, nothing is dropped.
                floor = offset if offset is not None and offset > 0 else 0
            else:
                self._confirm_updates(offset)
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                batch = self._take_batch(limit, floor)
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                waiter.cancel()

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _take_batch(self, limit: int, floor: int = 0) -> list[JSONDict]:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            # Telegram never produces disallowed kinds, so they are dropped for good.
            self._updates = [
                u for u in self._updates if any(k in allowed for k in u if k != "update_id")
            ]
        batch = [u for u in self._updates if u["update_id"] >= floor][:limit]
        if self.record_calls:  # inspection, like `calls`: off for the benchmarks' long runs
            for update in batch:
                update_id = update["update_id"]
                self._deliveries[update_id] = self._deliveries.get(update_id, 0) + 1
        return copy.deepcopy(batch)

    @_api_method("setWebhook")
    def _set_webhook(self, p: _Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = p.get_json("allowed_updates")
        self._webhook = {"url": url, "allowed_updates": allowed}
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @_api_method("deleteWebhook")
    def _delete_webhook(self, p: _Params) -> bool:
        self._webhook = None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @_api_method("getWebhookInfo")
    def _get_webhook_info(self, p: _Params) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook and isinstance(self._webhook.get("allowed_updates"), list):
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @_api_method("sendMessage")
    def _send_message(self, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        content, source = self._text_content(p)
        markup = self._check_markup(p.get_json("reply_markup"))
        reply = self._reply_target(chat_id, p)
        return self._deliver(
            chat_id, p, "sendMessage", content, source_text=source, markup=markup, reply=reply
        )

    @_api_method("editMessageText")
    def _edit_message_text(self, p: _Params) -> Any:
        stored, inline = self._editable(p)
        content, source = self._text_content(p)
        markup = self._check_markup(p.get_json("reply_markup"))
        if "text" not in stored.raw:
            raise _bad_request("there is no text in the message to edit")
        changes = {"text": content["text"], "entities": content.get("entities")}
        result = self._apply_edit(stored, inline, changes, markup)
        stored.source_text = source
        return result

    @_api_method("editMessageCaption")
    def _edit_message_caption(self, p: _Params) -> Any:
        stored, inline = self._editable(p)
        content, source = self._caption_content(p)
        markup = self._check_markup(p.get_json("reply_markup"))
        if not any(k in stored.raw for k in _FILE_FOLDERS):
            raise _bad_request("there is no caption in the message to edit")
        changes = {
            "caption": content.get("caption"),
            "caption_entities": content.get("caption_entities"),
        }
        result = self._apply_edit(stored, inline, changes, markup)
        stored.source_text = source
        return result

    @_api_method("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: _Params) -> Any:
        stored, inline = self._editable(p)
        markup = self._check_markup(p.get_json("reply_markup"))
        return self._apply_edit(stored, inline, {}, markup)

    @_api_method("deleteMessage")
    def _delete_message(self, p: _Params) -> bool:
        chat_id = self._resolve_chat(p.chat_id())
        stored = self._find_message(chat_id, p.get_int("message_id"))
        if stored is None:
            raise _bad_request("message to delete not found")
        stored.deleted = True
        return True

    @_api_method("deleteMessages")
    def _delete_messages(self, p: _Params) -> bool:
        chat_id = self._resolve_chat(p.chat_id())
        ids = p.get_json("message_ids")
        for message_id in ids if isinstance(ids, list) else []:
            stored = self._find_message(chat_id, _Params({"id": message_id}, {}).get_int("id"))
            if stored is not None:
                stored.deleted = True
        return True

    @_api_method("answerCallbackQuery")
    def _answer_callback_query(self, p: _Params) -> bool:
        if not p.get_str("callback_query_id"):
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    @_api_method("sendPhoto")
    def _send_photo(self, p: _Params) -> JSONDict:
        return self._send_media("photo", p)

    @_api_method("sendDocument")
    def _send_document(self, p: _Params) -> JSONDict:
        return self._send_media("document", p)

    @_api_method("sendVideo")
    def _send_video(self, p: _Params) -> JSONDict:
        return self._send_media("video", p)

    @_api_method("sendVoice")
    def _send_voice(self, p: _Params) -> JSONDict:
        return self._send_media("voice", p)

    @_api_method("sendAudio")
    def _send_audio(self, p: _Params) -> JSONDict:
        return self._send_media("audio", p)

    @_api_method("sendAnimation")
    def _send_animation(self, p: _Params) -> JSONDict:
        return self._send_media("animation", p)

    @_api_method("sendVideoNote")
    def _send_video_note(self, p: _Params) -> JSONDict:
        return self._send_media("video_note", p)

    @_api_method("sendMediaGroup")
    def _send_media_group(self, p: _Params) -> list[JSONDict]:
        chat_id = self._target_chat(p)
        media = p.get_json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad_request("media must include 2-10 items")
        reply = self._reply_target(chat_id, p)
        prepared: list[tuple[str, JSONDict, str]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise _bad_request("can't parse InputMedia JSON object")
            kind = str(item["type"])
            item_params = _Params({**item, "parse_mode": item.get("parse_mode")}, p.files)
            caption, source = self._caption_content(item_params)
            stored = self._resolve_media(
                kind, item.get("media"), p.upload_for(item.get("media"), kind)
            )
            prepared.append(
                (kind, {kind: self._media_json(kind, stored, item_params), **caption}, source)
            )
        self._media_group_counter += 1
        group_id = str(13000000000000000 + self._media_group_counter)
        return [
            self._deliver(
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

    @_api_method("sendLocation")
    def _send_location(self, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
        if latitude is None or longitude is None:
            raise _bad_request("wrong latitude or longitude specified")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad_request("wrong latitude or longitude specified")
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        live_period = p.get_int("live_period")
        if live_period:
            location["live_period"] = live_period
        markup = self._check_markup(p.get_json("reply_markup"))
        reply = self._reply_target(chat_id, p)
        return self._deliver(
            chat_id, p, "sendLocation", {"location": location}, markup=markup, reply=reply
        )

    @_api_method("sendContact")
    def _send_contact(self, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        phone, first_name = p.get_str("phone_number"), p.get_str("first_name")
        if not phone:
            raise _bad_request("phone number is empty")
        if not first_name:
            raise _bad_request("first name is empty")
        contact: JSONDict = {"phone_number": phone, "first_name": first_name}
        for key in ("last_name", "vcard"):
            if p.has(key):
                contact[key] = p.get_str(key)
        markup = self._check_markup(p.get_json("reply_markup"))
        reply = self._reply_target(chat_id, p)
        return self._deliver(
            chat_id, p, "sendContact", {"contact": contact}, markup=markup, reply=reply
        )

    def _copied_content(self, source: _StoredMessage) -> JSONDict:
        return {k: copy.deepcopy(v) for k, v in source.raw.items() if k not in _META_KEYS}

    @_api_method("copyMessage")
    def _copy_message(self, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        _from_chat, source = self._message_source(p, "message to copy not found")
        if source.raw.get("has_protected_content"):
            raise _bad_request("message can't be copied")
        content = self._copied_content(source)
        source_text = str(content.get("text") or content.get("caption") or "")
        if p.has("caption") and "text" not in content:
            caption, source_text = self._caption_content(p)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(caption)
        markup = self._check_markup(p.get_json("reply_markup"))
        reply = self._reply_target(chat_id, p)
        raw = self._deliver(
            chat_id, p, "copyMessage", content, source_text=source_text, markup=markup, reply=reply
        )
        return {"message_id": raw["message_id"]}

    @_api_method("forwardMessage")
    def _forward_message(self, p: _Params) -> JSONDict:
        chat_id = self._target_chat(p)
        from_chat, source = self._message_source(p, "message to forward not found")
        if source.raw.get("has_protected_content"):
            raise _bad_request("message can't be forwarded")
        content = self._copied_content(source)
        origin = source.raw.get("forward_origin")
        if origin is None:
            chat = source.raw.get("chat") or {}
            if chat.get("type") == "channel":
                origin = {
                    "type": "channel",
                    "chat": chat,
                    "message_id": source.raw["message_id"],
                    "date": source.raw.get("date", self._now()),
                }
            elif isinstance(source.raw.get("from"), dict):
                origin = {
                    "type": "user",
                    "sender_user": source.raw["from"],
                    "date": source.raw.get("date", self._now()),
                }
            else:
                origin = {
                    "type": "hidden_user",
                    "sender_user_name": str(from_chat),
                    "date": source.raw.get("date", self._now()),
                }
        content["forward_origin"] = copy.deepcopy(origin)
        source_text = str(content.get("text") or content.get("caption") or "")
        return self._deliver(chat_id, p, "forwardMessage", content, source_text=source_text)

    @_api_method("getFile")
    def _get_file(self, p: _Params) -> JSONDict:
        stored = self._files.get(p.get_str("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    @staticmethod
    def _command_key(scope: Any, language_code: str | None) -> tuple[str, str]:
        if isinstance(scope, str):
            try:
                scope = json.loads(scope)
            except ValueError:
                raise _bad_request("can't parse BotCommandScope JSON object") from None
        if not isinstance(scope, Mapping):
            scope = {"type": "default"}
        normalized = {
            k: (_coerce_chat_id(v) if k in ("chat_id", "user_id") else v) for k, v in scope.items()
        }
        return json.dumps(normalized, sort_keys=True), language_code or ""

    @_api_method("setMyCommands")
    def _set_my_commands(self, p: _Params) -> bool:
        commands = p.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("command description must be non-empty")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(p.get_json("scope"), p.get_str("language_code"))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    @_api_method("getMyCommands")
    def _get_my_commands(self, p: _Params) -> list[JSONDict]:
        key = self._command_key(p.get_json("scope"), p.get_str("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    @_api_method("deleteMyCommands")
    def _delete_my_commands(self, p: _Params) -> bool:
        self._commands.pop(self._command_key(p.get_json("scope"), p.get_str("language_code")), None)
        return True

    @_api_method("sendChatAction")
    def _send_chat_action(self, p: _Params) -> bool:
        self._target_chat(p)
        if not p.get_str("action"):
            raise _bad_request("wrong parameter action in request")
        return True

    @_api_method("getChat")
    def _get_chat(self, p: _Params) -> JSONDict:
        chat_id = self._resolve_chat(p.chat_id())
        if (
            chat_id not in self._chats
            and chat_id not in self._users
            and chat_id not in self._messages
        ):
            raise _bad_request("chat not found")
        chat = self._chat_json(chat_id)
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

    @_api_method("getChatMember")
    def _get_chat_member(self, p: _Params) -> JSONDict:
        self._resolve_chat(p.chat_id())
        user_id = p.get_int("user_id")
        if user_id is None:
            raise _bad_request("user not found")
        return {"status": "member", "user": self._user_json(user_id)}


def _resolve_waiter(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
