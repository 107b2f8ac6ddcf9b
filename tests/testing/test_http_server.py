"""Tests of the loopback HTTP front, driven by a real telegram.Bot over real HTTP."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.testing import BotApiHttpServer, InMemoryBotApi, Person, UpdateBuilder
from bot.testing.http_server import parse_multipart

USER = Person(101, "Lan")


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; loopback traffic must never leave the machine.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def api() -> InMemoryBotApi:
    return InMemoryBotApi()


@pytest.fixture
async def server(api: InMemoryBotApi) -> AsyncIterator[BotApiHttpServer]:
    async with BotApiHttpServer(api) as running:
        yield running


@pytest.fixture
async def bot(server: BotApiHttpServer) -> AsyncIterator[Bot]:
    tg_bot = Bot(
        token="123:ABC",
        base_url=server.url + "/bot",
        base_file_url=server.url + "/file/bot",
        get_updates_request=HTTPXRequest(read_timeout=5),
    )
    async with tg_bot:
        yield tg_bot


async def test_get_me_and_send_message(
    bot: Bot, api: InMemoryBotApi, server: BotApiHttpServer
) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert bot.username == "tinbao_test_bot"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
    message = await bot.send_message(
        USER.id, "123", reply_markup=markup, protect_content=True, parse_mode="HTML"
    )
    # "123" must stay text even though form fields arrive as strings.
    assert message.text == "123"
    assert message.reply_markup == markup
    assert message.has_protected_content is True
    call = api.calls_for("sendMessage")[0]
    assert call.chat_id == USER.id
    assert call.params["reply_markup"] == markup.to_dict()
    assert api.last_message(USER.id).button_data("Có") == "yes"


async def test_errors_keep_telegram_shape(bot: Bot, api: InMemoryBotApi) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER.id, " ")
    api.fail_next("sendMessage", error="429", retry_after=2)
    with pytest.raises(RetryAfter):
        await bot.send_message(USER.id, "x")
    api.fail_next("sendMessage", error="5xx")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER.id, "x")


async def test_simulated_network_failures(bot: Bot, api: InMemoryBotApi) -> None:
    api.fail_next("sendMessage", error="network")
    with pytest.raises(NetworkError) as excinfo:
        await bot.send_message(USER.id, "x")
    assert not isinstance(excinfo.value, TimedOut)
    api.fail_next("sendMessage", error="timeout")
    with pytest.raises(TimedOut):
        await bot.send_message(USER.id, "x", read_timeout=0.2)
    assert (await bot.send_message(USER.id, "ok")).text == "ok"


async def test_long_poll_is_woken_and_does_not_block_others(bot: Bot, api: InMemoryBotApi) -> None:
    builder = UpdateBuilder(bot, api)
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await asyncio.sleep(0.05)
    # Another connection is served while the long poll waits.
    sent = await asyncio.wait_for(bot.send_message(USER.id, "song song"), 0.5)
    assert sent.text == "song song"
    assert not poll.done()
    api.queue_update(builder.text(USER, "đánh thức"))
    updates = await asyncio.wait_for(poll, 0.9)
    assert [u.message.text for u in updates if u.message] == ["đánh thức"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_upload_and_download_files(bot: Bot, api: InMemoryBotApi) -> None:
    content = bytes(range(256)) * 4
    message = await bot.send_document(USER.id, content, filename="dữ liệu.bin", caption="tệp")
    assert message.document is not None
    assert message.caption == "tệp"
    assert message.document.file_name == "dữ liệu.bin"
    file = await bot.get_file(message.document.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(bot.base_file_url)
    assert await file.download_as_bytearray() == bytearray(content)

    builder = UpdateBuilder(bot, api)
    update = builder.photo(USER, content=b"incoming-jpeg")
    assert update.message is not None
    photo_file = await bot.get_file(update.message.photo[-1].file_id)
    assert await photo_file.download_as_bytearray() == bytearray(b"incoming-jpeg")


async def test_keep_alive_reuses_connections(bot: Bot, server: BotApiHttpServer) -> None:
    before = server.connections_accepted
    for index in range(5):
        await bot.send_message(USER.id, f"tin {index}")
    assert server.connections_accepted - before <= 1


async def _raw_exchange(server: BotApiHttpServer, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(payload)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    await writer.wait_closed()
    return data


async def test_raw_http_json_form_query_and_close(server: BotApiHttpServer) -> None:
    body = json.dumps({"chat_id": 5, "text": "json"}).encode()
    form = b"chat_id=5&text=%7B%22not%22%3A+%22json%22%7D"
    requests = (
        b"POST /bot1:x/sendMessage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
        + b"POST /bot1:x/sendMessage HTTP/1.1\r\nHost: t\r\n"
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(form)}\r\n\r\n".encode()
        + form
        + b"GET /bot1:x/getMe?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    data = await _raw_exchange(server, requests)
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert b'"text": "json"' in data
    assert b'"text": "{\\"not\\": \\"json\\"}"' in data
    assert b'"username": "tinbao_test_bot"' in data
    assert data.rstrip().endswith(b"}")


async def test_raw_http_unknown_paths(server: BotApiHttpServer) -> None:
    data = await _raw_exchange(
        server,
        b"POST /bot1:x/noSuchMethod HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
        b"GET /file/bot1:x/photos/missing.jpg HTTP/1.1\r\n\r\n"
        b"GET /elsewhere HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    assert data.count(b"HTTP/1.1 404 Not Found") == 3
    assert b"Not Found: method not found" in data


def test_parse_multipart() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="chat_id"\r\n\r\n'
        b"42\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="caption"\r\n\r\n'
        b"7\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n"
        b"\xff\xd8\r\n\xff\xd9\r\n"
        b"--XyZ--\r\n"
    )
    fields, files = parse_multipart(body, "XyZ")
    assert fields == {"chat_id": 42, "caption": "7"}
    assert files["photo"].content == b"\xff\xd8\r\n\xff\xd9"
    assert files["photo"].filename == "a.jpg"
    assert files["photo"].mime_type == "image/jpeg"


async def test_start_stop_idempotent(api: InMemoryBotApi) -> None:
    server = BotApiHttpServer(api)
    with pytest.raises(RuntimeError):
        _ = server.url
    await server.start()
    await server.start()
    port = server.port
    await server.stop()
    await server.stop()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_updates_fetched_but_not_confirmed_come_again_over_http(
    server: BotApiHttpServer, api: InMemoryBotApi
) -> None:
    def client() -> Bot:
        return Bot(
            token="123:ABC",
            base_url=server.url + "/bot",
            get_updates_request=HTTPXRequest(read_timeout=5),
        )

    builder = UpdateBuilder(client(), api)
    ids = [api.queue_update(builder.text(USER, f"m{i}")) for i in range(3)]
    async with client() as killed:
        assert [u.update_id for u in await killed.get_updates(timeout=0)] == ids
        # Its next poll confirmed the first update only; then the process died.
        await killed.get_updates(offset=ids[1], timeout=0)
    async with client() as restarted:
        again = await restarted.get_updates(offset=0, timeout=0)
        assert [u.update_id for u in again] == ids[1:]
        await restarted.get_updates(offset=ids[-1] + 1, timeout=0)
    assert api.pending_update_count() == 0
