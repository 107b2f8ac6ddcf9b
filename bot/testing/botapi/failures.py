"""Failure injection: Telegram's error answers on demand, and a slow network for one chat."""

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from telegram.error import NetworkError, TimedOut

from bot.testing.botapi.model import BLOCKED_DESCRIPTION, FailureKind
from bot.testing.botapi.params import ApiFailure

_FAILURE_KINDS: frozenset[str] = frozenset(
    {"429", "400", "401", "403", "409", "5xx", "timeout", "network"}
)


@dataclass
class _FailureRule:
    method: str
    remaining: int | None
    error: FailureKind
    retry_after: int
    description: str | None
    chat_id: int | str | None


class Failures:
    """The injected failures still to come, matched by method and chat."""

    def __init__(self, lock: threading.RLock, canonical: Callable[[str], str | None]) -> None:
        self._lock = lock
        self._canonical = canonical
        self._failures: list[_FailureRule] = []

    def add(
        self,
        method: str,
        times: int | None,
        error: FailureKind,
        retry_after: int,
        description: str | None,
        chat_id: int | None,
    ) -> None:
        """Fail ``times`` calls of ``method`` (None: until cleared) with ``error``."""
        if error not in _FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {error!r}")
        name = "*" if method == "*" else (self._canonical(method) or method).lower()
        with self._lock:
            self._failures.append(
                _FailureRule(name, times, error, retry_after, description, chat_id)
            )

    def clear(self) -> None:
        """Forget every pending injected failure."""
        with self._lock:
            self._failures.clear()

    def inject(self, method: str, chat_id: int | str | None) -> None:
        """Raise the failure due for this call, if any, counting it down."""
        with self._lock:
            rule = next(
                (
                    r
                    for r in self._failures
                    if r.method in ("*", method.lower())
                    and (r.chat_id is None or r.chat_id == chat_id)
                ),
                None,
            )
            if rule is None:
                return
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failures.remove(rule)
        _raise(rule)


def _raise(rule: _FailureRule) -> None:
    if rule.error == "429":
        description = rule.description or f"Too Many Requests: retry after {rule.retry_after}"
        raise ApiFailure(429, description, retry_after=rule.retry_after)
    if rule.error == "400":
        raise ApiFailure(400, rule.description or "Bad Request: chat not found")
    if rule.error == "403":
        raise ApiFailure(403, rule.description or BLOCKED_DESCRIPTION)
    if rule.error == "401":
        # What Telegram answers every method for a revoked or mistyped token.
        raise ApiFailure(401, rule.description or "Unauthorized")
    if rule.error == "409":
        # What a long poll gets when another process polls with the same token.
        raise ApiFailure(
            409,
            rule.description
            or "Conflict: terminated by other getUpdates request; make sure that only one "
            "bot instance is running",
        )
    if rule.error == "5xx":
        raise ApiFailure(502, rule.description or "Bad Gateway", kind="5xx")
    if rule.error == "timeout":
        raise TimedOut(rule.description)
    raise NetworkError(rule.description or "simulated network failure")


class Network:
    """The wait before an answer: a round trip, and chats held until released."""

    def __init__(self, round_trip: float) -> None:
        # Seconds every call takes before it is answered, as a network round trip to Telegram
        # would (the benchmarks' latency case); 0 answers at once.
        self.round_trip = round_trip
        # Chats whose calls wait until released (hold_chat): a slow Telegram for one person.
        self._held_chats: dict[int, asyncio.Event] = {}

    async def wait(self, method: str | None, chat_id: int | str | None) -> None:
        """Wait as the network would: a held chat until released, then the round trip."""
        if method == "getUpdates":
            return
        held = self._held_chats.get(chat_id) if isinstance(chat_id, int) else None
        if held is not None:
            await held.wait()
        if self.round_trip:
            await asyncio.sleep(self.round_trip)

    def hold_chat(self, chat_id: int) -> None:
        """Make calls into `chat_id` wait (recorded, not answered) until release_chat().

        For tests in the bot's own event loop: what the bot does while Telegram is slow for
        one person.
        """
        self._held_chats.setdefault(chat_id, asyncio.Event())

    def release_chat(self, chat_id: int | None = None) -> None:
        """Let the held calls into `chat_id` (None: every held chat) and later ones be answered."""
        chats = list(self._held_chats) if chat_id is None else [chat_id]
        for chat in chats:
            held = self._held_chats.pop(chat, None)
            if held is not None:
                held.set()
