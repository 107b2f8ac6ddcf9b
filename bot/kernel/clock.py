"""The bot's notion of now, shiftable so the sandbox and tests can move time forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Return the current UTC time, plus an offset that `advance` moves forward."""

    def __init__(self, start: datetime | None = None) -> None:
        # `start`: make "now" that instant (it keeps ticking from there), e.g. for a test that
        # needs a tip received late on the last day of a month.
        self._offset = timedelta() if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        """Return seconds that never go back (`time.monotonic`), moved forward by `advance` too.

        For intervals (rate limits): the wall clock can jump back, and a test or the sandbox
        that moves time forward an hour expects what refills over an hour to have refilled.
        """
        return time.monotonic() + self._offset.total_seconds()

    def advance(self, delta: timedelta) -> None:
        """Move this clock forward (never backward: deadlines only run one way)."""
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        self._offset += delta


class StillClock(Clock):
    """A clock whose now() stands at `start` until `advance` moves it: the sandbox's `--seed`.

    Every time a scripted transcript shows (a receipt's date, "2 hours ago") is then the same
    on every run. `monotonic` keeps ticking: intervals such as rate limits need real seconds.
    """

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._start = start

    def now(self) -> datetime:
        """Return `start` plus every step `advance` has taken."""
        return self._start + self._offset
