"""The scheduled backup job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.maintenance.backups import existing_backups, take_backup
from bot.ptb.application import TipsApplication
from bot.ptb.context import BotContext

if TYPE_CHECKING:
    from bot.services import Services


log = logging.getLogger(__name__)

JOB_NAME = "backup"


async def backup_job(context: BotContext[Services]) -> None:
    """Take one online backup and prune old ones; a failure is logged, never fatal."""
    services = context.services
    settings = services.settings
    try:
        await take_backup(
            services.db,
            settings.backup_dir,
            services.clock.now(),
            settings.backup_keep,
            services.keyring,
        )
    except Exception:
        # A full disk must not stop tips from being received; the log says what happened.
        log.exception("scheduled backup to %s failed", settings.backup_dir)


def schedule_backups(application: TipsApplication[Any]) -> None:
    """Run `backup_job` every BACKUP_INTERVAL_HOURS, the first one when the newest is due."""
    settings = application.services.settings
    if settings.backup_interval_hours <= 0 or application.job_queue is None:
        return
    interval = settings.backup_interval_hours * 3600
    newest = existing_backups(settings.backup_dir)
    # Counting from the newest backup keeps a bot that restarts often from never backing up.
    first = 60.0
    if newest:
        age = datetime.now(UTC).timestamp() - newest[-1].stat().st_mtime
        first = max(60.0, interval - age)
    application.job_queue.run_repeating(backup_job, interval=interval, first=first, name=JOB_NAME)
