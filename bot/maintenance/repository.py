"""SQL of the maintenance checks: SQLite's own integrity checks, on the database and on a
backup file (the schema's record is bot/db's; these only read it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bot.db import Database


class HealthRepository:
    """SQLite's integrity and foreign-key checks of the open database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def integrity(self) -> list[str]:
        """Return `PRAGMA integrity_check`'s lines (["ok"] for a sound file)."""
        return [str(row[0]) for row in await self._db.fetch_all("PRAGMA integrity_check")]

    async def dangling_references(self) -> int:
        """Return how many rows `PRAGMA foreign_key_check` reports."""
        return len(await self._db.fetch_all("PRAGMA foreign_key_check"))


def inspect_file(path: Path) -> tuple[str, Any]:
    """Open a database file read-only; return its integrity verdict and newest schema step.

    Raises sqlite3.DatabaseError for a file that is not a database (or not this bot's).
    """
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    return integrity, version
