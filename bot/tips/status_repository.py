"""SQL for a tip's triage state: its status and triage columns, its history, lists (`?` only).

The tips package owns every statement on its tables; triage (bot/triage/service.py) decides
what to write and calls these. Methods ending in `_in` run inside the caller's transaction.
Lists take a `Scope` and pass unit ids as one JSON array (`json_each`), so every statement here
is a fixed text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime

import aiosqlite

from bot.db import Database
from bot.tips.model import Scope, Tip, TipEvent
from bot.tips.repository import TIP_COLUMNS, stamp, tip_from_row

# Scope, in every list: all units (NULL), or the given ids, plus unit-less tips when allowed.
_IN_SCOPE = (
    "(? IS NULL OR unit_id IN (SELECT value FROM json_each(?)) OR (? = 1 AND unit_id IS NULL))"
)
_LIST_WHERE = f"""
    WHERE {_IN_SCOPE}
      AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))
      AND (? IS NULL OR category = ?)
      AND (? IS NULL OR received_at >= ?)
      AND (? IS NULL OR received_at < ?)
"""


def _json(values: Iterable[object] | None) -> str | None:
    return None if values is None else json.dumps(sorted({str(value) for value in values}))


def _scope_params(scope: Scope) -> tuple[object, ...]:
    ids = None if scope.unit_ids is None else json.dumps(sorted(scope.unit_ids))
    return (ids, ids, 1 if scope.unitless else 0)


class TipStatusRepository:
    """Read and write a tip's triage state, its history and the lists of tips."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------ one tip

    async def tip_in(self, conn: aiosqlite.Connection, tip_id: int) -> Tip | None:
        """Return a tip as this transaction sees it."""
        async with conn.execute(f"SELECT {TIP_COLUMNS} FROM tips WHERE id = ?", (tip_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else tip_from_row(row)

    async def save_in(
        self, conn: aiosqlite.Connection, tip: Tip, *, expected_status: str, now: datetime
    ) -> bool:
        """Write a tip's triage state if its status is still `expected_status`; say whether.

        The compare-and-set on the status is what keeps two officers pressing at once from
        both acting on the state they saw: the second write finds another status and fails.
        """
        cursor = await conn.execute(
            """
            UPDATE tips SET status = ?, outcome = ?, assignee_id = ?, unit_id = ?,
                            transferred_to = ?, extension = ?, decision_deadline = ?,
                            legal_type = ?, legal_type_source = ?, of_value = ?, status_at = ?,
                            first_action_at = coalesce(first_action_at, ?), updated_at = ?
            WHERE id = ? AND status = ?
            """,
            (
                tip.status,
                tip.outcome,
                tip.assignee_id,
                tip.unit_id,
                tip.transferred_to,
                tip.extension,
                tip.decision_deadline.isoformat(),
                tip.legal_type,
                tip.legal_type_source,
                1 if tip.of_value else 0,
                None if tip.status_at is None else stamp(tip.status_at),
                stamp(now),
                stamp(now),
                tip.id,
                expected_status,
            ),
        )
        return cursor.rowcount == 1

    async def touch_in(self, conn: aiosqlite.Connection, tip_id: int, now: datetime) -> None:
        """Record an officer action that changes no triage column (a note, a question)."""
        await conn.execute(
            "UPDATE tips SET first_action_at = coalesce(first_action_at, ?), updated_at = ? "
            "WHERE id = ?",
            (stamp(now), stamp(now), tip_id),
        )

    async def events(self, tip_id: int) -> list[TipEvent]:
        """Return a tip's history, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT id, at, actor_kind, actor_ref, event, from_status, to_status, note "
            "FROM tip_events WHERE tip_id = ? ORDER BY at, id",
            (tip_id,),
        )
        return [
            TipEvent(
                id=int(row["id"]),
                at=datetime.fromisoformat(str(row["at"])),
                actor_kind=str(row["actor_kind"]),
                actor_ref=row["actor_ref"],
                event=str(row["event"]),
                from_status=row["from_status"],
                to_status=row["to_status"],
                note=row["note"],
            )
            for row in rows
        ]

    # ------------------------------------------------------------ lists

    async def find(
        self,
        scope: Scope,
        *,
        statuses: Iterable[str] | None,
        category: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Tip], int]:
        """Return one page of matching tips, most urgent deadline first, and how many match."""
        status_json = _json(statuses)
        params = (
            *_scope_params(scope),
            status_json,
            status_json,
            category,
            category,
            None if since is None else stamp(since),
            None if since is None else stamp(since),
            None if until is None else stamp(until),
            None if until is None else stamp(until),
        )
        total = await self._db.fetch_value(f"SELECT count(*) FROM tips {_LIST_WHERE}", params)
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips {_LIST_WHERE} "
            "ORDER BY decision_deadline, received_at, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [tip_from_row(row) for row in rows], int(total or 0)

    async def due_by(
        self, scope: Scope, last_day: date, statuses: Iterable[str], *, limit: int
    ) -> list[Tip]:
        """Return tips in `statuses` whose deadline is on or before `last_day`, soonest first."""
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips WHERE {_IN_SCOPE} "
            "AND status IN (SELECT value FROM json_each(?)) AND decision_deadline <= ? "
            "ORDER BY decision_deadline, received_at, id LIMIT ?",
            (*_scope_params(scope), _json(statuses), last_day.isoformat(), limit),
        )
        return [tip_from_row(row) for row in rows]

    async def untaken(
        self, scope: Scope, cutoff: datetime, statuses: Iterable[str], *, limit: int
    ) -> list[Tip]:
        """Return tips nobody handles, waiting in `statuses` since `cutoff` or longer."""
        rows = await self._db.fetch_all(
            f"SELECT {TIP_COLUMNS} FROM tips WHERE {_IN_SCOPE} "
            "AND assignee_id IS NULL AND status IN (SELECT value FROM json_each(?)) "
            "AND coalesce(status_at, received_at) <= ? "
            "ORDER BY coalesce(status_at, received_at), id LIMIT ?",
            (*_scope_params(scope), _json(statuses), stamp(cutoff), limit),
        )
        return [tip_from_row(row) for row in rows]
