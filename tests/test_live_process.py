"""The bot as its own process, polling a Bot API server on 127.0.0.1 over real HTTP."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from telegram import Bot

from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, process_environment
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person, UpdateBuilder


async def _until(condition: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(30):
            # The bot is another process: polling what it sent is the only signal we have.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_start_and_language_over_real_http_polling(tmp_path: Path) -> None:
    api = InMemoryBotApi()
    person = Person(id=777000111, first_name="Minh", username="minh_kg")
    async with BotApiHttpServer(api) as server:
        env = process_environment(
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            SECRET_KEY=TEST_SECRET,
            TELEGRAM_API_BASE_URL=f"{server.url}/bot",
            TELEGRAM_API_FILE_URL=f"{server.url}/file/bot",
            DATABASE_PATH=str(tmp_path / "tips.sqlite3"),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            builder = UpdateBuilder(Bot(TEST_TOKEN), api)

            def replied(prefix: str) -> bool:
                return any(m.text.startswith(prefix) for m in api.sent_messages(person.id))

            api.queue_update(builder.command(person, "/start"))
            await _until(lambda: replied("Xin chào Minh!"), "the Vietnamese welcome")

            api.queue_update(builder.command(person, "/language"))
            await _until(lambda: replied("Chọn ngôn ngữ / Choose a language"), "the language menu")
            menu = api.sent_messages(person.id)[-1]
            api.queue_update(builder.callback(person, menu, menu.button_data("🇬🇧 English")))
            await _until(lambda: replied("Switched to <b>English</b>."), "the switch")

            api.queue_update(builder.command(person, "/start"))
            await _until(lambda: replied("Hello Minh!"), "the English welcome")
            assert api.calls_for("getUpdates"), "updates came through long polling"
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
        assert TEST_TOKEN.encode() not in stderr  # the token never reaches the log
