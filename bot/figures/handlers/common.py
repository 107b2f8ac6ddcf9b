"""What every figures handler shares: its context, limits, callback prefixes and lookups."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from telegram import Update
from telegram.ext import filters

from bot.figures._access import Officer
from bot.figures.needs import Context
from bot.figures.service import FiguresService, Scope
from bot.kernel.periods import Period

PRIVATE = filters.ChatType.PRIVATE

MAX_ARGUMENTS_TEXT: Final = 600
MAX_TOKEN: Final = 64
MAX_LISTED_PROBLEMS: Final = 30
INDICATORS_PER_PAGE: Final = 8
CALLBACK_LIMIT: Final = 64

# Conversation states of /record and /import.
ASK_INDICATOR, ASK_VALUE, ASK_UNIT, ASK_PERIOD, ASK_REASON, WAIT_FILE = range(6)

# Callback data prefixes: breakdown buttons, /record's buttons, /export's format buttons.
BREAKDOWN: Final = "fg"
RECORD: Final = "fgr"
EXPORT: Final = "fgx"


def capitalized(text: str) -> str:
    """Return the text with its first letter upper-cased."""
    return text[:1].upper() + text[1:]


def service_of(context: Context) -> FiguresService:
    """Return the figures service."""
    return context.services.figures


def today(context: Context) -> date:
    """Return today's local date (periods are local calendar days)."""
    services = context.services
    return services.figures.local_today(services.settings.zone)


def scope_of(officer: Officer) -> Scope:
    """Return where an officer may read and write."""
    return Scope(officer.unit_id, officer.unit_ids())


def too_long(update: Update) -> bool:
    """Say whether the typed command is longer than any honest one."""
    message = update.effective_message
    text = message.text if message is not None else None
    return text is not None and len(text) > MAX_ARGUMENTS_TEXT


def file_stem(code: str, period: Period) -> str:
    """Return the name of a sent file, without its extension."""
    safe_code = re.sub(r"[^A-Za-z0-9_-]+", "_", code)
    return f"figures_{safe_code}_{period.label().replace('..', '_')}"
