"""In-memory Telegram Bot API, update builders and an HTTP front for tests and the sandbox."""

from bot.testing.botapi import (
    BLOCKED_DESCRIPTION,
    NOT_MODIFIED_DESCRIPTION,
    ApiCall,
    ApiError,
    FailureKind,
    InMemoryBotApi,
    SentMessage,
    UploadedFile,
)
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person, UpdateBuilder

__all__ = [
    "BLOCKED_DESCRIPTION",
    "NOT_MODIFIED_DESCRIPTION",
    "ApiCall",
    "ApiError",
    "BotApiHttpServer",
    "FailureKind",
    "InMemoryBotApi",
    "Person",
    "SentMessage",
    "UpdateBuilder",
    "UploadedFile",
]
