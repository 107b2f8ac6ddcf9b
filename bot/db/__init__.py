"""SQLite storage: one writer and read-only readers, short transactions, versioned migrations."""

from bot.db.database import BEFORE_COMMIT, Database
from bot.db.migrations import MIGRATIONS, Migration, SchemaTooNewError, migrate

__all__ = ["BEFORE_COMMIT", "MIGRATIONS", "Database", "Migration", "SchemaTooNewError", "migrate"]
