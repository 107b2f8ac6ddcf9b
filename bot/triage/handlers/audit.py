"""/audit: the audit log for admins, newest first, filtered and paged."""

from __future__ import annotations

import re
from typing import Final

from telegram import InlineKeyboardMarkup, Update

from bot.kernel.i18n import N_, Translator
from bot.officers.access import Officer, refuse
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals
from bot.tips.codes import normalize_code
from bot.triage.audit_text import audit_text, people_in
from bot.triage.handlers.common import officer_names
from bot.triage.model import officer_ref
from bot.triage.needs import Context, TriageNeeds
from bot.triage.render import CB_AUDIT, audit_keyboard
from bot.triage.service import TriageError

AUDIT_PAGE: Final = 15
_AUDIT_ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")


def _audit_filters(
    args: list[str],
) -> tuple[int | None, str | None, str | None]:
    actor: int | None = None
    action: str | None = None
    code: str | None = None
    for token in args:
        found = normalize_code(token) if token.upper().startswith("TB") else None
        if found is not None:
            code = found
        elif token.isdigit() and len(token) <= 16:
            actor = int(token)
        elif _AUDIT_ACTION.match(token.lower()) and len(token) <= 20:
            action = token.lower()
        else:
            raise TriageError(N_("triage.audit.usage"))
    return actor, action, code


async def _audit_page(
    services: TriageNeeds,
    t: Translator,
    actor: int | None,
    action: str | None,
    code: str | None,
    before: int | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    entries = await services.audit.entries(
        actor=None if actor is None else officer_ref(actor),
        action=action,
        target=None if code is None else f"tip:{code}",
        before_id=before,
        limit=AUDIT_PAGE,
    )
    names = await officer_names(services, people_in(entries))
    text = audit_text(t, entries, zone=services.settings.zone, names=names)
    filters_text = f"{actor or ''}:{action or ''}:{code or ''}"
    return text, audit_keyboard(t, entries, filters_text, AUDIT_PAGE)


@answers_refusals
async def audit_command(update: Update, context: Context, officer: Officer) -> object:
    """Show the audit log, newest first: filter by officer id, action, tip code."""
    services = context.services
    t = context.t
    args = list(context.args or [])
    if len(args) > 3:
        raise TriageError(N_("triage.audit.usage"))
    actor, action, code = _audit_filters(args)
    text, markup = await _audit_page(services, t, actor, action, code, None)
    await reply_in_chat(update, context, text, markup)
    return None


async def audit_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Show the next, older page of the audit log."""
    query = update.callback_query
    services = context.services
    if query is None:
        return None
    parts = (query.data or "").removeprefix(CB_AUDIT).split(":")
    try:
        if len(parts) != 4 or not parts[0].isdigit():
            raise TriageError(N_("triage.audit.usage"))
        actor, action, code = _audit_filters([part for part in parts[1:] if part])
    except TriageError:
        await refuse(update, context)
        return None
    t = context.t
    text, markup = await _audit_page(services, t, actor, action, code, int(parts[0]))
    await query.answer()
    await reply_in_chat(update, context, text, markup)
    return None
