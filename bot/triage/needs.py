"""What triage's handlers and jobs use of the application's services, and nothing more.

The container (`bot.container`) satisfies this Protocol with plain attributes; triage never
imports it. Read-only properties, so an attribute or a property both fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

from bot.ptb.context import BotContext

if TYPE_CHECKING:
    from telegram import Update

    from bot.audit import AuditLog
    from bot.core.menu import MainMenu
    from bot.kernel.config import Settings
    from bot.kernel.crypto import Keyring
    from bot.kernel.i18n import Language, Translator
    from bot.officers.service import OfficersService
    from bot.tips.service import TipService
    from bot.triage.card import Cards
    from bot.triage.service import TriageService
    from bot.units import UnitDirectory


class TriageNeeds(Protocol):
    """The services triage's handlers, card redraws and digest use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def keyring(self) -> Keyring: ...

    @property
    def menu(self) -> MainMenu: ...

    @property
    def units(self) -> UnitDirectory: ...

    @property
    def tips(self) -> TipService: ...

    @property
    def officers(self) -> OfficersService: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def triage(self) -> TriageService: ...

    @property
    def cards(self) -> Cards: ...

    async def language_of(self, user_id: int | None) -> Language:
        """Return a person's chosen language, or the configured default."""
        ...

    async def set_language(self, user_id: int, language: Language) -> None:
        """Store a person's language choice (CoreNeeds: a message no question waits for goes
        to the core fallback)."""
        ...

    async def audience_of(self, user_id: int) -> str:
        """Return whose menu a person gets (CoreNeeds, for the core fallback's keyboard)."""
        ...

    async def translator_for(self, update: Update) -> Translator:
        """Return the translator for the person behind an update."""
        ...


# The context every triage handler and job receives.
Context: TypeAlias = "BotContext[TriageNeeds]"
