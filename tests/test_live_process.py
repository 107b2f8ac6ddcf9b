"""The bot as its own process, polling a Bot API server on 127.0.0.1 over real HTTP."""

from __future__ import annotations

from pathlib import Path

from telegram import Bot

from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, bot_process
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person, UpdateBuilder


async def test_start_and_language_over_real_http_polling(tmp_path: Path) -> None:
    api = InMemoryBotApi()
    person = Person(id=777000111, first_name="Minh", username="minh_kg")
    async with BotApiHttpServer(api) as server:
        async with bot_process(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            SECRET_KEY=TEST_SECRET,
            TELEGRAM_API_BASE_URL=f"{server.url}/bot",
            TELEGRAM_API_FILE_URL=f"{server.url}/file/bot",
            DATABASE_PATH=str(tmp_path / "tips.sqlite3"),
        ) as bot:
            builder = UpdateBuilder(Bot(TEST_TOKEN), api)

            def replied(prefix: str) -> bool:
                return any(m.text.startswith(prefix) for m in api.sent_messages(person.id))

            api.queue_update(builder.command(person, "/start"))
            assert await api.wait_until(lambda: replied("Xin chào Minh!"), within=30), (
                "timed out waiting for the Vietnamese welcome"
            )

            api.queue_update(builder.command(person, "/language"))
            assert await api.wait_until(
                lambda: replied("Chọn ngôn ngữ / Choose a language"), within=30
            ), "timed out waiting for the language menu"
            menu = api.sent_messages(person.id)[-1]
            api.queue_update(builder.callback(person, menu, menu.button_data("🇬🇧 English")))
            assert await api.wait_until(
                lambda: replied("Switched to <b>English</b>."), within=30
            ), "timed out waiting for the switch"

            api.queue_update(builder.command(person, "/start"))
            assert await api.wait_until(lambda: replied("Hello Minh!"), within=30), (
                "timed out waiting for the English welcome"
            )
            assert api.calls_for("getUpdates"), "updates came through long polling"
        assert bot.process.returncode == 0, bot.stderr.decode()
        assert b"Traceback" not in bot.stderr
        assert TEST_TOKEN.encode() not in bot.stderr  # the token never reaches the log
        assert b"start-up heap frozen" in bot.stderr  # bot.ptb.application.freeze_startup_heap
