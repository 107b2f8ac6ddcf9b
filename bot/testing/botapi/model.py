"""What the in-memory Bot API records and keeps: calls, errors, uploads, messages and files."""

import copy
from dataclasses import dataclass
from typing import Any, Literal

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


@dataclass
class StoredMessage:
    """Hold one message of a chat (or an inline message) as the API keeps it."""

    raw: JSONDict
    outgoing: bool
    method: str
    reply_markup: JSONDict | None = None
    protect_content: bool = False
    source_text: str = ""
    deleted: bool = False

    def snapshot(self, chat_id: int) -> SentMessage:
        """Return what a test sees of this message in a chat."""
        raw = self.raw
        plain = str(raw.get("text") or raw.get("caption") or "")
        return SentMessage(
            chat_id=chat_id,
            message_id=int(raw["message_id"]),
            text=self.source_text if self.outgoing else plain,
            method=self.method,
            reply_markup=copy.deepcopy(self.reply_markup),
            protect_content=self.protect_content,
            raw=copy.deepcopy(raw),
            plain_text=plain,
            deleted=self.deleted,
        )


@dataclass
class StoredFile:
    """Hold one file's bytes and what getFile answers about it."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    photo_sizes: list[JSONDict] | None = None
    number: int = 0
