"""SQL for per-person preferences (keyed by pseudonym, never by Telegram id)."""

from __future__ import annotations

from datetime import datetime

from bot.db import Database
from bot.i18n import Language, as_language


class PreferencesRepository:
    """Read and write a person's chosen language."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def language(self, pseudonym: str) -> Language | None:
        """Return the language a person chose, or None if they never chose."""
        value = await self._db.fetch_value(
            "SELECT language FROM user_prefs WHERE pseudonym = ?", (pseudonym,)
        )
        return as_language(value)

    async def set_language(self, pseudonym: str, language: Language, now: datetime) -> None:
        """Record a person's language choice."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO user_prefs (pseudonym, language, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (pseudonym) DO UPDATE SET language = excluded.language, "
                "updated_at = excluded.updated_at",
                (pseudonym, language, now.isoformat(timespec="seconds")),
            )
