"""Triage: who handles a tip, how it ended, its extensions, relays with the tipster.

Added to `tips` (every column has a default, so rows written before this step stay valid):
the handling officer, the outcome of a closed tip, the art. 147 extension in force, where a
transferred tip went, when its status last changed, and whether it proved of value (`/stats`
counts `of_value`). `decision_deadline` keeps its meaning: the last local day to decide, now
moved by a recorded extension.

Anonymity: `tip_messages` holds what officers and the tipster wrote to each other, never who the
tipster is; a tipster waiting to answer is known by the keyed pseudonym only.
"""

STATEMENTS = (
    # Officers act in their own name: their Telegram id, as in `officers.user_id`. No foreign
    # key: ADMIN_USER_IDS admins have no registry row.
    "ALTER TABLE tips ADD COLUMN assignee_id INTEGER",
    """
    ALTER TABLE tips ADD COLUMN outcome TEXT
        CHECK (outcome IS NULL OR outcome IN ('handled', 'mediated', 'case_opened', 'no_action'))
    """,
    """
    ALTER TABLE tips ADD COLUMN extension TEXT NOT NULL DEFAULT 'none'
        CHECK (extension IN ('none', 'complex', 'procuracy'))
    """,
    # 'investigation' (the competent investigation body) or the code of the receiving unit.
    "ALTER TABLE tips ADD COLUMN transferred_to TEXT",
    # When the current status was set (NULL: still the status of receipt, at received_at).
    "ALTER TABLE tips ADD COLUMN status_at TEXT",
    "ALTER TABLE tips ADD COLUMN of_value INTEGER NOT NULL DEFAULT 0 CHECK (of_value IN (0, 1))",
    # /overdue and the digest: tips nobody has taken, oldest first.
    "CREATE INDEX tips_untaken ON tips (assignee_id, status, received_at)",
    # A relay or status notice to a resident who blocked the bot is given up, not retried.
    "ALTER TABLE outbox ADD COLUMN undeliverable_at TEXT",
    """
    CREATE TABLE tip_messages (
        id         INTEGER PRIMARY KEY,
        tip_id     INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
        direction  TEXT NOT NULL CHECK (direction IN ('to_tipster', 'from_tipster')),
        -- The officer who asked (to_tipster); NULL for the tipster's answers.
        officer_id INTEGER,
        -- The question an answer replies to.
        reply_to   INTEGER REFERENCES tip_messages (id),
        body       TEXT NOT NULL,
        state      TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'delivered', 'undeliverable')),
        created_at TEXT NOT NULL,
        settled_at TEXT,
        CHECK ((direction = 'to_tipster') = (officer_id IS NOT NULL))
    )
    """,
    "CREATE INDEX tip_messages_by_tip ON tip_messages (tip_id, id)",
    """
    CREATE TABLE tip_reply_waits (
        -- A tipster who pressed "Reply" and has not answered yet, by keyed pseudonym.
        pseudonym  TEXT PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES tip_messages (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID
    """,
)
