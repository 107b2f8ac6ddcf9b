"""Retention: a tip closed long ago keeps its content and history but loses its links to people.

After RETENTION_DAYS (0 keeps everything for ever), a closed tip's links to its tipster are cut:
the pseudonym (which /mytips and the per-resident limits use), the sealed chat id (relays and
status notices) and the sealed contact; and its attachments lose their Telegram file ids, so
the files can no longer be fetched or forwarded. The tip itself, its category, story, unit,
dates, status history, the kind and number of its attachments, and every figure derived from
it stay: a tip is never deleted (Criminal Procedure Code art. 145: every report is received).

A language choice (`user_prefs`) is a pseudonym too: it is deleted once its owner has not been
seen for RETENTION_DAYS (they get the default language if they come back).

Why tombstones rather than NULL for `reporter_pseudonym` and the file ids: those columns are NOT
NULL, and rebuilding `tips` in a migration would drop the table under `ON DELETE CASCADE`
foreign keys (SQLite cannot turn foreign keys off inside the migration's transaction), taking
the tips' attachments, events and cards with it. A fixed tombstone links nothing to anybody.

Each batch is one transaction: the tips' columns, a `tip_events` row per tip (actor `system`)
and an audit row per tip, so a crash leaves every tip either untouched or fully purged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.audit import AuditLog
from bot.core.repository import PreferencesRepository
from bot.db import Database
from bot.kernel.crypto import Keyring
from bot.kernel.status import Status
from bot.ptb.context import BotContext
from bot.tips.repository import TipsRepository, stamp

if TYPE_CHECKING:
    from bot.ptb.application import TipsApplication
    from bot.services import Services

log = logging.getLogger(__name__)

# What a purged link or file reference holds instead (never a real pseudonym or file id).
PURGED = "purged"
CLOSED = Status.CLOSED.value
EVENT = "identity_purged"
AUDIT_ACTION = "retention.purge"
AUDIT_ACTOR = "system"
BATCH = 100
JOB_NAME = "retention.purge"
SEEN_JOB_NAME = "prefs.seen"
# Sightings are written this often (and at shutdown): one small transaction, not one per update.
SEEN_EVERY = timedelta(hours=1)
JOB_INTERVAL = timedelta(days=1)
# The first run comes a little after start-up, so a bot restarted daily still purges daily.
JOB_FIRST_RUN = timedelta(minutes=10)

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


@dataclass(frozen=True)
class PurgeReport:
    """What one purge did (or, in a dry run, would do)."""

    cutoff: datetime
    dry_run: bool
    codes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Return how many tips were (or would be) purged."""
        return len(self.codes)


class RetentionRepository:
    """The SQL of the purge; every write inside the caller's transaction."""

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

    async def purge_in(
        self, conn: aiosqlite.Connection, candidate: Candidate, now: datetime, days: int
    ) -> bool:
        """Cut one tip's links and file references; False if it was purged meanwhile."""
        cursor = await conn.execute(
            "UPDATE tips SET reporter_pseudonym = ?, reporter_chat_sealed = NULL, "
            "contact_sealed = NULL, updated_at = ? "
            "WHERE id = ? AND status = ? AND reporter_pseudonym <> ?",
            (PURGED, stamp(now), candidate.tip_id, CLOSED, PURGED),
        )
        if cursor.rowcount != 1:
            return False
        await conn.execute(
            "UPDATE tip_evidence SET file_id = ?, file_unique_id = ? WHERE tip_id = ?",
            (PURGED, PURGED, candidate.tip_id),
        )
        # A pending "Reply" of the tipster is a pseudonym link to this tip: it goes too.
        await conn.execute(
            "DELETE FROM tip_reply_waits WHERE message_id IN "
            "(SELECT id FROM tip_messages WHERE tip_id = ?)",
            (candidate.tip_id,),
        )
        await self._tips.add_event_in(
            conn,
            candidate.tip_id,
            at=now,
            actor_kind="system",
            event=EVENT,
            note=f"retention {days} days",
        )
        return True


async def purge_closed_tips(
    db: Database,
    keyring: Keyring,
    now: datetime,
    days: int,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> PurgeReport:
    """Purge every tip closed more than `days` days before `now`, `batch` tips a transaction."""
    if days <= 0:
        raise ValueError("a retention of 0 days means keeping everything; nothing to purge")
    cutoff = now - timedelta(days=days)
    repository = RetentionRepository(db)
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    if dry_run:
        report.codes.extend(candidate.code for candidate in await repository.due(cutoff))
        return report
    audit = AuditLog(db, keyring)
    while True:
        found = await repository.due(cutoff, limit=batch)
        if not found:
            return report
        async with db.transaction() as conn:
            for candidate in found:
                if not await repository.purge_in(conn, candidate, now, days):
                    continue
                await audit.append(
                    conn,
                    at=now,
                    actor=AUDIT_ACTOR,
                    action=AUDIT_ACTION,
                    target=f"tip:{candidate.code}",
                    details={
                        "closed_at": candidate.closed_at,
                        "evidence": candidate.evidence,
                        "retention_days": days,
                    },
                )
                report.codes.append(candidate.code)
        log.info("retention: purged %d closed tips in one batch", len(found))


async def purge_stale_preferences(
    prefs: PreferencesRepository, now: datetime, days: int, *, dry_run: bool = False
) -> int:
    """Delete the language choices of people not seen for `days` days; return how many."""
    if days <= 0:
        raise ValueError("a retention of 0 days means keeping everything; nothing to purge")
    cutoff = (now - timedelta(days=days)).date()
    if dry_run:
        return await prefs.count_unseen_since(cutoff)
    return await prefs.purge_unseen_since(cutoff)


async def retention_job(context: BotContext[Services]) -> None:
    """Purge the tips closed longer than RETENTION_DAYS ago; a failure is logged, never fatal."""

    services = context.services
    days = services.settings.retention_days
    try:
        report = await purge_closed_tips(services.db, services.keyring, services.clock.now(), days)
    except Exception:
        # The bot must keep receiving tips; the log says what went wrong, the next run retries.
        log.exception("the retention purge failed")
        return
    if report.count:
        log.info("retention: purged %d tips closed before %s", report.count, report.cutoff.date())
    try:
        # Today's sightings first: someone active today must not lose their choice.
        await services.save_seen()
        dropped = await purge_stale_preferences(services.prefs, services.clock.now(), days)
    except Exception:
        log.exception("the retention purge of language choices failed")
        return
    if dropped:
        # A cached choice would outlive its row for as long as the process runs.
        services.forget_languages()
        log.info("retention: purged the language choices of %d people not seen since", dropped)


async def seen_job(context: BotContext[Services]) -> None:
    """Write the sightings noted since the last run; a failure is logged, never fatal."""

    try:
        await context.services.save_seen()
    except Exception:
        log.exception("could not record who was seen")


def schedule_retention(application: TipsApplication[Any]) -> None:
    """Run the purge daily (the first run soon after start); RETENTION_DAYS=0 turns it off."""
    days = application.services.settings.retention_days
    if days <= 0 or application.job_queue is None:
        return
    application.job_queue.run_repeating(
        retention_job,
        interval=JOB_INTERVAL.total_seconds(),
        first=JOB_FIRST_RUN.total_seconds(),
        name=JOB_NAME,
    )
    application.job_queue.run_repeating(
        seen_job,
        interval=SEEN_EVERY.total_seconds(),
        first=SEEN_EVERY.total_seconds(),
        name=SEEN_JOB_NAME,
    )
