"""What triage reads: an officer's scope, who may handle a tip, histories, lists, the clock.

The read side of `TriageService` (bot/triage/service.py), which adds the actions; every
statement on the tips tables is bot/tips/status_repository.py's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Final

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.status import Status
from bot.officers.model import Officer
from bot.officers.service import OfficersService
from bot.tips import deadlines
from bot.tips.model import Scope, Tip, TipEvent
from bot.tips.service import TipService
from bot.tips.status import OPEN
from bot.tips.status_repository import TipStatusRepository
from bot.triage.model import Overdue, RelayMessage, TipQuery
from bot.triage.repository import TriageRepository
from bot.units import UnitDirectory

# Longest lists /overdue and the digest print (the rest is counted).
OVERDUE_LIMIT: Final = 50
# Untaken: waiting for someone to take it (received, or transferred to this unit).
UNTAKEN: Final = frozenset({Status.RECEIVED, Status.TRANSFERRED})

ChatFor = Callable[[int | None], Awaitable[int | None]]


class TriageReads:
    """Scope, candidates, histories, lists and the clock, over what `TriageService` holds."""

    settings: Settings
    clock: Clock
    tips: TipService
    units: UnitDirectory
    officers: OfficersService
    repo: TriageRepository
    states: TipStatusRepository
    _chat_for: ChatFor

    # ------------------------------------------------------------ scope

    async def scope_of(self, officer: Officer) -> Scope:
        """Return the tips an officer may see: their subtree; unit-less tips at the top.

        A tip whose place is no unit goes to OFFICER_CHAT_ID; admins and officers of a unit at
        the top of the tree (a province) act on it, and can transfer it to the right unit.
        """
        unit_ids = officer.unit_ids()
        if unit_ids is None:
            return Scope(None, True)
        unitless = False
        if officer.unit_id is not None:
            unit = await self.units.by_id(officer.unit_id)
            unitless = unit is not None and unit.parent_id is None
        return Scope(unit_ids, unitless)

    async def in_scope(self, officer: Officer, tip: Tip) -> bool:
        """Say whether the officer may see and act on the tip."""
        if not officer.active:
            return False
        if tip.unit_id is None:
            return (await self.scope_of(officer)).unitless
        return officer.covers(tip.unit_id)

    def today(self) -> date:
        """Return today's date in TIMEZONE."""
        return deadlines.local_date(self.clock.now(), self.settings.zone)

    # ------------------------------------------------------------ handlers

    async def candidates(self, tip: Tip) -> list[Officer]:
        """Return who may handle a tip: active officers and admins whose scope covers it."""
        if tip.unit_id is not None:
            found = await self.officers.covering(tip.unit_id)
        else:
            found = [
                officer
                for officer in await self._everyone()
                if (await self.scope_of(officer)).unitless
            ]
        return [officer for officer in found if officer.role in ("admin", "officer")]

    async def _everyone(self) -> list[Officer]:
        people = []
        for user_id in sorted(self.officers.config_admins):
            officer = await self.officers.officer(user_id)
            if officer is not None:
                people.append(officer)
        for record in await self.officers.records():
            if record.user_id in self.officers.config_admins:
                continue
            officer = await self.officers.officer(record.user_id)
            if officer is not None:
                people.append(officer)
        return people

    # ------------------------------------------------------------ reading

    async def history(self, tip_id: int) -> list[TipEvent]:
        """Return a tip's history, oldest first."""
        return await self.states.events(tip_id)

    async def messages(self, tip_id: int) -> list[RelayMessage]:
        """Return a tip's questions and answers, oldest first."""
        return await self.repo.messages(tip_id)

    async def list_tips(
        self, officer: Officer, query: TipQuery, *, offset: int, limit: int
    ) -> tuple[list[Tip], int]:
        """Return one page of the officer's tips matching the query, and how many match."""
        scope = await self.scope_of(officer)
        if query.unit_id is not None:
            if not officer.covers(query.unit_id):
                return [], 0
            scope = Scope(frozenset(await self.units.subtree_ids(query.unit_id)), False)
        since = until = None
        if query.period is not None:
            zone = self.settings.zone
            since = datetime.combine(query.period.start, time(), zone)
            until = datetime.combine(query.period.end + timedelta(days=1), time(), zone)
        return await self.states.find(
            scope,
            statuses=None
            if query.statuses is None
            else [status.value for status in query.statuses],
            category=query.category,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    async def overdue(self, scope: Scope, *, limit: int = OVERDUE_LIMIT) -> Overdue:
        """Return open tips past or within 3 days of their deadline, and tips nobody took."""
        today = self.today()
        last_day = today + timedelta(days=deadlines.DUE_SOON_DAYS)
        hours = self.settings.untaken_alert_hours
        cutoff = self.clock.now() - timedelta(hours=hours)
        due = await self.states.due_by(
            scope, last_day, [status.value for status in OPEN], limit=limit
        )
        untaken = await self.states.untaken(
            scope, cutoff, [status.value for status in UNTAKEN], limit=limit
        )
        return Overdue(today, due, untaken, hours)

    async def chat_of(self, tip: Tip) -> int | None:
        """Return the officers' chat a tip belongs to (its card's, or its unit's)."""
        card = await self.tips.card_of(tip.id)
        if card is not None:
            return card.chat_id
        return await self._chat_for(tip.unit_id)
