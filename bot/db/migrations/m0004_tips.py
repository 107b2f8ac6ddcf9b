"""Tips: categories, the tips with their evidence and history, drafts, the outbox, cards.

Anonymity at rest: no table here holds a resident's Telegram id, chat id, username, name or
phone in clear. A resident is known only by a keyed pseudonym (HMAC of the user id under
SECRET_KEY); the chat id to answer them and any contact they chose to leave are sealed
(AES-GCM under a key derived from SECRET_KEY, bound to a context). Drafts are sealed whole.
"""

STATEMENTS = (
    """
    CREATE TABLE tip_categories (
        code               TEXT PRIMARY KEY,
        label_vi           TEXT NOT NULL,
        label_en           TEXT NOT NULL,
        -- Criminal Procedure Code art. 144: tố giác (an individual reports an act with signs
        -- of a crime), tin báo (information about a crime); phản ánh: public order, not a crime.
        default_legal_type TEXT NOT NULL
                           CHECK (default_legal_type IN ('to_giac', 'tin_bao', 'phan_anh')),
        sort_order         INTEGER NOT NULL,
        active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
    ) WITHOUT ROWID
    """,
    """
    INSERT INTO tip_categories (code, label_vi, label_en, default_legal_type, sort_order) VALUES
        ('drugs', '💊 Ma túy', '💊 Drugs', 'to_giac', 10),
        ('theft', '👜 Trộm cắp, cướp giật', '👜 Theft or robbery', 'to_giac', 20),
        ('fraud', '💳 Lừa đảo, lừa đảo qua mạng', '💳 Fraud and online scams', 'to_giac', 30),
        ('gambling', '🎲 Cờ bạc', '🎲 Gambling', 'to_giac', 40),
        ('loan_sharking', '💸 Tín dụng đen, cho vay nặng lãi', '💸 Loan sharking',
         'to_giac', 50),
        ('violence', '👊 Bạo lực, gây rối trật tự công cộng',
         '👊 Violence and public disorder', 'to_giac', 60),
        ('dispute', '🤝 Mâu thuẫn trong cộng đồng (cần hòa giải)',
         '🤝 A dispute in the community (for mediation)', 'phan_anh', 70),
        ('wanted', '🚨 Đối tượng truy nã, bỏ trốn', '🚨 A wanted person or fugitive',
         'tin_bao', 80),
        ('weapons', '💣 Vũ khí, vật liệu nổ', '💣 Weapons or explosives', 'to_giac', 90),
        ('other', '📝 Việc khác', '📝 Something else', 'phan_anh', 100)
    """,
    """
    CREATE TABLE tips (
        id                   INTEGER PRIMARY KEY,
        -- The receipt code residents hold (TB-XXXX-XXXX, random, never sequential).
        code                 TEXT NOT NULL UNIQUE,
        -- Carried by the review's "Send" button: a second press or a redelivered update finds
        -- the tip it already made instead of making another.
        submission_key       TEXT NOT NULL UNIQUE,
        category             TEXT NOT NULL REFERENCES tip_categories (code),
        legal_type           TEXT NOT NULL CHECK (legal_type IN ('to_giac', 'tin_bao', 'phan_anh')),
        legal_type_source    TEXT NOT NULL
                             CHECK (legal_type_source IN ('category', 'resident', 'officer')),
        -- Empty when the resident told the story in a voice note (see tip_evidence.role).
        story                TEXT NOT NULL,
        place_kind           TEXT NOT NULL
                             CHECK (place_kind IN ('location', 'address', 'unit', 'unknown')),
        place_text           TEXT,
        latitude             REAL,
        longitude            REAL,
        unit_id              INTEGER REFERENCES units (id),
        occurred             TEXT NOT NULL CHECK (occurred IN ('now', 'today', 'date', 'unknown')),
        -- Local date (TIMEZONE) of the events for now/today/date.
        occurred_on          TEXT,
        anonymous            INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
        -- HMAC of the Telegram user id under SECRET_KEY: /mytips and relays, never the id.
        reporter_pseudonym   TEXT NOT NULL,
        -- AES-GCM of the chat id, bound to the pseudonym.
        reporter_chat_sealed TEXT,
        -- AES-GCM of the contact the resident chose to leave, bound to the code.
        contact_sealed       TEXT,
        language             TEXT NOT NULL CHECK (language IN ('vi', 'en')),
        -- received first; the officers' triage moves it on (bot.tips.model.STATUSES).
        status               TEXT NOT NULL DEFAULT 'received',
        received_at          TEXT NOT NULL,
        -- Art. 147: 20 days from receipt to verify and decide, as a local date.
        decision_deadline    TEXT NOT NULL,
        first_action_at      TEXT,
        updated_at           TEXT NOT NULL,
        CHECK (anonymous = 0 OR contact_sealed IS NULL),
        CHECK ((latitude IS NULL) = (longitude IS NULL))
    )
    """,
    # /mytips and the per-resident limits.
    "CREATE INDEX tips_by_reporter ON tips (reporter_pseudonym, received_at)",
    # Officers' lists: by status, by unit (subtree ids IN (...)), by period, overdue first.
    "CREATE INDEX tips_by_status ON tips (status, received_at)",
    "CREATE INDEX tips_by_unit ON tips (unit_id, received_at)",
    "CREATE INDEX tips_by_received ON tips (received_at)",
    "CREATE INDEX tips_by_deadline ON tips (decision_deadline, status)",
    """
    CREATE TABLE tip_evidence (
        id             INTEGER PRIMARY KEY,
        tip_id         INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
        position       INTEGER NOT NULL,
        -- 'story': the voice note that tells what happened; 'evidence': an attachment.
        role           TEXT NOT NULL CHECK (role IN ('story', 'evidence')),
        kind           TEXT NOT NULL
                       CHECK (kind IN ('photo', 'video', 'document', 'voice', 'audio',
                                       'video_note')),
        -- Telegram's ids: nothing is downloaded unless EVIDENCE_DOWNLOAD is on.
        file_id        TEXT NOT NULL,
        file_unique_id TEXT NOT NULL,
        mime           TEXT,
        size           INTEGER,
        caption        TEXT,
        UNIQUE (tip_id, position)
    )
    """,
    """
    CREATE TABLE tip_events (
        id          INTEGER PRIMARY KEY,
        tip_id      INTEGER NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
        at          TEXT NOT NULL,
        actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('resident', 'officer', 'system')),
        -- An officer's reference when actor_kind = 'officer'; never a resident's identity.
        actor_ref   TEXT,
        event       TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT,
        note        TEXT
    )
    """,
    "CREATE INDEX tip_events_by_tip ON tip_events (tip_id, at)",
    """
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        kind            TEXT NOT NULL,
        -- Officers' chats only: a resident's chat is reached through the tip's sealed chat id.
        target_chat_id  INTEGER,
        payload         TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        delivered_at    TEXT,
        created_at      TEXT NOT NULL
    )
    """,
    "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL",
    """
    CREATE TABLE tip_cards (
        -- The officers' card of a tip: the message triage edits in place.
        tip_id     INTEGER PRIMARY KEY REFERENCES tips (id) ON DELETE CASCADE,
        chat_id    INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        sent_at    TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE tip_drafts (
        pseudonym   TEXT PRIMARY KEY,
        step        TEXT NOT NULL,
        -- The draft's answers as JSON, sealed under the pseudonym (it may hold a contact).
        data_sealed TEXT NOT NULL,
        -- The chat to tell when the draft expires, sealed under the pseudonym.
        chat_sealed TEXT NOT NULL,
        language    TEXT NOT NULL CHECK (language IN ('vi', 'en')),
        -- Bumped by every save: a save over a draft that changed or expired meanwhile fails.
        version     INTEGER NOT NULL DEFAULT 1,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    "CREATE INDEX tip_drafts_by_age ON tip_drafts (updated_at)",
    """
    CREATE TABLE conversation_states (
        -- python-telegram-bot's persistent conversations (bot.persistence): the key tuple holds
        -- Telegram ids, so it is stored as a keyed HMAC (to find it) and sealed (to rebuild it).
        name          TEXT NOT NULL,
        key_pseudonym TEXT NOT NULL,
        key_sealed    TEXT NOT NULL,
        state         TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (name, key_pseudonym)
    ) WITHOUT ROWID
    """,
)
