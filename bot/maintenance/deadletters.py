"""/deadletters: the outbox rows that failed for good, and putting them back in the queue.

/deadletters              the count and the newest few: kind, tip, when and why each died
/deadletters retry ID     put one back (it gets OUTBOX_MAX_PERMANENT_FAILURES tries again)
/deadletters retry all    put every one back (after fixing an officers' chat, say)

Admins only, guarded like every officer command (bot.officers.access): anyone else gets exactly
the unknown-command answer. `python -m bot check` lists the same rows (bot/maintenance/health.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any, Final, TypeAlias, cast

from telegram import Update
from telegram.ext import BaseHandler

from bot.kernel.i18n import N_, Translator
from bot.maintenance.needs import DeadLettersNeeds
from bot.officers.access import ADMIN_ONLY, Officer, officer_command
from bot.outbox.jobs import kick_outbox
from bot.outbox.repository import DeadLetter
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat

log = logging.getLogger(__name__)

Context: TypeAlias = BotContext[DeadLettersNeeds]
# Returns the receipt code of the tip a row's payload names, if it still exists.
CodeIn: TypeAlias = Callable[[dict[str, Any]], Awaitable[str | None]]

# Enough to see what is wrong without a wall of text; `check` and the count say how many more.
SHOWN: Final = 10
ERROR_SHOWN: Final = 200


def local_time(moment: datetime, zone: tzinfo) -> str:
    """Return a moment as the local day and time admins read elsewhere (dd/mm/yyyy hh:mm)."""
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


async def dead_letter_line(t: Translator, code_in: CodeIn, letter: DeadLetter, zone: tzinfo) -> str:
    """Return one dead letter as the list shows it."""
    return t(
        "deadletters.line",
        id=letter.id,
        kind=letter.kind,
        tip=await code_in(letter.payload) or "—",
        at=local_time(letter.dead_at, zone),
        attempts=letter.attempts,
        error=(letter.last_error or "—")[:ERROR_SHOWN],
    )


async def dead_letters(update: Update, context: Context, officer: Officer) -> object:
    """List the dead letters, or put one (or all) back in the queue."""
    services = context.services
    t = context.t
    outbox = services.outbox
    args = [arg.lower() for arg in context.args or []]
    if not args:
        letters = await outbox.dead_letters(limit=SHOWN)
        if not letters:
            await reply_in_chat(update, context, t("deadletters.empty"))
            return None
        lines = [
            t("deadletters.title", count=await outbox.dead_count(), shown=len(letters)),
            *[
                await dead_letter_line(t, services.tips.code_in, letter, services.settings.zone)
                for letter in letters
            ],
        ]
        await reply_in_chat(update, context, "\n\n".join(lines))
        return None
    if len(args) != 2 or args[0] != "retry" or not (args[1] == "all" or args[1].isdigit()):
        await reply_in_chat(update, context, t("deadletters.usage"))
        return None
    now = services.clock.now()
    if args[1] == "all":
        count = await outbox.revive(now)
        log.info("an admin put %d dead letters back in the outbox", count)
        await reply_in_chat(
            update, context, t.plural("deadletters.retried_all", count, count=count)
        )
    else:
        row_id = int(args[1])
        if not await outbox.revive(now, row_id):
            await reply_in_chat(update, context, t("deadletters.not_found", id=row_id))
            return None
        log.info("an admin put dead letter %d back in the outbox", row_id)
        await reply_in_chat(update, context, t("deadletters.retried", id=row_id))
    # kick_outbox reads only the context's application (its job queue); it still names the
    # whole container's context until the outbox is its own package.
    kick_outbox(cast("BotContext[Any]", context))
    return None


def handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the dead letters' handlers (guarded: admins only)."""
    return [
        officer_command(
            "deadletters",
            dead_letters,
            roles=ADMIN_ONLY,
            description=N_("command.deadletters"),
        )
    ]
