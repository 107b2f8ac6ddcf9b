"""Step 3: where (a shared location, a typed address, a unit picked by name, or unknown)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kernel.telegram_text import clip, utf16_length
from bot.tips import steps
from bot.tips.conversation.callbacks import CB_UNIT
from bot.tips.conversation.moves import advance, go
from bot.tips.conversation.prompts import unit_label
from bot.tips.conversation.turn import Turn, with_draft
from bot.tips.model import ADDRESS_MAX_CHARS, ADDRESS_MIN_CHARS, DraftRecord

_UNIT_RESULTS = 8


@with_draft
async def place_location(turn: Turn, record: DraftRecord) -> object:
    """Record a shared location (or venue)."""
    message = turn.message
    location = message.location
    if location is None:
        return None
    draft = record.draft
    draft.place_kind = "location"
    draft.latitude = location.latitude
    draft.longitude = location.longitude
    draft.unit_id = None
    draft.place_text = None
    if message.venue is not None:
        venue = f"{message.venue.title}, {message.venue.address}"
        draft.place_text = clip(venue, ADDRESS_MAX_CHARS)
    return await advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_location"))


@with_draft
async def place_unknown(turn: Turn, record: DraftRecord) -> object:
    """Record that the resident does not remember where."""
    draft = record.draft
    draft.place_kind = "unknown"
    draft.place_text = None
    draft.latitude = draft.longitude = None
    draft.unit_id = None
    return await advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_unknown"))


@with_draft
async def place_address(turn: Turn, record: DraftRecord) -> object:
    """Record a typed address."""
    text = " ".join((turn.message.text or "").split())
    # UTF-16 units, as Telegram counts: the address goes on the officers' card, which must fit.
    length = utf16_length(text)
    if length < ADDRESS_MIN_CHARS:
        await turn.say(turn.t("tips.place.too_short", min=ADDRESS_MIN_CHARS))
        return None
    if length > ADDRESS_MAX_CHARS:
        await turn.say(turn.t("tips.place.too_long", max=ADDRESS_MAX_CHARS, length=length))
        return None
    draft = record.draft
    draft.place_kind = "address"
    draft.place_text = text
    draft.latitude = draft.longitude = None
    draft.unit_id = None
    return await advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_address"))


@with_draft
async def place_pick_unit(turn: Turn, record: DraftRecord) -> object:
    """Ask for the name of the commune or ward."""
    return await go(turn, record, steps.PLACE_UNIT)


@with_draft
async def unit_search(turn: Turn, record: DraftRecord) -> object:
    """Offer the units whose names match what the resident typed (diacritics don't matter)."""
    query = " ".join((turn.message.text or "").split())
    found = await turn.services.units.search(query, limit=_UNIT_RESULTS)
    if not found:
        await turn.say(turn.t("tips.unit.none", query=query))
        return None
    rows = [
        [InlineKeyboardButton(await unit_label(turn, unit), callback_data=f"{CB_UNIT}{unit.id}")]
        for unit in found
    ]
    await turn.say(turn.t("tips.unit.pick", query=query), InlineKeyboardMarkup(rows))
    return None


@with_draft
async def unit_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record the unit picked from the search results."""
    raw = turn.data.removeprefix(CB_UNIT)
    unit = await turn.services.units.by_id(int(raw)) if raw.isdigit() else None
    if unit is None or not unit.active:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    label = await unit_label(turn, unit)
    draft = record.draft
    draft.place_kind = "unit"
    draft.unit_id = unit.id
    draft.place_text = None
    draft.latitude = draft.longitude = None
    turn.settle_button(label)
    return await advance(turn, record, steps.PLACE, ack=turn.t("tips.place.saved_unit", unit=label))
