"""The in-memory Bot API: python-telegram-bot's request object, answering from memory.

`InMemoryBotApi` takes each request, records it, injects any failure due, and dispatches it to
the area that answers it (chats, messages, media, files, callbacks, commands, updates); its
other methods are what tests read and steer, each handed to the part that keeps that state.
"""

import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.testing.botapi import callbacks, chats, commands, files, media, messages, updates
from bot.testing.botapi.failures import Failures, Network
from bot.testing.botapi.incoming import Incoming
from bot.testing.botapi.model import (
    ApiCall,
    ApiError,
    FailureKind,
    JSONDict,
    SentMessage,
    UploadedFile,
)
from bot.testing.botapi.params import (
    ApiFailure,
    Handler,
    Params,
    coerce_chat_id,
    read_upload,
)
from bot.testing.botapi.store import MessageStore
from bot.testing.botapi.transcript import CallLog

_TABLES = (
    chats.METHODS,
    messages.METHODS,
    media.METHODS,
    files.METHODS,
    callbacks.METHODS,
    commands.METHODS,
    updates.METHODS,
)
_METHOD_NAMES = {key: name for table in _TABLES for key, name in table.names().items()}
# Answered outside the lock (a long poll waits), so not in any area's table.
_ASYNC_METHODS = {"getupdates": "getUpdates"}


def canonical_method(name: str) -> str | None:
    """Return the Bot API's spelling of a method name, or None if the API lacks it."""
    lowered = name.lower()
    if lowered in _ASYNC_METHODS:
        return _ASYNC_METHODS[lowered]
    return _METHOD_NAMES.get(lowered)


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
        bot_user: JSONDict = {
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
        # a reader thread while the loop serves the bot. One lock for every part: a method
        # reads and writes several of them at once.
        self._lock = threading.RLock()
        self._transcript = CallLog(self._lock, canonical_method, record=record_calls)
        self._network = Network(round_trip)
        self._failures = Failures(self._lock, canonical_method)
        self._chats = chats.Chats(self._lock, bot_user)
        self._files = files.Files(self._lock, file_store)
        self._store = MessageStore(self._lock, self._chats, clock)
        self._commands = commands.Commands(self._lock)
        self._updates = updates.UpdateQueue(self._lock, lambda: self._transcript.record)
        self._incoming = Incoming(self._lock, self._chats, self._store, self._updates)
        self._handlers: dict[str, Handler] = {}
        for table, area in (
            (chats.METHODS, chats.ChatMethods(self._chats, self._store.has_messages)),
            (messages.METHODS, messages.MessageMethods(self._chats, self._store)),
            (media.METHODS, media.MediaMethods(self._chats, self._store, self._files)),
            (files.METHODS, self._files),
            (callbacks.METHODS, callbacks.CallbackMethods()),
            (commands.METHODS, self._commands),
            (updates.METHODS, self._updates),
        ):
            self._handlers.update(table.bind(area))

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
            files = {k: read_upload(v) for k, v in request_data.multipart_data.items()}
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
            canonical or method_name, dict(params), coerce_chat_id(params.get("chat_id"))
        )
        self._transcript.append(call)
        # Woken twice: when a call starts (a long poll may last long) and when it has ended.
        self._transcript.wake_watchers()
        try:
            await self._network.wait(canonical, call.chat_id)
            if canonical is None:
                raise ApiFailure(404, "Not Found: method not found")
            p = Params(params, uploads)
            self._failures.inject(canonical, call.chat_id)
            if canonical == "getUpdates":
                result: Any = await self._updates.get_updates(p)
            else:
                handler = self._handlers[canonical.lower()]
                with self._lock:
                    result = handler(p)
        except ApiFailure as failure:
            call.error = failure.as_error()
            return failure.status, failure.body()
        except TimedOut as exc:
            call.error = ApiError("timeout", None, exc.message)
            raise
        except NetworkError as exc:
            call.error = ApiError("network", None, exc.message)
            raise
        finally:
            self._transcript.wake_watchers()
        if self._transcript.record:
            call.result = copy.deepcopy(result)
        return 200, {"ok": True, "result": result}

    def download_file(self, url_or_path: str) -> tuple[int, bytes]:
        """Return (status, bytes) for a file URL ``<base_file_url><token>/<file_path>``."""
        return self._files.download_file(url_or_path)

    # ------------------------------------------------------------ the network and failures

    @property
    def round_trip(self) -> float:
        """Seconds every call takes before it is answered (0: at once)."""
        return self._network.round_trip

    @round_trip.setter
    def round_trip(self, seconds: float) -> None:
        self._network.round_trip = seconds

    def hold_chat(self, chat_id: int) -> None:
        """Make calls into `chat_id` wait (recorded, not answered) until release_chat().

        For tests in the bot's own event loop: what the bot does while Telegram is slow for
        one person.
        """
        self._network.hold_chat(chat_id)

    def release_chat(self, chat_id: int | None = None) -> None:
        """Let the held calls into `chat_id` (None: every held chat) and later ones be answered."""
        self._network.release_chat(chat_id)

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
        self._failures.add(method, times, error, retry_after, description, chat_id)

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
        self._failures.add(method, None, error, retry_after, description, chat_id)

    def clear_failures(self) -> None:
        """Forget every pending injected failure."""
        self._failures.clear()

    def block(self, user_id: int) -> None:
        """Make the user's private chat answer every send with 403 (bot blocked)."""
        self._chats.block(user_id)

    def unblock(self, user_id: int) -> None:
        """Let the bot reach the user's private chat again."""
        self._chats.unblock(user_id)

    @property
    def unknown_chats(self) -> set[int | str]:
        """Chats that answer "chat not found" (add or discard ids to steer it)."""
        return self._chats.unknown_chats

    # ------------------------------------------------------------ inspection

    @property
    def bot_user(self) -> JSONDict:
        """Return the bot's User JSON, as getMe answers it."""
        return self._chats.bot_user

    @property
    def record_calls(self) -> bool:
        """Whether calls (and update deliveries) are recorded; off for long runs."""
        return self._transcript.record

    @record_calls.setter
    def record_calls(self, record: bool) -> None:
        self._transcript.record = record

    @property
    def calls(self) -> list[ApiCall]:
        """Return the recorded calls, in order (the live list)."""
        return self._transcript.calls

    def calls_for(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of one method (any spelling case)."""
        return self._transcript.calls_for(method)

    def calls_to(self, chat_id: int | str) -> list[ApiCall]:
        """Return the recorded calls addressed to one chat."""
        return self._transcript.calls_to(chat_id)

    def clear(self) -> None:
        """Forget the recorded calls; messages, files and chats stay."""
        self._transcript.clear()

    async def wait_until(self, condition: Callable[[], bool], *, within: float) -> bool:
        """Wait until ``condition()`` holds, checked again as every API call starts and ends.

        Return False if ``within`` seconds pass first.
        """
        return await self._transcript.wait_until(condition, within=within)

    def sent_messages(self, chat_id: int | None = None, *, start: int = 0) -> list[SentMessage]:
        """Return every message the bot sent, in order and in its current state.

        With a chat, ``start`` skips that chat's first messages (``message_count`` of earlier).
        """
        return self._store.sent_messages(chat_id, start=start)

    def forget_chat(self, chat_id: int) -> None:
        """Drop a chat's stored messages, the files they carry and what was learnt about it.

        For long runs (the benchmarks), once a simulated person is done.
        """
        with self._lock:
            for raw in self._store.forget(chat_id):
                self._files.forget_media(raw)
            self._chats.forget(chat_id)

    def message_count(self, chat_id: int) -> int:
        """Return how many messages the bot has sent to a chat."""
        return self._store.message_count(chat_id)

    async def wait_for_messages(self, chat_id: int, more_than: int, *, within: float) -> bool:
        """Wait until the bot has sent more than ``more_than`` messages to a chat.

        Return False if ``within`` seconds pass first. Woken by each message, never polling.
        """
        return await self._store.wait_for_messages(chat_id, more_than, within=within)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """Return the current state of any stored message; KeyError if unknown."""
        return self._store.message(chat_id, message_id)

    def last_message(self, chat_id: int) -> SentMessage:
        """Return the latest message the bot sent to a chat; AssertionError if none."""
        return self._store.last_message(chat_id)

    def last_text(self, chat_id: int) -> str:
        """Return the text (or caption) of the latest message the bot sent to a chat."""
        return self.last_message(chat_id).text

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the commands stored for a scope (default scope if None) and language."""
        return self._commands.my_commands(scope, language_code)

    # ------------------------------------------------------------ updates and the webhook

    def pending_updates(self) -> list[JSONDict]:
        """Return the queued updates that getUpdates has not confirmed yet."""
        return self._updates.pending_updates()

    def confirm_updates(self, offset: int) -> None:
        """Forget queued updates below ``offset``, as a getUpdates offset or a webhook 200 does."""
        self._updates.confirm_updates(offset)

    def hold_confirmations(self, hold: bool = True) -> None:
        """Make getUpdates offsets confirm nothing while held (``False`` ends it).

        As if the bot's acknowledgements never reached Telegram because it was killed before
        its next poll: the polling bot still pages forward, but a restarted bot, which starts
        without an offset, gets every update of the held time again, handled or not.
        """
        self._updates.hold_confirmations(hold)

    def deliveries(self, update_id: int) -> int:
        """Return how many getUpdates answers carried an update."""
        return self._updates.deliveries(update_id)

    def redelivered(self) -> list[int]:
        """Return the ids of the updates that getUpdates delivered more than once."""
        return self._updates.redelivered()

    def pending_update_count(self) -> int:
        """Return how many queued updates getUpdates has not confirmed yet (no copies)."""
        return self._updates.pending_update_count()

    @property
    def webhook_url(self) -> str:
        """Return the URL set with setWebhook, or "" when polling."""
        return self._updates.webhook_url

    # ------------------------------------------------------------ incoming side

    def allocate_message_id(self, chat_id: int) -> int:
        """Reserve the next message_id of a chat (shared by incoming and outgoing messages)."""
        return self._store.allocate_message_id(chat_id)

    def allocate_update_id(self) -> int:
        """Reserve the next update_id."""
        return self._updates.allocate_update_id()

    def remember_message(self, message: Mapping[str, Any]) -> None:
        """Store an incoming message so that copy/forward/reply/delete can find it."""
        self._incoming.remember_message(message)

    def register_inline_message(
        self, inline_message_id: str, text: str = "", reply_markup: Mapping[str, Any] | None = None
    ) -> None:
        """Make an inline message (sent via inline mode) editable by inline_message_id."""
        self._store.register_inline_message(inline_message_id, text, reply_markup)

    def queue_update(self, update: Mapping[str, Any] | Update) -> int:
        """Queue an update for getUpdates, waking long polls, and return its update_id.

        A missing or stale update_id is replaced, so that offsets keep working.
        """
        return self._incoming.queue_update(update)

    # ------------------------------------------------------------ files

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
            return self._files.store_file(
                content,
                kind=kind,
                file_name=file_name,
                mime_type=mime_type,
                file_unique_id=file_unique_id,
            ).file_id

    def file_content(self, file_id: str) -> bytes:
        """Return the bytes of a known file; KeyError if unknown."""
        return self._files.file_content(file_id)

    def file_unique_id(self, file_id: str) -> str:
        """Return the file_unique_id of a known file; KeyError if unknown."""
        return self._files.file_unique_id(file_id)
