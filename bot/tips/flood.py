"""Flood protection: a resident's burst of messages is cut off politely, not processed.

A token bucket per person: a burst of up to `capacity` messages passes (an album of ten photos
and a few lines of text), then one message per `1 / refill_per_second` seconds. The first message
over the limit gets one short notice; the rest of the burst is dropped until the bucket refills.
Buckets live in memory only, keyed by Telegram id, never stored or logged.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.ptb.context import BotContext
from bot.ptb.messaging import send_text

if TYPE_CHECKING:
    from bot.services import Services


CAPACITY = 30
REFILL_PER_SECOND = 1.0
_MAX_PEOPLE = 50_000


class Verdict(Enum):
    """What to do with one message."""

    PASS = "pass"
    WARN = "warn"
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


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
        """Take a token for one message of `person` and say what to do with it."""
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
            bucket.warned = False
            return Verdict.PASS
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN


def flood_guard(guard: FloodGuard | None = None) -> TypeHandler[Update, Any, None]:
    """Return the handler that drops a resident's message bursts (add it in the first group)."""
    buckets = guard or FloodGuard()

    async def check(update: Update, context: BotContext[Services]) -> None:
        message = update.message
        user = update.effective_user
        if message is None or user is None or message.chat.type != ChatType.PRIVATE:
            return
        verdict = buckets.check(user.id)
        if verdict is Verdict.PASS:
            return
        if verdict is Verdict.WARN:
            t = context.t
            with contextlib.suppress(TelegramError):
                await send_text(context.bot, message.chat.id, t("tips.flood"))
        raise ApplicationHandlerStop

    return TypeHandler(Update, check)
