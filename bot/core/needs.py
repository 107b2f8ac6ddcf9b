"""What the core's handlers use of the application's services (`context.services`)."""

from __future__ import annotations

from typing import Protocol

from bot.core.menu import MainMenu
from bot.kernel.i18n import Language


class CoreNeeds(Protocol):
    """The main menu, whose menu a person gets, and the person's language choice."""

    @property
    def menu(self) -> MainMenu:
        """The resident's main menu, whose buttons the features add."""
        ...

    async def audience_of(self, user_id: int) -> str:
        """Return whose menu and help a person gets: "resident" or their officer role."""
        ...

    async def set_language(self, user_id: int, language: Language) -> None:
        """Store a person's language choice."""
        ...
