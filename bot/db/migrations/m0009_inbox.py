"""The durable inbox: every update stored (sealed) before Telegram is told it was received."""

STATEMENTS = (
    """
    CREATE TABLE inbox (
        -- Telegram's own number for the update: the key that makes a redelivery a no-op.
        update_id      INTEGER PRIMARY KEY,
        received_at    TEXT NOT NULL,
        -- The update's JSON, sealed (AES-GCM under SECRET_KEY, bound to the update id): a raw
        -- update carries the sender's id, names, username and phone. NULL once handled.
        sealed         TEXT,
        state          TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'done', 'parked')),
        -- How many of the handler's write transactions have committed: a handler that is run
        -- again (after a crash or a failure) skips that many, so no effect is applied twice.
        writes_applied INTEGER NOT NULL DEFAULT 0,
        attempts       INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        finished_at    TEXT
    )
    """,
    "CREATE INDEX inbox_by_state ON inbox (state, update_id)",
)
