"""Officers' notices that wait for their owner to open the bot.

Telegram lets a bot write to a person only after they have started it. An officer added by id
who never did cannot be told at once; their notice waits here and goes out when they press
Start. So `/addofficer` answers the admin the same whether or not the person ever used the bot
(it is no oracle for "has this id started the bot?").
"""

STATEMENTS = (
    """
    CREATE TABLE officer_notices (
        -- Officers are stored in clear anyway (0003); one waiting notice per person.
        user_id   INTEGER PRIMARY KEY REFERENCES officers (user_id),
        -- The catalog key; its role and unit are read from the registry when it is sent, so a
        -- notice that waited says what is true then.
        notice    TEXT NOT NULL,
        -- Bumped whenever the notice is replaced: clearing a sent one never clears a newer one.
        version   INTEGER NOT NULL DEFAULT 1,
        queued_at TEXT NOT NULL
    )
    """,
)
