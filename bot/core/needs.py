"""What the core's handlers use of the application's services (`context.services`)."""

from __future__ import annotations

from typing import Protocol

from bot.core.menu import MainMenu
from bot.kernel.i18n import Language


class CoreNeeds(Protocol):
    """The main menu and the person's language choice."""

    @property
    def menu(self) -> MainMenu:
        """The resident's main menu, whose buttons the features add."""
        ...

    async def set_language(self, user_id: int, language: Language) -> None:
        """Store a person's language choice."""
        ...
