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
from bot.maintenance.needs import MaintenanceNeeds
from bot.ptb.context import BotContext
from bot.tips.purge_repository import PURGED as PURGED
from bot.tips.purge_repository import Candidate, TipsPurgeRepository
from bot.triage.repository import TriageRepository

if TYPE_CHECKING:
    from bot.ptb.application import TipsApplication

log = logging.getLogger(__name__)

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
    """The purge's writes, each in the caller's transaction: the tips' own (bot.tips) and the
    tipster's pending "Reply" (bot.triage)."""

    def __init__(self, db: Database) -> None:
        self._tips = TipsPurgeRepository(db)
        self._triage = TriageRepository(db)

    async def due(self, cutoff: datetime, *, limit: int = -1) -> list[Candidate]:
        """Return closed, unpurged tips closed before `cutoff`, oldest first (-1: all)."""
        return await self._tips.due(cutoff, limit=limit)

    async def purge_in(
        self, conn: aiosqlite.Connection, candidate: Candidate, now: datetime, days: int
    ) -> bool:
        """Cut one tip's links and file references; False if it was purged meanwhile."""
        if not await self._tips.cut_links_in(conn, candidate.tip_id, now):
            return False
        # A pending "Reply" of the tipster is a pseudonym link to this tip: it goes too.
        await self._triage.forget_waits_of_tip_in(conn, candidate.tip_id)
        await self._tips.record_purge_in(conn, candidate.tip_id, now, event=EVENT, days=days)
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


async def retention_job(context: BotContext[MaintenanceNeeds]) -> None:
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
        dropped = await services.purge_unseen_languages(days)
    except Exception:
        log.exception("the retention purge of language choices failed")
        return
    if dropped:
        log.info("retention: purged the language choices of %d people not seen since", dropped)


async def seen_job(context: BotContext[MaintenanceNeeds]) -> None:
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
