"""The inbox's housekeeping job: forget handled updates once Telegram can no longer resend them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.ptb.application import TipsApplication
from bot.ptb.context import BotContext

if TYPE_CHECKING:
    from bot.services import Services


log = logging.getLogger(__name__)

JOB_NAME = "inbox.prune"
PRUNE_INTERVAL_SECONDS = 3600.0


async def prune_job(context: BotContext[Services]) -> None:
    """Delete done inbox rows past INBOX_KEEP_DONE_HOURS; a failure is logged, never fatal."""
    try:
        pruned = await context.services.inbox.prune()
    except Exception:
        log.exception("could not prune the inbox")
        return
    if pruned:
        log.info("pruned %d handled updates from the inbox", pruned)


def schedule_inbox_pruning(application: TipsApplication[Any]) -> None:
    """Run `prune_job` every hour, the first one a minute after start-up."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            prune_job, interval=PRUNE_INTERVAL_SECONDS, first=60, name=JOB_NAME
        )
