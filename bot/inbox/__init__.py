"""The durable inbox: every update stored, sealed, before Telegram is told it arrived."""

from bot.inbox.repository import InboxRepository, InboxRow
from bot.inbox.service import Inbox
from bot.inbox.turns import is_replay, note_failure, will_retry

__all__ = ["Inbox", "InboxRepository", "InboxRow", "is_replay", "note_failure", "will_retry"]
