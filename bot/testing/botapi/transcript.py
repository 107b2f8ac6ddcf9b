"""The transcript of calls: every Bot API call and its outcome, and waiting for the next one."""

import asyncio
import threading
from collections.abc import Callable

from bot.testing.botapi.model import ApiCall
from bot.testing.botapi.waiting import wake_all, watch


class CallLog:
    """Record the calls in order; tests read them or wait for the bot's next call."""

    def __init__(
        self, lock: threading.RLock, canonical: Callable[[str], str | None], *, record: bool
    ) -> None:
        self._lock = lock
        self._canonical = canonical
        # Off for long runs (the benchmarks): `calls` stays empty instead of growing with every
        # call, and forget_chat() drops a simulated person's chat once they are done.
        self.record = record
        self.calls: list[ApiCall] = []
        self._call_watchers: list[asyncio.Future[None]] = []

    def append(self, call: ApiCall) -> None:
        """Record a call as it starts, when calls are recorded."""
        if self.record:
            with self._lock:
                self.calls.append(call)

    def calls_for(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of one method (any spelling case)."""
        name = (self._canonical(method) or method).lower()
        with self._lock:
            return [c for c in self.calls if c.method.lower() == name]

    def calls_to(self, chat_id: int | str) -> list[ApiCall]:
        """Return the recorded calls addressed to one chat."""
        with self._lock:
            return [c for c in self.calls if c.chat_id == chat_id]

    def clear(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    async def wait_until(self, condition: Callable[[], bool], *, within: float) -> bool:
        """Wait until ``condition()`` holds, checked again as every API call starts and ends.

        Return False if ``within`` seconds pass first.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if condition():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            watcher: asyncio.Future[None] = loop.create_future()
            with self._lock:
                self._call_watchers.append(watcher)
            await watch(self._lock, watcher, remaining, self._call_watchers)

    def wake_watchers(self) -> None:
        """Wake every wait_until() to check its condition again."""
        with self._lock:
            watchers, self._call_watchers = self._call_watchers, []
        wake_all(watchers)
