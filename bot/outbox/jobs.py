"""The outbox's place on the JobQueue: a repeating run, and a run at once after a commit."""

from __future__ import annotations

from functools import partial
from typing import Any

from telegram.ext import JobQueue

from bot.inbox.turns import detached
from bot.outbox.deliverer import OutboxDeliverer
from bot.outbox.needs import OutboxNeeds
from bot.ptb.context import BotContext

JOB_NAME = "tips.outbox"


def schedule_outbox(
    job_queue: JobQueue[Any] | None, deliverer: OutboxDeliverer, interval: float
) -> None:
    """Run the deliverer every `interval` seconds, the first time a second after start-up."""
    if job_queue is None:
        raise RuntimeError("the outbox needs python-telegram-bot's job-queue extra")
    job_queue.run_repeating(deliverer.job, interval=interval, first=1, name=JOB_NAME)


def kick_outbox(context: BotContext[Any]) -> None:
    """Ask for a delivery run right away (after a commit); the resident does not wait for it."""
    job_queue = context.job_queue
    if job_queue is not None:
        # Detached from the update being handled: the delivery's own writes are not the
        # update's (an update handled again must not roll them back; bot.inbox.turns).
        services: OutboxNeeds = context.services
        job = services.deliverer.job
        detached(partial(job_queue.run_once, job, 0, name=f"{JOB_NAME}.now"))
