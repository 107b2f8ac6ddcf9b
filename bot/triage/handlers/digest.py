"""/overdue and the daily digest: deadlines past or near, tips nobody took."""

from __future__ import annotations

import logging
from typing import Any, Final

from telegram import Update
from telegram.error import TelegramError

from bot.kernel.i18n import Translator, translator
from bot.officers.access import Officer
from bot.ptb.application import TipsApplication
from bot.ptb.messaging import reply_in_chat, send_text
from bot.triage.handlers.common import list_lookups
from bot.triage.model import Overdue, Scope
from bot.triage.needs import Context, TriageNeeds
from bot.triage.render import overdue_text
from bot.triage.service import OVERDUE_LIMIT

log = logging.getLogger(__name__)

DIGEST_JOB: Final = "triage.digest"


async def _overdue_text(
    services: TriageNeeds, t: Translator, overdue: Overdue, *, digest: bool
) -> str:
    lookups = await list_lookups(services, [*overdue.due, *overdue.untaken])
    return overdue_text(t, overdue, digest=digest, **lookups)


async def overdue_command(update: Update, context: Context, officer: Officer) -> object:
    """List the officer's tips past or near their deadline, and tips nobody has taken."""
    services = context.services
    t = context.t
    overdue = await services.triage.overdue(await services.triage.scope_of(officer))
    await reply_in_chat(update, context, await _overdue_text(services, t, overdue, digest=False))
    return None


async def send_digest(application: TipsApplication[Any]) -> int:
    """Send each officers' chat its digest of deadlines and untaken tips; return how many."""
    services: TriageNeeds = application.services
    overdue = await services.triage.overdue(Scope(None, True), limit=10 * OVERDUE_LIMIT)
    by_chat: dict[int, Overdue] = {}
    for field in ("due", "untaken"):
        for tip in getattr(overdue, field):
            chat_id = await services.triage.chat_of(tip)
            if chat_id is None:
                continue
            entry = by_chat.setdefault(
                chat_id, Overdue(overdue.today, [], [], overdue.untaken_hours)
            )
            listed = getattr(entry, field)
            if len(listed) < OVERDUE_LIMIT:
                listed.append(tip)
    t = translator(services.settings.default_language)
    sent = 0
    for chat_id, entry in sorted(by_chat.items()):
        try:
            await send_text(
                application.bot, chat_id, await _overdue_text(services, t, entry, digest=True)
            )
            sent += 1
        except TelegramError as error:
            log.warning("the daily digest could not reach chat %s: %s", chat_id, error)
    log.info("daily digest sent to %d officers' chats", sent)
    return sent


async def digest_job(context: Context) -> None:
    """Send the daily digest (a JobQueue callback)."""
    application = context.application
    if isinstance(application, TipsApplication):
        await send_digest(application)
