"""SQLite storage: one aiosqlite connection, short transactions, versioned migrations."""

from bot.db.database import Database
from bot.db.migrations import MIGRATIONS, Migration, SchemaTooNewError, migrate

__all__ = ["MIGRATIONS", "Database", "Migration", "SchemaTooNewError", "migrate"]
