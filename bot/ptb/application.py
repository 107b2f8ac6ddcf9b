"""The Application subclass that owns the services' lifetime."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.ptb.commands import publish_commands
from bot.ptb.context import BotContext, Hosted

log = logging.getLogger(__name__)

Context = BotContext[Any]
# What python-telegram-bot builds for every update and job (`ApplicationBuilder.context_types`).
CONTEXT_TYPES: ContextTypes[Context, dict[Any, Any], dict[Any, Any], dict[Any, Any]] = ContextTypes(
    context=BotContext
)


H = TypeVar("H", bound=Hosted)
# A start-up step a feature adds (e.g. checking the officers' chat); it must handle its own
# Telegram errors, because a step that raises stops the start-up.
StartupHook = Callable[["TipsApplication[Any]"], Awaitable[None]]


class TipsApplication(
    Application[
        ExtBot[None],
        Context,
        dict[Any, Any],
        dict[Any, Any],
        dict[Any, Any],
        JobQueue[Context],
    ],
    Generic[H],
):
    """A python-telegram-bot Application that opens the database before anything else runs."""

    def __init__(self, *, services: H, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.startup_hooks: list[StartupHook] = []

    async def initialize(self) -> None:
        """Open and migrate the database, then initialise PTB (persistence reads the database)."""
        await self.services.start()
        try:
            await super().initialize()
        except BaseException:
            await self.services.stop()
            raise
        try:
            await publish_commands(self.bot, self.services.default_language)
        except TelegramError as error:
            # The menu of commands is a convenience; a failure here must not stop the bot.
            log.warning("could not publish the command menu: %s", error)
        # After PTB's initialise: the hooks may use the bot (its id, the Bot API).
        try:
            for hook in self.startup_hooks:
                await hook(self)
        except BaseException:
            await self.shutdown()
            raise

    async def shutdown(self) -> None:
        """Shut PTB down, then close the database."""
        try:
            await super().shutdown()
        finally:
            await self.services.stop()


async def freeze_startup_heap(_application: TipsApplication[Any]) -> None:
    """Take what start-up left alive out of the garbage collector's rounds (`gc.freeze`).

    python-telegram-bot, the translation catalogs and our modules leave a large heap that lives
    as long as the process; every full collection walked it again, which showed as 30-40 ms
    pauses in a third of the officers' /figures answers (BENCHMARKS.md). Frozen, it is never
    scanned; nothing in it was going to be freed. Only for a process that runs one bot
    (`python -m bot run`): frozen reference cycles are never freed, and a test process builds
    hundreds of applications.
    """
    gc.collect()
    gc.freeze()
    log.info(
        "start-up heap frozen: %d objects out of the collector's rounds", gc.get_freeze_count()
    )
