"""The update processor the benchmarks install: the bot's own, noting when each update is done.

python-telegram-bot hands each update to `Application.update_processor`. `TimedUpdateProcessor`
runs it as production does — one at a time, or `bot.ptb.concurrency.ConcurrentUpdates` (several
people at once, each person's updates in order) — and resolves, for every update id, a future
with the `perf_counter()` at which the application finished processing it: the benchmarks
measure "update in, answer out" with it. The same processor serves PTB's bare baseline, so
both applications are fed alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.ptb.concurrency import Around, ConcurrentUpdates


class TimedUpdateProcessor(BaseUpdateProcessor):
    """Process updates as the bot does with `max_running` at once; note when each is done."""

    def __init__(self, max_running: int, *, around: Around | None = None) -> None:
        # As production builds it (bot.app): `around` is the bot's durable inbox; with one at
        # a time python-telegram-bot awaits each update inline.
        self.inner = ConcurrentUpdates(max_running, around=around)
        super().__init__(self.inner.max_concurrent_updates)
        self._done: dict[int, asyncio.Future[float]] = {}

    def expect(self, update: Update) -> asyncio.Future[float]:
        """Return a future that gets the moment the update has been processed."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._done[update.update_id] = future
        return future

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers as the bot would, then resolve its future with the time."""
        try:
            await self.inner.do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                future = self._done.pop(update.update_id, None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
