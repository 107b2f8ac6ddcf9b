"""The bot's notion of now, shiftable so the sandbox and tests can move time forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Return the current UTC time, plus an offset that `advance` moves forward."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move this clock forward (never backward: deadlines only run one way)."""
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        self._offset += delta
