"""What the officers' code uses of the application's services (`context.services`).

Each Protocol names the few services a part of the feature reads; the container (built by
`bot.app`) has them all as plain attributes, which satisfy these read-only properties.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.needs import CoreNeeds
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import Language
from bot.officers.service import OfficersService
from bot.units import UnitDirectory


class AccessNeeds(CoreNeeds, Protocol):
    """The guard's: the registry to look the person up in, and the core's answers to refuse."""

    @property
    def officers(self) -> OfficersService:
        """The officers' registry."""
        ...


class OfficersNeeds(AccessNeeds, Protocol):
    """The registry commands': the units, the keys that sign buttons, and languages."""

    @property
    def settings(self) -> Settings:
        """The configuration (the time zone of the history)."""
        ...

    @property
    def keyring(self) -> Keyring:
        """Signs and verifies the removal button."""
        ...

    @property
    def units(self) -> UnitDirectory:
        """The unit tree."""
        ...

    @property
    def clock(self) -> Clock:
        """The time a published menu is stamped with."""
        ...

    async def language_of(self, user_id: int | None) -> Language:
        """Return a person's language (the default for None)."""
        ...


class UnitCommandsNeeds(AccessNeeds, Protocol):
    """The unit commands': the unit tree, the clock and the time zone of an export's name."""

    @property
    def settings(self) -> Settings:
        """The configuration (the time zone)."""
        ...

    @property
    def units(self) -> UnitDirectory:
        """The unit tree."""
        ...

    @property
    def clock(self) -> Clock:
        """The time an import is stamped with."""
        ...
