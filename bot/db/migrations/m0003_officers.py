"""Officers: who may act for which unit, the append-only history of every change, menu state."""

STATEMENTS = (
    """
    CREATE TABLE officers (
        -- Officers act in their own name, so their Telegram ids are stored in clear. Residents
        -- are never written here: only an admin's explicit act adds a row.
        user_id      INTEGER PRIMARY KEY,
        role         TEXT NOT NULL CHECK (role IN ('admin', 'officer', 'analyst')),
        -- The root of the officer's scope; admins cover the whole tree and have none.
        unit_id      INTEGER REFERENCES units (id),
        display_name TEXT NOT NULL DEFAULT '',
        -- Removal revokes (0) rather than deletes, so the history keeps pointing at a row.
        active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        -- Bumped by every change; a confirmation button carries it, so a stale one is refused.
        version      INTEGER NOT NULL DEFAULT 1,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        CHECK ((role = 'admin') = (unit_id IS NULL))
    )
    """,
    "CREATE INDEX officers_by_unit ON officers (unit_id) WHERE active = 1",
    """
    CREATE TABLE officer_changes (
        -- AUTOINCREMENT: ids never go back, so a later hash chain can follow them in order.
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        -- Who made the change: a Telegram user (an admin) or the command line (actor_id NULL).
        actor_id    INTEGER,
        actor_via   TEXT NOT NULL CHECK (actor_via IN ('telegram', 'cli')),
        officer_id  INTEGER NOT NULL,
        action      TEXT NOT NULL CHECK (action IN ('add', 'restore', 'role', 'unit', 'remove')),
        -- Canonical JSON (sorted keys, no spaces) of the officer before and after: role, unit
        -- id and code, active, name. Byte-stable, so it can be hashed as it is.
        state_before TEXT,
        state_after  TEXT,
        CHECK (actor_via = 'cli' OR actor_id IS NOT NULL)
    )
    """,
    "CREATE INDEX officer_changes_by_officer ON officer_changes (officer_id, id)",
    # History is evidence: once written it is neither edited nor deleted.
    """
    CREATE TRIGGER officer_changes_no_update BEFORE UPDATE ON officer_changes
    BEGIN
        SELECT RAISE(ABORT, 'officer_changes is append-only');
    END
    """,
    """
    CREATE TRIGGER officer_changes_no_delete BEFORE DELETE ON officer_changes
    BEGIN
        SELECT RAISE(ABORT, 'officer_changes is append-only');
    END
    """,
    """
    CREATE TABLE officer_menus (
        -- A digest of the command menus last published into this person's private chat, so a
        -- restart republishes only menus that changed and clears those of revoked officers.
        user_id    INTEGER PRIMARY KEY,
        digest     TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
)
