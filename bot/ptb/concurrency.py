"""Updates of different people at once, each person's (and each group's) strictly in order.

python-telegram-bot processes one update at a time by default: with real Telegram every Bot API
call is a network round trip, so a crowd of residents would queue behind each other's answers.
`ConcurrentUpdates` lets up to `CONCURRENT_UPDATES` updates run at once, with one rule that keeps
the bot correct:

- a person's updates run one after another, in the order they came: a ConversationHandler (the
  tip draft, /record, "Ask the tipster") must not see two updates of the same person at once;
- a group's updates run one after another too (the officers' chat: two officers pressing the
  same card's buttons are answered in turn, as before).

python-telegram-bot warns that ConversationHandler relies on updates processed one by one: its
state per conversation key is read when an update is checked and written when it is handled.
Keeping each person's (and group's) updates in order is what it needs; conversations of
different people never share a key.

Everything shared across people is already safe to interleave: each action is one database
transaction that re-reads what it changes (bot.db.Database.transaction holds a write lock).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final, Protocol

from telegram import Chat, Update
from telegram.ext import BaseUpdateProcessor

# python-telegram-bot takes its semaphore before `do_process_update`, so updates waiting for
# their person's turn would hold its slots: one person sending a burst could stall everyone.
# Its limit is therefore set out of reach, and the running limit is taken after the turn.
_WAITING_LIMIT: Final = 1 << 16

# What runs an update's handlers once its turn has come (bot.inbox.Inbox.run): given the update
# and the coroutine of its handlers, it awaits that coroutine (and may run the update again).
Around = Callable[[object, Awaitable[Any]], Awaitable[None]]


class MakeProcessor(Protocol):
    """Builds the application's update processor (`ConcurrentUpdates`; the benchmarks' timed
    one) for `max_running` updates at once, each run inside `around`."""

    def __call__(self, max_running: int, *, around: Around | None = None) -> BaseUpdateProcessor:
        """Return the processor."""
        ...


def ordering_keys(update: object) -> tuple[int, ...]:
    """Return the turns an update must wait for: its group chat (if any), then its sender.

    Both, because a conversation may follow a person across chats (per_chat=False), and the
    officers' group keeps its old one-at-a-time order. Always in that order, so two updates
    never hold one key each while waiting for the other's.
    """
    if not isinstance(update, Update):
        return ()
    keys: list[int] = []
    chat = update.effective_chat
    if chat is not None and chat.type != Chat.PRIVATE:
        keys.append(chat.id)
    if update.effective_user is not None:
        keys.append(update.effective_user.id)
    elif chat is not None and not keys:
        keys.append(chat.id)
    return tuple(keys)


class ConcurrentUpdates(BaseUpdateProcessor):
    """Run updates of different people at once; one person's, or one group's, in arrival order."""

    def __init__(self, max_running: int, *, around: Around | None = None) -> None:
        if max_running < 1:
            raise ValueError("ConcurrentUpdates needs at least 1 update at once")
        # With one at a time python-telegram-bot awaits each update in turn (no task each).
        super().__init__(_WAITING_LIMIT if max_running > 1 else 1)
        self.max_running = max_running
        self._around = around
        self._running = asyncio.Semaphore(max_running)
        # Per key: the lock its updates take turns on, and how many updates hold or await it
        # (the entry goes when the last one is done, so the table only holds busy keys).
        self._turns: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @property
    def busy_keys(self) -> int:
        """Return how many people or groups have an update running or waiting."""
        return len(self._turns)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers after every earlier update with the same keys."""
        async with contextlib.AsyncExitStack() as turns:
            for key in ordering_keys(update):
                await turns.enter_async_context(self._turn(key))
            async with self._running:
                if self._around is None:
                    await coroutine
                else:
                    await self._around(update, coroutine)

    @contextlib.asynccontextmanager
    async def _turn(self, key: int) -> AsyncIterator[None]:
        entry = self._turns.get(key)
        if entry is None:
            entry = self._turns[key] = (asyncio.Lock(), [0])
        lock, waiting = entry
        waiting[0] += 1
        try:
            # asyncio.Lock wakes its waiters first come, first served: arrival order holds.
            async with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._turns[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
