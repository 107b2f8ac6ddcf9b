"""Flood protection: a person's burst of updates is cut off politely, not processed.

Everything a person can send in bulk counts: messages and edits, button presses (forged callback
data costs nothing to send), inline queries, reactions, poll answers and the rest, whenever it
comes from someone in a private chat with the bot or from no chat at all. Groups are the
officers' own (their chatter is ignored anyway) and channels have no person behind an update.

A token bucket per person, shared by all those kinds (so mixing them buys nothing): a burst of
up to `capacity` updates passes (an album of ten photos and a few lines of text), then one per
`1 / refill_per_second` seconds. The first update over the limit gets one short notice: a
message in the chat, or for a button press an alert on the press itself; the rest of the burst
is dropped without a word, and no further notice comes before the bucket had time to refill
(`capacity / refill_per_second` seconds). Dropped presses get no answer at all: answering each
would spend the bot's own request budget (AIORateLimiter) on the flood, and the client gives up
on its own. Buckets live in memory only, keyed by Telegram id, never stored or logged.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

CAPACITY = 30
REFILL_PER_SECOND = 1.0
_MAX_PEOPLE = 50_000

# The guard uses no service: only the person's translator and the bot.
Context: TypeAlias = BotContext[object]


class Verdict(Enum):
    """What to do with one update."""

    PASS = "pass"
    WARN = "warn"
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned_at: float | None = None


class FloodGuard:
    """Token buckets per person."""

    def __init__(
        self,
        capacity: float = CAPACITY,
        refill_per_second: float = REFILL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.refill = refill_per_second
        self._clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def check(self, person: int) -> Verdict:
        """Take a token for one update of `person` and say what to do with it."""
        now = self._clock()
        bucket = self._buckets.get(person)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            self._buckets[person] = bucket
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.refill)
            bucket.at = now
            self._buckets.move_to_end(person)
        while len(self._buckets) > _MAX_PEOPLE:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.PASS
        # A flood that goes on at the refill rate passes an update now and then; it must not
        # earn a notice each time (the notices would be the flood), only once per refill time.
        if bucket.warned_at is not None and now - bucket.warned_at < self.capacity / self.refill:
            return Verdict.DROP
        bucket.warned_at = now
        return Verdict.WARN


def sender(update: Update) -> int | None:
    """Return the Telegram id of the person whose update this guard counts, or None."""
    user = update.effective_user
    if user is None:
        return None
    chat = update.effective_chat
    # No chat: inline queries, chosen inline results, presses on inline messages, poll answers.
    if chat is not None and chat.type != ChatType.PRIVATE:
        return None
    return user.id


class FloodGuardHandler(TypeHandler[Update, Context, None]):
    """The handler that cuts a person's bursts (add it in the first group)."""

    def __init__(self, guard: FloodGuard) -> None:
        super().__init__(Update, self._check)
        self.guard = guard

    async def _check(self, update: Update, context: Context) -> None:
        person = sender(update)
        if person is None:
            return
        verdict = self.guard.check(person)
        if verdict is Verdict.PASS:
            return
        if verdict is Verdict.WARN:
            await _notice(update, context)
        raise ApplicationHandlerStop


async def _notice(update: Update, context: Context) -> None:
    """Tell the person once that they go too fast: on the pressed button, or in their chat."""
    t = context.t
    query = update.callback_query
    chat = update.effective_chat
    # A person who blocked the bot, or an old press, may refuse it: the cut stands anyway.
    with contextlib.suppress(TelegramError):
        if query is not None:
            await query.answer(t.label("tips.flood.pressed"), show_alert=True)
        elif chat is not None:
            await send_text(context.bot, chat.id, t("tips.flood"))


def flood_guard(clock: Callable[[], float] = time.monotonic) -> FloodGuardHandler:
    """Return the handler that drops a person's bursts (add it in the first group).

    `clock`: seconds that never go back; the application passes its own `Clock.monotonic`, so
    that time moved forward in the sandbox or a test refills the buckets as real time would.
    """
    return FloodGuardHandler(FloodGuard(clock=clock))
