"""The officers' card as triage's handlers redraw it, the full view of a tip, triage's start-up.

`refresh_card` and `show_tip` are thin calls into the card's own room, bot/triage/card.py.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message

from bot.kernel.i18n import Translator
from bot.officers.access import Officer
from bot.outbox.jobs import kick_outbox
from bot.ptb.application import TipsApplication
from bot.tips.model import Tip, TipCard
from bot.triage.handlers.digest import DIGEST_JOB, digest_job
from bot.triage.needs import Context
from bot.triage.service import Change

log = logging.getLogger(__name__)


async def refresh_card(
    context: Context,
    tip_id: int,
    *,
    pressed: tuple[Message, Translator] | None = None,
    retired: TipCard | None = None,
) -> None:
    """Redraw the tip's card, and the pressed message when it is another view of the tip."""
    await context.services.cards.refresh(context.bot, tip_id, pressed=pressed, retired=retired)


async def after_change(
    context: Context, change: Change, *, pressed: tuple[Message, Translator] | None = None
) -> None:
    """Redraw after a change; a card that moved loses its buttons and is posted anew."""
    await refresh_card(context, change.after.id, pressed=pressed, retired=change.moved_from)
    kick_outbox(context)


async def show_tip(
    context: Context, chat_id: int, officer: Officer, tip: Tip, t: Translator
) -> None:
    """Send the full view of a tip: card, history and messages, map pin and files."""
    await context.services.cards.show(context.bot, chat_id, officer, tip, t)


def register(application: TipsApplication[Any]) -> None:
    """Schedule the daily digest (triage's deliveries are gathered by the composition root)."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("triage needs python-telegram-bot's job-queue extra")
    queue.run_daily(digest_job, time=application.services.settings.digest_at, name=DIGEST_JOB)
