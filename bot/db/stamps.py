"""How every table stores a moment: UTC ISO text to the second, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(moment: datetime) -> str:
    """Return a moment as the UTC ISO text every table stores (sortable as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
