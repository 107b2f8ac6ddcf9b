"""Core tables: per-person preferences keyed by a pseudonym, never by a Telegram id."""

STATEMENTS = (
    """
    CREATE TABLE user_prefs (
        -- HMAC-SHA256 of the Telegram user id under SECRET_KEY (see bot.crypto): a resident's
        -- language choice must not put their Telegram id in the database in clear.
        pseudonym  TEXT PRIMARY KEY,
        language   TEXT NOT NULL CHECK (language IN ('vi', 'en')),
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID
    """,
)
