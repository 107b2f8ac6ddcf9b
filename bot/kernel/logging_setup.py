"""Process-wide logging: one format on stderr, and no tipster's identity at any level.

`LOG_LEVEL=DEBUG` turns on debug output for the bot's own `bot.*` loggers only. The libraries
stay at INFO: python-telegram-bot's (`telegram`, `telegram.ext`) debug output prints every
request, reply, update and conversation key (ids, usernames, names, phone numbers, stories);
aiosqlite's prints every call; httpx and httpcore stay at WARNING at every level (their INFO
line is each request's URL, and every Bot API URL contains the token). Every other library
inherits the root logger's level, INFO at the most verbose.

We chose this over a redacting filter: a filter has to recognise a name or a story in free text,
which it cannot do reliably, while a logger that never writes them needs no recognising. In
exchange our own log calls never carry a Telegram id, username, name, phone number or message
text, at any level; they name updates by update id, tips by code or number and outbox rows by
number (who did what is in the audit log). `tests/test_logging.py` runs two whole anonymous tips
at DEBUG through this set-up and finds no identity in what was written.
"""

from __future__ import annotations

import logging
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# httpx logs every request at INFO, and each Bot API URL contains the bot token; APScheduler
# logs every run of every job at INFO.
QUIET = ("httpx", "httpcore", "apscheduler")


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs, so that a second call replaces it."""


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Log to `stream` (stderr) at `level` for `bot.*`, at INFO at most for libraries."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    root = logging.getLogger()
    # Idempotent, like logging.basicConfig: the CLI may run more than once in one process.
    for old in [each for each in root.handlers if isinstance(each, _OurHandler)]:
        root.removeHandler(old)
    handler = _OurHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    # Every library logger (telegram, telegram.ext, aiosqlite, tornado, ...) inherits the root's
    # level, never below INFO; only `bot` goes lower. A handler writes whatever a logger lets
    # through, so `bot`'s debug records still reach the root's handler.
    root.setLevel(max(numeric, logging.INFO))
    logging.getLogger("bot").setLevel(numeric)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    return handler
