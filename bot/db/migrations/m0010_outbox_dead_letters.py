"""Outbox dead letters: a delivery that failed for good stays, with when and how it died.

A permanent refusal (a 400 other than "message is not modified", a 403, a chat not found) is
tried `OUTBOX_MAX_PERMANENT_FAILURES` times, counted apart from transient failures (429, 5xx,
timeouts), which are retried for ever. Then the row becomes a dead letter: never deleted, its
payload intact, `last_error` kept, listed by /deadletters and `python -m bot check`, and put
back in the queue by an admin (`/deadletters retry ID`).

`undeliverable_at` (0007) keeps its meaning: a resident who blocked the bot is given up at once
and is not a dead letter (there is nothing for an administrator to fix).
"""

STATEMENTS = (
    # Permanent refusals since the row was queued (or last put back): transient ones never count.
    "ALTER TABLE outbox ADD COLUMN permanent_failures INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE outbox ADD COLUMN dead_at TEXT",
    # /deadletters and `check` read the dead letters newest first; they are few.
    "CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL",
)
