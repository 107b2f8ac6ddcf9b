"""SQL for per-person preferences (keyed by pseudonym, never by Telegram id)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from bot.db import Database
from bot.kernel.i18n import Language, as_language

# Rows of people not seen since this date (ISO) go; `seen_on` is NULL only for a row written
# by code older than migration 0011, whose choice date is then the last sighting.
_STALE = "coalesce(seen_on, substr(updated_at, 1, 10)) < ?"


class PreferencesRepository:
    """Read and write a person's chosen language and when they were last seen."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def language(self, pseudonym: str) -> Language | None:
        """Return the language a person chose, or None if they never chose."""
        value = await self._db.fetch_value(
            "SELECT language FROM user_prefs WHERE pseudonym = ?", (pseudonym,)
        )
        return as_language(value)

    async def set_language(self, pseudonym: str, language: Language, now: datetime) -> None:
        """Record a person's language choice (which is also a sighting)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO user_prefs (pseudonym, language, updated_at, seen_on) "
                "VALUES (?, ?, ?, ?) "
                "ON CONFLICT (pseudonym) DO UPDATE SET language = excluded.language, "
                "updated_at = excluded.updated_at, seen_on = excluded.seen_on",
                (pseudonym, language, now.isoformat(timespec="seconds"), now.date().isoformat()),
            )

    async def mark_seen(self, sightings: Mapping[str, date]) -> None:
        """Record the day each person was last seen (people without a choice have no row)."""
        if not sightings:
            return
        await self._db.execute_many(
            "UPDATE user_prefs SET seen_on = ? WHERE pseudonym = ? "
            "AND (seen_on IS NULL OR seen_on < ?)",
            [(day.isoformat(), pseudonym, day.isoformat()) for pseudonym, day in sightings.items()],
        )

    async def count_unseen_since(self, cutoff: date) -> int:
        """Return how many people were last seen before `cutoff`."""
        value = await self._db.fetch_value(
            f"SELECT count(*) FROM user_prefs WHERE {_STALE}", (cutoff.isoformat(),)
        )
        return int(value)

    async def purge_unseen_since(self, cutoff: date) -> int:
        """Delete the choices of people last seen before `cutoff`; return how many."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"DELETE FROM user_prefs WHERE {_STALE}", (cutoff.isoformat(),)
            )
            return int(cursor.rowcount)
