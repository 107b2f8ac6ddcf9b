"""The audit log: append-only, each row chained to the previous by a keyed hash."""

STATEMENTS = (
    """
    CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        -- Who acted: 'officer:<telegram id>', 'system', 'cli'. Never a resident's identity.
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        target    TEXT,
        details   TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    )
    """,
    "CREATE INDEX audit_by_target ON audit_log (target, id)",
    "CREATE INDEX audit_by_actor ON audit_log (actor, id)",
    # The chain makes an edit detectable; these triggers make the bot itself unable to make one.
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
    """,
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
    """,
)
