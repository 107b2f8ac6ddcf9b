"""What the outbox's handlers-side helpers need of the services (a Protocol, not the container)."""

from __future__ import annotations

from typing import Protocol

from bot.outbox.deliverer import OutboxDeliverer


class OutboxNeeds(Protocol):
    """What kicking the outbox needs of the services: the one deliverer, built at start-up."""

    @property
    def deliverer(self) -> OutboxDeliverer:
        """The application's outbox deliverer."""
        ...
