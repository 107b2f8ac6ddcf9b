"""SQLite storage: a writing and a reading connection, short transactions, migrations."""

from bot.db.database import Database
from bot.db.migrations import MIGRATIONS, Migration, SchemaTooNewError, migrate

__all__ = ["MIGRATIONS", "Database", "Migration", "SchemaTooNewError", "migrate"]
