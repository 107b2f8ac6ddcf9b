"""A tipster's answer typed with several questions open, held until they say which one; the
time of day a resident gave for the events ("tối qua 20h"); the file a tipster's answer
carries (a photo, a video, a voice note, a document), stored as one more of the tip's files.

A resident who simply types after officers asked them more than one question is asked which
question the text answers (buttons); the text waits here, sealed to their pseudonym like a
draft, for at most one press. Nothing in the row names them.
"""

STATEMENTS = (
    """
    CREATE TABLE tip_held_answers (
        -- By keyed pseudonym, one held answer per person (a newer one replaces it).
        pseudonym   TEXT PRIMARY KEY,
        -- The answer's text, sealed (AES-GCM) with the pseudonym as context.
        body_sealed TEXT NOT NULL,
        created_at  TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    # "HH:MM" local time, with occurred_on; NULL when only the day (or nothing) was given.
    "ALTER TABLE tips ADD COLUMN occurred_time TEXT",
    # The answer's file, among the tip's evidence (so /file CODE N opens it, audited).
    "ALTER TABLE tip_messages ADD COLUMN evidence_id INTEGER "
    "REFERENCES tip_evidence (id) ON DELETE SET NULL",
)
