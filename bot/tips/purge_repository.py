"""SQL of the retention purge on the tips tables (`?` placeholders only).

bot/maintenance/retention.py decides when and records the purge in the audit log; these are its
statements on the tips, their attachments and their history, each in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.db import Database
from bot.kernel.status import Status
from bot.tips.repository import TipsRepository, stamp

# What a purged link or file reference holds instead (never a real pseudonym or file id).
PURGED = "purged"
CLOSED = Status.CLOSED.value

# A tip is closed at its (latest) closing event; a tip marked closed without one, as data from
# before closing events existed would be, counts from its last change instead.
_CANDIDATES = """
    SELECT t.id, t.code,
           coalesce(closing.at, t.updated_at) AS closed_at,
           (SELECT count(*) FROM tip_evidence AS e WHERE e.tip_id = t.id) AS evidence
    FROM tips AS t
    LEFT JOIN (
        SELECT tip_id, max(at) AS at FROM tip_events WHERE to_status = ? GROUP BY tip_id
    ) AS closing ON closing.tip_id = t.id
    WHERE t.status = ?
      AND t.reporter_pseudonym <> ?
      AND coalesce(closing.at, t.updated_at) < ?
    ORDER BY closed_at, t.id
    LIMIT ?
"""


@dataclass(frozen=True)
class Candidate:
    """A closed tip due for purging."""

    tip_id: int
    code: str
    closed_at: str
    evidence: int


class TipsPurgeRepository:
    """Find closed tips due for purging and cut their links to people."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tips = TipsRepository(db)

    async def due(self, cutoff: datetime, *, limit: int = -1) -> list[Candidate]:
        """Return closed, unpurged tips closed before `cutoff`, oldest first (-1: all)."""
        rows = await self._db.fetch_all(_CANDIDATES, (CLOSED, CLOSED, PURGED, stamp(cutoff), limit))
        return [
            Candidate(int(row["id"]), str(row["code"]), str(row["closed_at"]), int(row["evidence"]))
            for row in rows
        ]

    async def cut_links_in(self, conn: aiosqlite.Connection, tip_id: int, now: datetime) -> bool:
        """Cut a closed tip's links to its tipster and its files; False if already purged."""
        cursor = await conn.execute(
            "UPDATE tips SET reporter_pseudonym = ?, reporter_chat_sealed = NULL, "
            "contact_sealed = NULL, updated_at = ? "
            "WHERE id = ? AND status = ? AND reporter_pseudonym <> ?",
            (PURGED, stamp(now), tip_id, CLOSED, PURGED),
        )
        if cursor.rowcount != 1:
            return False
        await conn.execute(
            "UPDATE tip_evidence SET file_id = ?, file_unique_id = ? WHERE tip_id = ?",
            (PURGED, PURGED, tip_id),
        )
        return True

    async def record_purge_in(
        self, conn: aiosqlite.Connection, tip_id: int, now: datetime, *, event: str, days: int
    ) -> None:
        """Append the purge to the tip's history (actor `system`)."""
        await self._tips.add_event_in(
            conn,
            tip_id,
            at=now,
            actor_kind="system",
            event=event,
            note=f"retention {days} days",
        )
