"""A tipster adding information to their own open tip (`/status CODE` → «Bổ sung thông tin»),
and a photo, video, voice note, file or location sent at the main menu, held until the resident
says whether it starts a tip.

Both rows are keyed by the resident's keyed pseudonym and name nobody; both live minutes, not
days: the draft expiry (TIP_DRAFT_IDLE_MINUTES) removes held items, and a wait older than the
answer time is ignored and removed with them.
"""

STATEMENTS = (
    """
    CREATE TABLE tip_addition_waits (
        -- By keyed pseudonym: the tip whose tipster pressed «Bổ sung thông tin» and is typing.
        pseudonym  TEXT PRIMARY KEY,
        tip_id     INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE tip_held_items (
        -- By keyed pseudonym, one held item per person (a newer one replaces it).
        pseudonym   TEXT PRIMARY KEY,
        -- The item (Telegram's file ids, or a location), sealed (AES-GCM) with the pseudonym
        -- as context; `token` is in the offer's buttons, so an older offer cannot take it.
        item_sealed TEXT NOT NULL,
        token       TEXT NOT NULL,
        created_at  TEXT NOT NULL
    ) WITHOUT ROWID
    """,
)
