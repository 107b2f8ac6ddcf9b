"""Webhook mode as a real process: updates without Telegram's secret header are rejected."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

from telegram import Bot

from bot.testing.botapi import InMemoryBotApi
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, bot_process
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person, UpdateBuilder

WEBHOOK_SECRET = "webhook_secret-0123456789-abcdefghij"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _post(url: str, payload: dict[str, object], secret: str | None) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0  # not listening yet


async def test_webhook_rejects_updates_without_the_secret_and_serves_the_rest(
    tmp_path: Path,
) -> None:
    api = InMemoryBotApi()
    port = _free_port()
    person = Person(id=888000111, first_name="Hoa")
    async with BotApiHttpServer(api) as server:
        async with bot_process(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            SECRET_KEY=TEST_SECRET,
            TELEGRAM_API_BASE_URL=f"{server.url}/bot",
            TELEGRAM_API_FILE_URL=f"{server.url}/file/bot",
            DATABASE_PATH=str(tmp_path / "tips.sqlite3"),
            BOT_MODE="webhook",
            WEBHOOK_URL="https://bot.example.invalid/telegram-hook",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
        ) as bot:
            assert await api.wait_until(lambda: api.webhook_url != "", within=30), (
                "timed out waiting for setWebhook"
            )
            set_webhook = api.calls_for("setWebhook")[-1].params
            assert set_webhook["url"] == "https://bot.example.invalid/telegram-hook"
            assert set_webhook["secret_token"] == WEBHOOK_SECRET

            builder = UpdateBuilder(Bot(TEST_TOKEN))
            hook = f"http://127.0.0.1:{port}/telegram-hook"
            start = builder.payload(builder.command(person, "/start"))
            loop = asyncio.get_running_loop()
            status = 0
            for _ in range(100):  # the listener may need a moment after setWebhook
                status = await loop.run_in_executor(None, _post, hook, start, None)
                if status:
                    break
                await asyncio.sleep(0.1)
            assert status == 403
            wrong = await loop.run_in_executor(None, _post, hook, start, "not-the-secret")
            assert wrong == 403
            assert api.sent_messages(person.id) == []

            right = await loop.run_in_executor(None, _post, hook, start, WEBHOOK_SECRET)
            assert right == 200
            assert await api.wait_until(
                lambda: any(
                    m.text.startswith("Xin chào Hoa!") for m in api.sent_messages(person.id)
                ),
                within=30,
            ), "timed out waiting for the welcome sent for the authentic update"
            assert len(api.sent_messages(person.id)) == 1
        assert bot.process.returncode == 0, bot.stderr.decode()
        assert b"Traceback" not in bot.stderr
