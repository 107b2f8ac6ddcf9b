"""Triage wiring: officers' commands and card buttons, tipsters' answers, the daily digest.

Officers' commands, in private chats, each limited to the officer's unit subtree:
/tips [status] [category] [unit] [period]   the tips, most urgent first, paged with buttons
/tip CODE                                   the full view (audited): card, history, messages, files
/file CODE N                                file N of a tip as it was sent, metadata too (audited)
/assign CODE [ID]                           choose the handler with buttons, or name them
/note CODE text                             an internal note (never shown to the tipster)
/transfer CODE UNIT | investigation         hand the tip to another unit or the investigation body
/ask CODE text                              a question to the tipster (also a button on the card)
/overdue                                    deadlines past or within 3 days; tips nobody took
/audit [ID] [action] [CODE]                 admins: the audit log, newest first, paged

Every handler here is guarded (bot.officers.access) except the tipster's own "Reply" flow; a
button acting on a tip is signed and re-checked against the officer's scope on every press.

`bot/app.py` adds `early_handlers()` in a group before the features (the officers' "/tip CODE"
falls through to residents' "/tip" for everyone else), `tipster_handlers()` after the tip
conversation and the menu, `handlers()` before the core fallbacks, `tipster_fallbacks()` (a
resident's message outside every conversation, taken as an answer when a question waits) just
before them, and `register(app)` once.

Modules: `wiring` (the handler lists), `commands` (/tip CODE, /file, /assign, /note, /transfer),
`listing` (/tips), `ask` (/ask and the card's "Ask" button), `buttons` (the card's buttons, a
verb -> action table), `cards` (the card's redraw, the full view, `register`), `digest`
(/overdue and the daily digest), `audit` (/audit), `answer` (the tipster's answer), `common`
(filters and helpers they share).
"""

from __future__ import annotations

from bot.triage.handlers.cards import register
from bot.triage.handlers.digest import DIGEST_JOB, digest_job, send_digest
from bot.triage.handlers.wiring import (
    early_handlers,
    handlers,
    tipster_fallbacks,
    tipster_handlers,
)

__all__ = [
    "DIGEST_JOB",
    "digest_job",
    "early_handlers",
    "handlers",
    "register",
    "send_digest",
    "tipster_fallbacks",
    "tipster_handlers",
]
