"""The anchor jobs: follow the head beside the database, and tell the admins once a day."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.audit.anchor import ANCHOR_EVERY, compare_with_anchors, update_anchor
from bot.audit.needs import AuditNeeds
from bot.kernel.i18n import N_
from bot.ptb.context import BotContext

if TYPE_CHECKING:
    from bot.ptb.application import TipsApplication

log = logging.getLogger(__name__)

JOB_NAME = "audit.anchor"
ALERT_JOB_NAME = "audit.anchor.alert"
ALERT_EVERY = timedelta(days=1)
# Characters of the head hash in the admins' message: enough to tell two heads apart by eye.
HEAD_SHOWN = 16
ANCHOR_ALERT = N_("alerts.audit_anchor")
MISMATCH_ALERT = N_("alerts.audit_anchor_mismatch")


async def anchor_now(services: AuditNeeds) -> None:
    """Write the anchor beside the database if the head moved (never fatal)."""
    settings = services.settings
    try:
        await update_anchor(
            services.db, services.keyring, settings.database_path, services.clock.now()
        )
    except Exception:
        # A full disk must not stop tips from being received; the log says what happened.
        log.exception("could not write the audit anchor beside %s", settings.database_path)


async def post_daily_anchor(services: AuditNeeds) -> None:
    """Anchor, then post the chain's count and head to the administrators (or why not)."""
    settings = services.settings
    now = services.clock.now()
    anchor = await update_anchor(services.db, services.keyring, settings.database_path, now)
    async with services.db.transaction() as conn:
        if anchor is not None:
            await services.outbox.alert_admins_in(
                conn,
                ANCHOR_ALERT,
                now,
                count=anchor.count,
                head=anchor.head[:HEAD_SHOWN],
                at=anchor.at.isoformat(timespec="minutes"),
            )
            return
        verdict = await compare_with_anchors(
            services.db, services.keyring, settings.database_path, settings.backup_dir
        )
        await services.outbox.alert_admins_in(conn, MISMATCH_ALERT, now, detail=verdict.detail)


async def anchor_job(context: BotContext[AuditNeeds]) -> None:
    """Follow the head beside the database."""

    await anchor_now(context.services)


async def anchor_alert_job(context: BotContext[AuditNeeds]) -> None:
    """Post the daily anchor; a failure is logged, never fatal."""

    try:
        await post_daily_anchor(context.services)
    except Exception:
        log.exception("the daily audit anchor could not be posted")


def schedule_anchors(application: TipsApplication[Any]) -> None:
    """Anchor every ANCHOR_EVERY (when the head moved) and post one to the admins daily."""
    if application.job_queue is None:
        return
    every = ANCHOR_EVERY.total_seconds()
    application.job_queue.run_repeating(anchor_job, interval=every, first=every, name=JOB_NAME)
    # The first post soon after start-up: a bot restarted daily still posts daily.
    application.job_queue.run_repeating(
        anchor_alert_job,
        interval=ALERT_EVERY.total_seconds(),
        first=every,
        name=ALERT_JOB_NAME,
    )
