"""Start-up as a process: it waits out an unreachable Bot API; 401 and 409 stop it with one line."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from bot.testing.botapi import FailureKind, InMemoryBotApi
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, bot_process
from bot.testing.http_server import BotApiHttpServer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "SECRET_KEY": TEST_SECRET,
        "TELEGRAM_API_BASE_URL": f"{url}/bot",
        "TELEGRAM_API_FILE_URL": f"{url}/file/bot",
        "DATABASE_PATH": str(tmp_path / "tips.sqlite3"),
        "BACKUP_INTERVAL_HOURS": "0",
    }


def _lines(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode().splitlines() if line.strip()]


async def test_the_bot_waits_for_an_unreachable_bot_api_and_comes_up_by_itself(
    tmp_path: Path,
) -> None:
    port = _free_port()
    api = InMemoryBotApi()
    async with bot_process(tmp_path, **_settings(tmp_path, f"http://127.0.0.1:{port}")) as bot:
        # Nothing listens yet: attempts at about 0, 1 and 3 s.
        await asyncio.sleep(3.5)
        gave_up = bot.process.returncode is not None
        assert not gave_up, "the bot gave up instead of waiting"
        async with BotApiHttpServer(api, port=port):
            assert await api.wait_until(lambda: bool(api.calls_for("getUpdates")), within=30), (
                "the bot never came up once the Bot API appeared"
            )
    assert bot.process.returncode == 0, bot.stderr.decode()
    lines = _lines(bot.stderr)
    waits = [line for line in lines if "cannot reach the Bot API" in line]
    assert len(waits) >= 2, lines
    assert all("trying again in" in line for line in waits)
    assert "Traceback" not in bot.stderr.decode()
    assert TEST_TOKEN not in bot.stderr.decode()


async def _stopped_by(tmp_path: Path, method: str, error: FailureKind) -> tuple[int, str]:
    """Run the bot against a Bot API whose `method` always fails; return its code and line.

    The line is the one thing it printed besides its log lines (migrations at start-up).
    """
    api = InMemoryBotApi()
    api.fail_until_cleared(method, error=error)
    async with (
        BotApiHttpServer(api) as server,
        bot_process(tmp_path, **_settings(tmp_path, server.url)) as bot,
    ):
        await asyncio.wait_for(bot.process.wait(), 30)
    stderr = bot.stderr.decode()
    assert "Traceback" not in stderr
    lines = [line for line in _lines(bot.stderr) if not line[:4].isdigit()]
    assert len(lines) == 1, stderr
    assert bot.process.returncode is not None
    return bot.process.returncode, lines[0]


async def test_a_token_telegram_rejects_stops_start_up_with_one_line(tmp_path: Path) -> None:
    code, line = await _stopped_by(tmp_path, "getMe", "401")
    assert code == 2
    assert line.startswith("Error: TELEGRAM_BOT_TOKEN: Telegram rejected the token")


async def test_a_second_poller_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    code, line = await _stopped_by(tmp_path, "getUpdates", "409")
    assert code == 1
    assert line.startswith("Error: ")
    assert "another process is receiving this bot's updates" in line
    assert "terminated by other getUpdates request" in line


async def test_a_bot_waiting_for_the_bot_api_stops_cleanly_when_told(tmp_path: Path) -> None:
    port = _free_port()
    async with bot_process(tmp_path, **_settings(tmp_path, f"http://127.0.0.1:{port}")) as bot:
        await asyncio.sleep(2)  # waiting between two attempts; then SIGTERM on leaving
    assert bot.process.returncode == 0, bot.stderr.decode()
    assert "Traceback" not in bot.stderr.decode()
