"""When a person with a language choice was last seen, so a choice is not kept for ever.

`user_prefs` holds the pseudonym of everyone who ever chose a language; after RETENTION_DAYS
without being seen, the row is purged (bot/maintenance/retention.py) like a closed tip's links.
A date, not a time: the bot writes it at most once a day per person (bot/services.py), so the
hot path (every update looks the language up) stays a lookup in memory.
"""

STATEMENTS = (
    "ALTER TABLE user_prefs ADD COLUMN seen_on TEXT",
    # Until now a row only knew when the choice was made: that is the last sure sighting.
    "UPDATE user_prefs SET seen_on = substr(updated_at, 1, 10)",
)
