"""Which failures of a delivery are worth retrying, and which will never heal by themselves.

The outbox (bot/tips/outbox.py) retries transient failures for ever with backoff, and gives a
delivery a bounded number of tries (OUTBOX_MAX_PERMANENT_FAILURES) against permanent ones before
keeping it as a dead letter. Any feature that delivers through the outbox classifies with this.
"""

from __future__ import annotations

from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

# Telegram's answer to an edit that changes nothing: the message already says it, so nothing
# failed (bot.ptb.errors ignores it in handlers for the same reason).
_NOT_MODIFIED = "message is not modified"


class PermanentDeliveryError(Exception):
    """A delivery that retrying will not fix (bad data, nobody to deliver to): counted towards
    OUTBOX_MAX_PERMANENT_FAILURES like a permanent refusal from Telegram."""


def is_not_modified(error: TelegramError) -> bool:
    """Say whether Telegram refused an edit only because it would change nothing."""
    return isinstance(error, BadRequest) and _NOT_MODIFIED in error.message.lower()


def is_permanent(error: TelegramError) -> bool:
    """Say whether Telegram refused for good: sending the same request again gets the same no.

    Permanent: a 400 (bad request: chat not found, can't parse entities, message too long...)
    other than "message is not modified", a 403 (blocked, kicked, never started), a group that
    became a supergroup (its old id is dead). Transient: 429 (RetryAfter), 5xx and timeouts
    (python-telegram-bot raises NetworkError and TimedOut for them), and anything else, so an
    unknown answer never loses a delivery.
    """
    if isinstance(error, BadRequest):
        return not is_not_modified(error)
    return isinstance(error, Forbidden | ChatMigrated)
