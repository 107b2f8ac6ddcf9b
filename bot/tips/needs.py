"""What the tips feature's handlers and jobs use of the application's services.

The container (built by the composition root) satisfies this Protocol with plain attributes;
the feature names only these, so it never imports the container.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.menu import MainMenu
from bot.kernel.config import Settings
from bot.tips.service import TipService
from bot.units import UnitDirectory


class TipsNeeds(Protocol):
    """The services the tip conversation, /mytips, /status and the draft expiry use."""

    @property
    def tips(self) -> TipService:
        """Drafts, limits, submissions and the resident's own tips."""
        ...

    @property
    def settings(self) -> Settings:
        """The time zone, the idle time of a draft and the outbox's interval."""
        ...

    @property
    def menu(self) -> MainMenu:
        """The main menu's keyboard, brought back when a conversation ends."""
        ...

    @property
    def units(self) -> UnitDirectory:
        """The units a resident picks the place from."""
        ...
