"""The unit as the rest of the bot sees it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.i18n import Language


@dataclass(frozen=True)
class Unit:
    """One administrative unit: a node of the tree."""

    id: int
    code: str
    name_vi: str
    name_en: str | None
    parent_id: int | None
    level: str
    active: bool
    # The unit's own officers' chat, if it has one (tips of the subtree are posted there).
    chat_id: int | None = None
    # An approximate point inside the unit (WGS 84), both or neither: map pins are routed by it.
    latitude: float | None = None
    longitude: float | None = None

    def name(self, language: Language) -> str:
        """Return the unit's name in a language, the Vietnamese one when there is no other."""
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_vi
