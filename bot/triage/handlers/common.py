"""What several of triage's handlers share: filters, argument splitting, names, lookups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import filters

from bot.kernel.i18n import Translator, translator
from bot.tips.model import Tip
from bot.triage.needs import TriageNeeds

# New messages in private chats only: an edited "/note ..." must not add the note again.
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
# Everything but commands and service messages: what a typed answer may be instead of text.
NOT_TEXT = PRIVATE & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND


def after_command(update: Update, parts: int) -> list[str]:
    """Split the message text after the command into at most `parts` pieces, keeping newlines."""
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    pieces = text.split(None, 1)
    if len(pieces) < 2:
        return []
    return pieces[1].strip().split(None, parts - 1) if parts > 1 else [pieces[1].strip()]


async def officer_names(services: TriageNeeds, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Return officers' display names (their id when none is known)."""
    names: dict[int, str] = {}
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        record = await services.officers.record(user_id)
        stored = record.display_name if record is not None else ""
        names[user_id] = services.officers.name_of(user_id, stored) or str(user_id)
    return names


async def list_lookups(services: TriageNeeds, tips: Iterable[Tip]) -> dict[str, Any]:
    """Return what list lines need: categories, units by id, handlers' names."""
    listed = list(tips)
    return {
        "categories": {category.code: category for category in await services.tips.categories()},
        "units": {unit.id: unit for unit in await services.units.all()},
        "names": await officer_names(services, (tip.assignee_id for tip in listed)),
    }


async def message_translator(services: TriageNeeds, update: Update, message: Message) -> Translator:
    """Cards in groups speak the default language; a private view, its reader's."""
    if message.chat.type == ChatType.PRIVATE:
        return await services.translator_for(update)
    return translator(services.settings.default_language)
