"""Loopback HTTP/1.1 front for InMemoryBotApi, so a real HTTP client can talk to it."""

import asyncio
import contextlib
import json
import re
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.error import NetworkError, TimedOut

from bot.testing.botapi import InMemoryBotApi, UploadedFile

__all__ = ["BotApiHttpServer", "parse_multipart"]

JSONDict = dict[str, Any]

# Form and multipart values arrive as strings. These parameters are strings in the Bot API and
# must stay so; any other value is JSON-decoded (numbers, booleans, objects, arrays).
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "file_id",
        "photo",
        "document",
        "video",
        "voice",
        "audio",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "title",
        "performer",
        "description",
        "short_description",
        "name",
        "action",
        "language_code",
        "secret_token",
        "ip_address",
        "emoji",
        "query",
        "question",
        "explanation",
        "custom_title",
        "business_connection_id",
        "message_effect_id",
        "data",
    }
)
_MAX_HEADER_LINES = 100
# How long a simulated timeout holds a connection without answering: the client's own read
# timeout fires first, exactly as with a stalled Telegram.
_TIMEOUT_HOLD_SECONDS = 60.0
_DISPOSITION_PARAM_RE = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


class _BadHttpRequest(Exception):
    """Signal a request that cannot be parsed as HTTP."""


def _decode_value(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) or decoded is None else decoded


def _content_type(headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    raw = headers.get("content-type", "")
    main, _, rest = raw.partition(";")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3) or "")
        for m in _DISPOSITION_PARAM_RE.finditer(";" + rest)
    }
    return main.strip().lower(), params


def parse_multipart(body: bytes, boundary: str) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Split a multipart/form-data body into string fields and uploaded files."""
    fields: JSONDict = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, content = chunk.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params = {
            m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3) or "")
            for m in _DISPOSITION_PARAM_RE.finditer(disposition)
        }
        name = params.get("name")
        if name is None:
            continue
        filename = params.get("filename")
        if "filename*" in params:
            filename = unquote(params["filename*"].split("''", 1)[-1])
        if filename is not None:
            files[name] = UploadedFile(content, filename or None, headers.get("content-type"))
        else:
            fields[name] = _decode_value(name, content.decode("utf-8", "replace"))
    return fields, files


def _parse_form(text: str) -> JSONDict:
    return {k: _decode_value(k, v) for k, v in parse_qsl(text, keep_blank_values=True)}


class BotApiHttpServer:
    """Serve an InMemoryBotApi over HTTP/1.1 on 127.0.0.1 at a random free port."""

    def __init__(self, api: InMemoryBotApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.connections_accepted = 0

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:45123."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the value for Bot(base_url=...)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for Bot(base_file_url=...)."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Start listening; calling it again while running does nothing."""
        if self._server is not None:
            return
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._serve_connection, self._host, self._port)

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> "BotApiHttpServer":
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------ connection handling

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections_accepted += 1
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while not self._stopping.is_set():
                keep_alive = await self._serve_one(reader, writer)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, _BadHttpRequest):
            pass
        except asyncio.CancelledError:
            # stop() cancels open connections; the task must end quietly.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; return whether the connection stays open."""
        request_line = await reader.readline()
        if not request_line:
            return False
        parts = request_line.decode("latin-1").split()
        if len(parts) != 3:
            raise _BadHttpRequest(request_line)
        verb, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADER_LINES):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        else:
            raise _BadHttpRequest("too many headers")
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await self._read_body(reader, headers)
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        try:
            status, payload, content_type = await self._dispatch(verb, target, headers, body)
        except TimedOut:
            await self._hold_until_client_leaves(reader)
            return False
        except NetworkError:
            writer.transport.abort()
            return False
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
            "Server: tinbao-fake-bot-api\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + (b"" if verb == "HEAD" else payload))
        await writer.drain()
        return keep_alive

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = await reader.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(await reader.readexactly(size))
                await reader.readline()
        length = int(headers.get("content-length", "0") or "0")
        return await reader.readexactly(length) if length > 0 else b""

    async def _hold_until_client_leaves(self, reader: asyncio.StreamReader) -> None:
        stopping = asyncio.ensure_future(self._stopping.wait())
        eof = asyncio.ensure_future(reader.read())
        try:
            await asyncio.wait({stopping, eof}, timeout=_TIMEOUT_HOLD_SECONDS)
        finally:
            stopping.cancel()
            eof.cancel()

    async def _dispatch(
        self, verb: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        path = urlsplit(target).path
        query = urlsplit(target).query
        if path.startswith("/file/"):
            if verb not in ("GET", "HEAD"):
                return _json_answer(405, "Method Not Allowed")
            status, content = self.api.download_file(path)
            kind = "application/octet-stream" if status == 200 else "application/json"
            return status, content, kind
        segments = [s for s in path.split("/") if s]
        if len(segments) < 2 or not segments[0].startswith("bot"):
            return _json_answer(404, "Not Found")
        params: JSONDict = _parse_form(query)
        files: dict[str, UploadedFile] = {}
        media_type, type_params = _content_type(headers)
        if body:
            if media_type == "application/json":
                try:
                    decoded = json.loads(body)
                except ValueError:
                    return _json_answer(400, "Bad Request: can't parse JSON object")
                if not isinstance(decoded, dict):
                    return _json_answer(400, "Bad Request: can't parse JSON object")
                params.update(decoded)
            elif media_type == "multipart/form-data" and "boundary" in type_params:
                fields, files = parse_multipart(body, type_params["boundary"])
                params.update(fields)
            else:
                params.update(_parse_form(body.decode("utf-8", "replace")))
        status, answer = await self.api.handle(segments[-1], params, files)
        return status, json.dumps(answer, ensure_ascii=False).encode("utf-8"), "application/json"


def _json_answer(status: int, description: str) -> tuple[int, bytes, str]:
    body = {"ok": False, "error_code": status, "description": description}
    return status, json.dumps(body).encode(), "application/json"
