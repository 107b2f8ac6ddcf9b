"""Finding the unit a person means, by code or by name, within what they may see."""

from __future__ import annotations

from bot.kernel.i18n import N_, Language, Translator
from bot.kernel.text import fold
from bot.units.model import Unit
from bot.units.repository import UnitsRepository

MAX_QUERY_LENGTH = 100
_SHOWN_LENGTH = 40
_CANDIDATES = 6

LEVEL_KEYS: dict[str, str] = {
    "province": N_("units.level.province"),
    "city": N_("units.level.city"),
    "district": N_("units.level.district"),
    "commune": N_("units.level.commune"),
    "ward": N_("units.level.ward"),
    "town": N_("units.level.town"),
}


class InputError(Exception):
    """Input that cannot be used; `key` is the catalog key of the explanation."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, t: Translator) -> str:
        """Return the explanation as HTML in the translator's language."""
        return t(self.key, **self.values)


def shown(text: str, limit: int = _SHOWN_LENGTH) -> str:
    """Return user input shortened for echoing in an answer (one line, at most `limit`)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def level_label(t: Translator, level: str) -> str:
    """Return a level in the translator's language (unknown labels as they are)."""
    key = LEVEL_KEYS.get(level)
    return t.label(key) if key else level


def unit_label(unit: Unit, language: Language) -> str:
    """Return "Name (CODE)" as plain text."""
    return f"{unit.name(language)} ({unit.code})"


async def resolve_unit(
    units: UnitsRepository, query: str, *, within: int | None, language: Language
) -> Unit:
    """Return the one unit that `query` (a code or a name) means within `within`'s subtree.

    A unit outside `within` is treated exactly like a unit that does not exist.
    """
    query = " ".join(query.split())
    if not query:
        raise InputError(N_("units.error.missing"))
    if len(query) > MAX_QUERY_LENGTH:
        raise InputError(N_("units.error.too_long"), limit=MAX_QUERY_LENGTH)
    unit = await units.by_code(query)
    if unit is not None and (within is None or await units.is_within(unit.id, within)):
        return unit
    found = await units.search(query, limit=_CANDIDATES, active_only=False, within=within)
    folded = fold(query)
    exact = [
        candidate
        for candidate in found
        if folded in {fold(candidate.name_vi), fold(candidate.name_en or "")}
    ]
    if len(exact) == 1:
        return exact[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(N_("units.error.not_found"), query=shown(query))
    listed = "\n".join(f"• {candidate.code}: {candidate.name(language)}" for candidate in found)
    raise InputError(N_("units.error.ambiguous"), query=shown(query), matches=listed)
