"""The durable inbox: store every update before it is confirmed, handle it, mark it done.

The rule that keeps a resident's message from being lost: an update is written to SQLite, in
one short transaction and sealed, *before* Telegram is told it was received (the next
getUpdates offset in polling, the HTTP 200 in webhook mode: bot.inbox.polling and
bot.inbox.webhook). From there:

- it is handed to the application's update queue, in update_id order; python-telegram-bot's
  fetcher passes it to our update processor (bot.ptb.concurrency.ConcurrentUpdates), which keeps
  each person's and each group's updates in order and calls `Inbox.run` around the handlers;
- `run` sets a `Turn` (bot.inbox.turns) for the update's task: each write transaction the
  handlers open records, in that same transaction, that it was applied;
- when the handlers return, the row is marked done and its content deleted (in small batches,
  so a burst costs one transaction, not one per update);
- a handler that failed is run again (its applied writes skipped) up to INBOX_MAX_ATTEMPTS
  times, then the update is parked and the administrators are told;
- at start-up, unfinished rows are handled first, before any new update is fetched.

A redelivered update (Telegram sends again what was not confirmed; a webhook post is retried)
finds its row and is not handled again. Done rows are kept INBOX_KEEP_DONE_HOURS for that, then
pruned.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Final

import aiosqlite
from telegram import Bot, Update

from bot.db import BEFORE_COMMIT, Database
from bot.inbox.repository import InboxRepository, ParkedRow
from bot.inbox.turns import CURRENT, Turn
from bot.kernel.clock import Clock
from bot.kernel.crypto import Keyring, SealError

log = logging.getLogger(__name__)

# Done marks are written together (group commit): whatever finished while the last batch was
# being written goes in the next transaction, at most this many at once.
_FINISH_BATCH: Final = 256
# A failed run waits before the next: 0.5 s, 1 s, 2 s, ... (a Bot API blip has time to pass).
_RETRY_BASE: Final = 0.5

# Called (in the caller's transaction) when an update is parked: tells the administrators.
ParkAlert = Callable[[aiosqlite.Connection, int, str], Awaitable[None]]
Process = Callable[[object], Awaitable[None]]


def _context(update_id: int) -> str:
    return f"inbox:{update_id}"


class Inbox:
    """Store updates sealed, run them through the handlers once, and account for every one."""

    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        clock: Clock,
        *,
        max_attempts: int,
        keep_done: timedelta,
    ) -> None:
        self.repository = InboxRepository(db)
        self._db = db
        self._keyring = keyring
        self._clock = clock
        self.max_attempts = max_attempts
        self.keep_done = keep_done
        # Stored, not yet done: update_id -> writes applied by earlier runs. Only these get a
        # turn; an update that never went through the inbox (a test's process_update) none.
        self._tracked: dict[int, int] = {}
        self._finished: list[int] = []
        self._to_store: list[tuple[list[tuple[int, str]], asyncio.Future[set[int]]]] = []
        self._storer: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._process: Process | None = None
        self.on_park: ParkAlert | None = None

    def attach(self, process: Process, on_park: ParkAlert | None = None) -> None:
        """Give the inbox the application's `process_update` (to run a failed update again)."""
        self._process = process
        self.on_park = on_park

    @property
    def in_flight(self) -> int:
        """Return how many stored updates are not yet marked done."""
        return len(self._tracked)

    # ------------------------------------------------------------ storing

    async def store(self, updates: Sequence[Update]) -> list[Update]:
        """Store a batch, committed; return the updates not seen before, in order.

        Only after this returns may Telegram be told the batch was received. Callers that
        store at the same moment (webhook posts arrive one update at a time) share one
        transaction: one commit to disk for all of them.
        """
        rows = [
            (
                update.update_id,
                self._keyring.seal(
                    json.dumps(update.to_dict(), separators=(",", ":")),
                    context=_context(update.update_id),
                ),
            )
            for update in updates
        ]
        stored: asyncio.Future[set[int]] = asyncio.get_running_loop().create_future()
        self._to_store.append((rows, stored))
        if self._storer is None or self._storer.done():
            # Outside any update's context: storing is the inbox's own write.
            self._storer = asyncio.get_running_loop().create_task(
                self._store_waiting(), context=contextvars.Context()
            )
        fresh = await stored
        new = sorted(
            (update for update in updates if update.update_id in fresh),
            key=lambda update: update.update_id,
        )
        for update in new:
            self._tracked[update.update_id] = 0
        return new

    async def _store_waiting(self) -> None:
        while self._to_store:
            waiting, self._to_store = self._to_store, []
            # An update posted twice at once is stored (and handled) for its first caller only.
            claimed: set[int] = set()
            rows = []
            for batch, _future in waiting:
                for update_id, sealed in batch:
                    if update_id not in claimed:
                        claimed.add(update_id)
                        rows.append((update_id, sealed))
            try:
                async with self._db.transaction() as conn:
                    fresh = await self.repository.store_new_in(conn, rows, self._clock.now())
            except BaseException as error:
                for _batch, future in waiting:
                    if not future.done():
                        future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for batch, future in waiting:
                mine = {update_id for update_id, _sealed in batch} & fresh
                fresh -= mine
                if not future.done():
                    future.set_result(mine)

    async def recover(self, bot: Bot) -> list[Update]:
        """Return the updates a stopped process left unfinished, oldest first.

        Each counts one more attempt; those out of attempts are parked (and reported).
        """
        parked = await self.repository.begin_recovery(self.max_attempts, self._clock.now())
        for update_id in parked:
            log.error("update %d stopped the bot %d times; parked", update_id, self.max_attempts)
            await self._alert_parked(update_id, "the bot stopped while handling it")
        updates: list[Update] = []
        for row in await self.repository.unfinished():
            try:
                data = json.loads(self._keyring.unseal(row.sealed, context=_context(row.update_id)))
            except (SealError, ValueError):
                # SECRET_KEY changed: the update cannot be read back; say so, keep the row.
                log.error("update %d is sealed under another SECRET_KEY; parked", row.update_id)
                await self._park(row.update_id, row.attempts, "sealed under another SECRET_KEY")
                continue
            update = Update.de_json(data, bot)
            self._tracked[row.update_id] = row.writes_applied
            updates.append(update)
        if updates:
            # Worth a line at WARNING: the last run stopped with people's messages in hand.
            log.warning("handling first %d updates left unfinished by the last run", len(updates))
        return updates

    # ------------------------------------------------------------ handling

    async def run(self, update: object, handlers: Awaitable[Any]) -> None:
        """Run one update's handlers (the update processor calls this); retry, park, finish."""
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is None or update_id not in self._tracked:
            await handlers
            return
        applied = self._tracked[update_id]
        attempt = 1
        running: Awaitable[Any] = handlers
        while True:
            # By update id only (LOG_LEVEL=DEBUG): the update itself carries the person.
            log.debug("handling update %d (attempt %d)", update_id, attempt)
            turn = Turn(
                update_id=update_id,
                applied=applied,
                attempt=attempt,
                max_attempts=self.max_attempts,
                record_write=self.repository.record_write_in,
            )
            turn_token = CURRENT.set(turn)
            hook_token = BEFORE_COMMIT.set(turn.before_commit)
            try:
                await running
            finally:
                turn.open = False
                BEFORE_COMMIT.reset(hook_token)
                CURRENT.reset(turn_token)
            if turn.failed is None:
                break
            if attempt >= self.max_attempts or self._process is None:
                # Only the kind of error: its message could quote what the person wrote.
                await self._park(update_id, attempt, type(turn.failed).__name__)
                return
            delay = _RETRY_BASE * 2 ** (attempt - 1)
            log.warning(
                "update %d failed (attempt %d of %d); trying again in %.1f s",
                update_id,
                attempt,
                self.max_attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1
            # What the failed run committed stays applied: read it back, not from memory (a
            # COMMIT that failed after its record was counted must not be skipped).
            applied = await self.repository.writes_applied(update_id)
            running = self._process(update)
        log.debug("update %d handled", update_id)
        self._finish(update_id)

    def _finish(self, update_id: int) -> None:
        self._tracked.pop(update_id, None)
        self._finished.append(update_id)
        # At once, so that a crash finds as few handled updates not yet marked as it can (each
        # would be answered again); a flush already running takes this one in its next round.
        if self._flusher is None or self._flusher.done():
            # Outside the update's context: the mark is the inbox's own write, not the update's.
            self._flusher = asyncio.get_running_loop().create_task(
                self.flush(), context=contextvars.Context()
            )

    async def flush(self) -> None:
        """Write the done marks collected so far."""
        while self._finished:
            batch, self._finished = self._finished[:_FINISH_BATCH], self._finished[_FINISH_BATCH:]
            try:
                await self.repository.finish(batch, self._clock.now())
            except Exception:
                # Not marked done: a restart would answer these again (never apply them again).
                self._finished[:0] = batch
                log.exception("could not mark %d handled updates done", len(batch))
                return

    async def _park(self, update_id: int, attempts: int, error: str) -> None:
        self._tracked.pop(update_id, None)
        async with self._db.transaction() as conn:
            await self.repository.park_in(conn, update_id, attempts, error, self._clock.now())
            if self.on_park is not None:
                await self.on_park(conn, update_id, error)
        log.error("update %d failed %d times; parked for an administrator", update_id, attempts)

    async def _alert_parked(self, update_id: int, error: str) -> None:
        if self.on_park is None:
            return
        async with self._db.transaction() as conn:
            await self.on_park(conn, update_id, error)

    # ------------------------------------------------------------ housekeeping

    async def drain(self) -> None:
        """Wait until every done mark collected so far is written (also at shutdown)."""
        if self._flusher is not None and not self._flusher.done():
            await self._flusher
        await self.flush()

    async def close(self) -> None:
        """Write the last done marks (at shutdown, before the database closes)."""
        await self.drain()

    async def prune(self) -> int:
        """Delete done rows past the redelivery window."""
        return await self.repository.prune(self._clock.now() - self.keep_done)

    async def parked(self) -> list[ParkedRow]:
        """Return the newest parked updates (for `check` and the administrators)."""
        return await self.repository.parked()
