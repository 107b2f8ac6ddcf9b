"""The unit tree as every feature sees it: reads, "the unit this person means", and CSV files.

The one holder of the units repository. Handlers, jobs and other features' services are given
this directory (`context.services.units`), never the repository, so the tree's SQL and the
import's single transaction stay behind one door.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.kernel.i18n import Language
from bot.units.csvio import ImportPlan, check_units_csv, export_units_csv, import_units_csv
from bot.units.lookup import resolve_unit
from bot.units.model import Unit
from bot.units.repository import UnitRecord, UnitsRepository
from bot.units.routing import unit_for_pin


class UnitDirectory:
    """Find units, walk the tree, and read or write it as CSV."""

    def __init__(self, repository: UnitsRepository) -> None:
        self._units = repository

    async def by_code(self, code: str) -> Unit | None:
        """Return the unit with this code (case does not matter), or None."""
        return await self._units.by_code(code)

    async def by_id(self, unit_id: int) -> Unit | None:
        """Return the unit with this id, or None."""
        return await self._units.by_id(unit_id)

    async def all(self) -> list[Unit]:
        """Return every unit, retired ones included, parents before children."""
        return await self._units.all()

    async def search(
        self,
        query: str,
        *,
        limit: int = 10,
        active_only: bool = True,
        within: int | None = None,
    ) -> list[Unit]:
        """Find units by name or code (case, diacritics and Unicode form do not matter)."""
        return await self._units.search(query, limit=limit, active_only=active_only, within=within)

    async def children(self, unit_id: int) -> list[Unit]:
        """Return the direct children of a unit, by name."""
        return await self._units.children(unit_id)

    async def subtree_ids(self, unit_id: int) -> list[int]:
        """Return the ids of a unit and of every unit below it."""
        return await self._units.subtree_ids(unit_id)

    async def ancestors(self, unit_id: int) -> list[Unit]:
        """Return the unit's chain from the root down to the unit itself."""
        return await self._units.ancestors(unit_id)

    async def is_within(self, unit_id: int, scope_id: int) -> bool:
        """Say whether `unit_id` is `scope_id` or lies below it."""
        return await self._units.is_within(unit_id, scope_id)

    async def count(self) -> int:
        """Return how many units exist, retired ones included."""
        return await self._units.count()

    async def with_chats(self) -> list[Unit]:
        """Return the units that have an officers' chat of their own."""
        return await self._units.with_chats()

    async def unit_for_pin(
        self, latitude: float, longitude: float, radius_km: float
    ) -> Unit | None:
        """Return the active unit a map pin falls to (see bot.units.routing), or None."""
        if radius_km <= 0:
            return None
        candidates = await self._units.active_with_centroids()
        return unit_for_pin(candidates, latitude, longitude, radius_km)

    async def nearest_chat(self, unit_id: int) -> int | None:
        """Return the officers' chat of the unit or of its nearest ancestor that has one."""
        return await self._units.nearest_chat(unit_id)

    async def resolve(self, query: str, *, within: int | None, language: Language) -> Unit:
        """Return the one unit `query` (a code or a name) means within `within`'s subtree.

        Raises `InputError` for an empty, too long, unknown or ambiguous query; a unit outside
        `within` is answered exactly like one that does not exist.
        """
        return await resolve_unit(self._units, query, within=within, language=language)

    async def save_all(self, records: Sequence[UnitRecord], now: datetime) -> int:
        """Write units (parents before children) in one transaction; return how many."""
        return await self._units.save_all(records, now)

    async def check_csv(self, data: bytes) -> ImportPlan:
        """Validate a units file against itself and the tree; write nothing."""
        return await check_units_csv(self._units, data)

    async def import_csv(self, data: bytes, now: datetime) -> ImportPlan:
        """Validate a units file and, only if every row is valid, write it in one transaction."""
        return await import_units_csv(self._units, data, now)

    async def export_csv(self, *, bom: bool = False) -> str:
        """Return every unit as CSV in the shape `import_csv` reads."""
        return await export_units_csv(self._units, bom=bom)
