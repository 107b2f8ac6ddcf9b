"""In-memory Telegram Bot API used by the tests and the terminal sandbox.

One room per concern: `api` (the request object and its dispatch), the Bot API areas
(`chats`, `messages`, `media`, `files`, `callbacks`, `commands`, `updates`), the message
`store`, `incoming` updates, the HTML entity parser (`html`), failure injection (`failures`),
the transcript of calls (`transcript`), and what they share (`model`, `params`, `content`,
`waiting`).
"""

from bot.testing.botapi.api import InMemoryBotApi, canonical_method
from bot.testing.botapi.html import parse_html
from bot.testing.botapi.model import (
    BLOCKED_DESCRIPTION,
    NOT_MODIFIED_DESCRIPTION,
    ApiCall,
    ApiError,
    FailureKind,
    SentMessage,
    UploadedFile,
)

__all__ = [
    "BLOCKED_DESCRIPTION",
    "NOT_MODIFIED_DESCRIPTION",
    "ApiCall",
    "ApiError",
    "FailureKind",
    "InMemoryBotApi",
    "SentMessage",
    "UploadedFile",
    "canonical_method",
    "parse_html",
]
