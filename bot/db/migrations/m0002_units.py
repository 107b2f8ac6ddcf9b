"""Administrative units: a tree of any depth, with history (units retire, provinces merge)."""

STATEMENTS = (
    """
    CREATE TABLE units (
        id          INTEGER PRIMARY KEY,
        -- The stable name of a unit everywhere (CSV files, commands, figures): never reused.
        code        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name_vi     TEXT NOT NULL,
        name_en     TEXT,
        parent_id   INTEGER REFERENCES units (id),
        -- A label, not a fixed set: province, district, commune, ward, ... (2025 removed one).
        level       TEXT NOT NULL,
        active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        -- fold(name_vi) and fold(name_en): lower case, no diacritics, for lookups.
        search_name TEXT NOT NULL,
        -- The officers' chat of this unit, if it has its own; otherwise the nearest ancestor's,
        -- then OFFICER_CHAT_ID (see bot.officers.chats).
        chat_id     INTEGER,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        CHECK (parent_id IS NULL OR parent_id <> id)
    )
    """,
    "CREATE INDEX units_by_parent ON units (parent_id)",
)
