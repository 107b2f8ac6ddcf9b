"""Officers' commands on one tip: /tip CODE, /file CODE N, /assign, /note, /transfer."""

from __future__ import annotations

import logging
from typing import Final

from telegram import Update
from telegram.error import BadRequest, TelegramError

from bot.kernel.i18n import N_, Translator, translator
from bot.kernel.text import fold
from bot.officers.access import Officer, refuse
from bot.ptb.messaging import reply_in_chat, send_text
from bot.ptb.refusals import answers_refusals
from bot.tips.codes import normalize_code
from bot.triage.handlers.cards import after_change, show_tip
from bot.triage.handlers.common import after_command, officer_names
from bot.triage.needs import Context
from bot.triage.render import assign_keyboard
from bot.triage.service import Change, TriageError

log = logging.getLogger(__name__)

# What means "the competent investigation body" in /transfer (folded: any case, any accents).
_INVESTIGATION_WORDS: Final = frozenset(
    {"investigation", "investigation body", "cqdt", "co quan dieu tra", "dieu tra"}
)


@answers_refusals
async def view_command(update: Update, context: Context, officer: Officer) -> object:
    """Show the full view of the tip whose code follows /tip."""
    services = context.services
    t = context.t
    args = context.args or []
    if len(args) != 1:
        raise TriageError(N_("triage.view.usage"))
    tip = await services.triage.find(officer, args[0])
    chat = update.effective_chat
    if chat is not None:
        await show_tip(context, chat.id, officer, tip, t)
    return None


@answers_refusals
async def file_command(update: Update, context: Context, officer: Officer) -> object:
    """Send file N of a tip as it was stored, metadata and all, and audit the opening.

    With EVIDENCE_DOWNLOAD on, a file whose metadata could not be removed is withheld from the
    officers' chat; this is the one way to see it, in private and on the record. A code that
    does not exist, a tip outside the officer's scope and a file number the tip lacks are all
    answered like an unknown command, so /file reveals nothing about tips out of reach.
    """
    services = context.services
    t = context.t
    args = context.args or []
    chat = update.effective_chat
    if len(args) != 2 or chat is None:
        raise TriageError(N_("triage.file.usage"))
    code = normalize_code(args[0])
    tip = await services.tips.tip_by_code(code) if code is not None else None
    if tip is None or not await services.triage.in_scope(officer, tip):
        await refuse(update, context)
        return None
    wanted = int(args[1]) if args[1].isdecimal() else None
    evidence = await services.tips.evidence_of(tip.id)
    item = next((item for item in evidence if item.position == wanted), None)
    if item is None:
        await refuse(update, context)
        return None
    # Audited before it is sent: an opening whose message is lost is still on the record.
    await services.triage.record_file_opened(officer, tip, item.position)
    caption = t("triage.file.caption", code=tip.code, index=item.position)
    try:
        await services.cards.send_file(chat.id, item, item.file_id, caption)
    except BadRequest as error:
        log.warning("evidence %d could not be sent by /file: %s", item.id, error)
        await reply_in_chat(
            update,
            context,
            t(
                "tips.card.attachment_failed",
                code=tip.code,
                index=item.position,
                total=len(evidence),
            ),
        )
    return None


async def assigned(context: Context, officer: Officer, change: Change, t: Translator) -> str:
    """Redraw the card, tell the new handler, and return the answer for the one who assigned."""
    await after_change(context, change)
    name = await tell_assignee(context, officer, change)
    return t("triage.assign.done", code=change.after.code, name=name)


async def tell_assignee(context: Context, officer: Officer, change: Change) -> str:
    """Tell the new handler (unless they assigned themselves); return their name."""
    services = context.services
    assignee = change.after.assignee_id
    assert assignee is not None
    names = await officer_names(services, [assignee])
    if assignee != officer.user_id:
        theirs = translator(await services.language_of(assignee))
        try:
            await send_text(
                context.bot,
                assignee,
                theirs(
                    "triage.assign.notice",
                    code=change.after.code,
                    by=officer.display_name or str(officer.user_id),
                ),
            )
        except TelegramError as error:
            log.info("could not tell an officer about an assignment: %s", error)
    return names[assignee]


@answers_refusals
async def assign_command(update: Update, context: Context, officer: Officer) -> object:
    """Make an officer of the unit the tip's handler (buttons when nobody is named)."""
    services = context.services
    t = context.t
    args = context.args or []
    if not args or len(args) > 2:
        raise TriageError(N_("triage.assign.usage"))
    tip = await services.triage.find(officer, args[0])
    if len(args) == 2:
        if not args[1].isdigit() or len(args[1]) > 16:
            raise TriageError(N_("triage.assign.usage"))
        change = await services.triage.assign(officer, tip.id, int(args[1]))
        await reply_in_chat(update, context, await assigned(context, officer, change, t))
        return None
    people = await services.triage.candidates(tip)
    names = await officer_names(services, (person.user_id for person in people))
    choices = [(person.user_id, names[person.user_id]) for person in people]
    if not choices:
        raise TriageError(N_("triage.assign.nobody"))
    await reply_in_chat(
        update,
        context,
        t("triage.assign.choose", code=tip.code),
        assign_keyboard(services.keyring, tip, choices),
    )
    return None


@answers_refusals
async def note_command(update: Update, context: Context, officer: Officer) -> object:
    """Add an internal note to a tip."""
    services = context.services
    t = context.t
    parts = after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.note.usage"))
    tip = await services.triage.find(officer, parts[0])
    await services.triage.add_note(officer, tip.id, parts[1])
    await reply_in_chat(update, context, t("triage.note.done", code=tip.code))
    return None


@answers_refusals
async def transfer_command(update: Update, context: Context, officer: Officer) -> object:
    """Transfer a tip to any active unit, or to the competent investigation body."""
    services = context.services
    t = context.t
    parts = after_command(update, 2)
    if len(parts) < 2:
        raise TriageError(N_("triage.transfer.usage"))
    tip = await services.triage.find(officer, parts[0])
    target = " ".join(parts[1].split())
    unit = None
    if fold(target) not in _INVESTIGATION_WORDS:
        # Any unit: a transfer hands the tip to a unit outside one's own subtree.
        unit = await services.units.resolve(target, within=None, language=t.language)
    change = await services.triage.transfer(officer, tip.id, None, unit)
    await after_change(context, change)
    where = t.label("tips.card.investigation_body") if unit is None else unit.name(t.language)
    await reply_in_chat(update, context, t("triage.transfer.done", code=tip.code, target=where))
    return None
