"""Drive the real application over the in-memory Bot API, one update at a time.

Tests, the sandbox and the benchmarks share this: the same `build_application` as production,
with an extra error handler that records every handler exception so a test can fail on it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.app import build_application
from bot.container import Container
from bot.kernel.clock import Clock
from bot.kernel.config import Settings, load_settings
from bot.ptb.application import TipsApplication
from bot.ptb.concurrency import ConcurrentUpdates, MakeProcessor
from bot.testing.botapi import InMemoryBotApi, SentMessage
from bot.testing.updates import Person, UpdateBuilder

TEST_TOKEN = "123456789:TEST-token-for-the-in-memory-bot-api"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


class HandlerFailedError(AssertionError):
    """A handler raised while processing an update the test sent."""


def settings_for_tests(database_path: Path, **overrides: Any) -> Settings:
    """Return settings for a bot that talks only to the in-memory Bot API."""
    values: dict[str, Any] = {
        "telegram_bot_token": TEST_TOKEN,
        "secret_key": TEST_SECRET,
        "database_path": database_path,
        # The in-memory API has no flood limits; Telegram's would only slow the tests down.
        "rate_limit_per_second": 100_000,
        "rate_limit_group_per_minute": 1_000_000,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


class BotHarness:
    """A started `TipsApplication` on an `InMemoryBotApi`, fed with built updates."""

    def __init__(
        self,
        settings: Settings,
        *,
        api: InMemoryBotApi | None = None,
        clock: Clock | None = None,
        via_inbox: bool = False,
        processor: MakeProcessor = ConcurrentUpdates,
    ) -> None:
        self.settings = settings
        # True: `send` takes every update as `python -m bot run` does, through the durable
        # inbox (stored sealed, then handled from the update queue); False: straight to the
        # handlers with `process_update`, which most tests need no more than.
        self.via_inbox = via_inbox
        self.api = api or InMemoryBotApi()
        self.clock = clock or Clock()
        self.app: TipsApplication[Container] = build_application(
            settings, request=self.api, clock=self.clock, processor=processor
        )
        self.errors: list[BaseException] = []
        self.app.add_error_handler(self._record_error)
        self.updates = UpdateBuilder(self.app.bot, self.api)

    async def _record_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    async def start(self) -> None:
        """Initialise and start the application (database, migrations, job queue)."""
        await self.app.initialize()
        await self.app.start()

    async def stop(self) -> None:
        """Stop and shut the application down, closing the database."""
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def __aenter__(self) -> BotHarness:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def send(self, update: Update, *, allow_errors: bool = False) -> None:
        """Process one update through every handler; fail if a handler raised."""
        if self.via_inbox:
            await self.receive(update, allow_errors=allow_errors)
            return
        before = len(self.errors)
        await self.app.process_update(update)
        new = self.errors[before:]
        if new and not allow_errors:
            raise HandlerFailedError(f"handler raised {new[0]!r}") from new[0]

    async def receive(self, *updates: Update, allow_errors: bool = False) -> None:
        """Take updates as the running bot does: stored in the inbox, then handled from it.

        Waits until every one is handled and its done mark written (bot.inbox).
        """
        before = len(self.errors)
        inbox = self.app.services.inbox
        for update in await inbox.store(updates):
            await self.app.update_queue.put(update)
        await self.settle()
        new = self.errors[before:]
        if new and not allow_errors:
            raise HandlerFailedError(f"handler raised {new[0]!r}") from new[0]

    async def settle(self) -> None:
        """Wait until every queued update is handled and the inbox has marked it done."""
        await self.app.update_queue.join()
        await self.app.services.inbox.drain()

    async def say(self, person: Person, text: str, **kwargs: Any) -> None:
        """Send a text message from `person` (a command if it starts with '/')."""
        if text.startswith("/"):
            command, *args = text.split(" ")
            await self.send(self.updates.command(person, command, *args, **kwargs))
        else:
            await self.send(self.updates.text(person, text, **kwargs))

    async def press(
        self, person: Person, button_text: str, *, chat_id: int | None = None
    ) -> SentMessage:
        """Press the inline button labelled `button_text` on the latest message that has it."""
        chat = person.id if chat_id is None else chat_id
        for message in reversed(self.api.sent_messages(chat)):
            try:
                data = message.button_data(button_text)
            except KeyError:
                continue
            await self.send(self.updates.callback(person, message, data, chat_id=chat_id))
            return message
        raise AssertionError(f"no message in chat {chat} has a button {button_text!r}")

    def texts(self, chat_id: int) -> list[str]:
        """Return the texts the bot sent to a chat, in order."""
        return [message.text for message in self.api.sent_messages(chat_id)]


def process_environment(**settings: str) -> dict[str, str]:
    """Return this process's environment without any bot setting, plus `settings`."""
    environment = {
        key: value for key, value in os.environ.items() if key.lower() not in Settings.model_fields
    }
    environment.update(settings)
    return environment


def run_bot_cli(
    *args: str, cwd: Path | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot *args` in a child process with `settings` as its only bot settings."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=process_environment(**settings),
        # Never the terminal: without a token `run` would open the interactive sandbox.
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class BotProcess:
    """`python -m bot run` as a child process; `stderr` is filled in once it has stopped."""

    process: asyncio.subprocess.Process
    stderr: bytes = b""


@asynccontextmanager
async def bot_process(cwd: Path, **settings: str) -> AsyncIterator[BotProcess]:
    """Run the bot as its own process; on leaving, stop it as a service manager would (SIGTERM)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=process_environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = BotProcess(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, running.stderr = await asyncio.wait_for(process.communicate(), timeout=30)
