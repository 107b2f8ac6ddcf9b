"""Update processors: several people at once, each person's updates in order; and timed.

python-telegram-bot hands each update to `Application.update_processor`:

- `PerPersonUpdateProcessor` runs updates of different people concurrently (up to
  `max_concurrent_updates`) but one person's updates strictly one after another: PTB's
  ConversationHandler is not safe for two updates of the same user at once. With 1 it is PTB's
  default (one update at a time, in order). It is what `build_application` could pass to
  `ApplicationBuilder.concurrent_updates()` (BENCHMARKS.md measures the gain).
- `TimedUpdateProcessor` also resolves, for every update id, a future with the
  `perf_counter()` at which the application finished processing it: the benchmarks measure
  "update in, answer out" with it.

The benchmark installs them on the real application after `build_application` (see
`ingest.py`), as production would through the builder.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def person_of(update: object) -> int | None:
    """Return the id that orders an update: its user (or chat), None for anything else."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different people at once, each person's in the order they came."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        # Per person: the lock their updates take turns on, and how many hold or wait for it.
        self._people: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers, after any earlier update of the same person."""
        person = person_of(update)
        if person is None or self.max_concurrent_updates == 1:
            await coroutine
            return
        entry = self._people.get(person)
        if entry is None:
            entry = self._people[person] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if not users[0]:
                del self._people[person]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class TimedUpdateProcessor(PerPersonUpdateProcessor):
    """A `PerPersonUpdateProcessor` that notes when each update is done."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._done: dict[int, asyncio.Future[float]] = {}

    def expect(self, update: Update) -> asyncio.Future[float]:
        """Return a future that gets the moment the update has been processed."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._done[update.update_id] = future
        return future

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers, then resolve its future with the time."""
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                future = self._done.pop(update.update_id, None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())
