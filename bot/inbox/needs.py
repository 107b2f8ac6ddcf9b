"""What the inbox's housekeeping uses of the application's services."""

from __future__ import annotations

from typing import Protocol

from bot.inbox.service import Inbox


class InboxNeeds(Protocol):
    """The durable inbox itself."""

    @property
    def inbox(self) -> Inbox:
        """The durable inbox."""
        ...
