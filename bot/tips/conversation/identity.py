"""Step 6: anonymous (the default), or a way to reach the resident."""

from __future__ import annotations

from bot.kernel.telegram_text import clip, utf16_length
from bot.tips import steps
from bot.tips.conversation.callbacks import CB_IDENTITY
from bot.tips.conversation.moves import advance, go
from bot.tips.conversation.turn import Turn, with_draft
from bot.tips.model import CONTACT_MAX_CHARS, DraftRecord

_CONTACT_MIN_CHARS = 5
_CONTACT_MIN_DIGITS = 6


@with_draft
async def identity_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record anonymity, or ask for the contact."""
    choice = turn.data.removeprefix(CB_IDENTITY)
    draft = record.draft
    if choice == "contact":
        turn.settle_button(turn.t.label("tips.button.leave_contact"))
        return await go(turn, record, steps.CONTACT)
    if choice != "anon":
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    draft.anonymous = True
    draft.contact = None
    draft.identity_done = True
    turn.settle_button(turn.t.label("tips.button.anonymous"))
    return await advance(turn, record, steps.IDENTITY)


async def _keep_contact(turn: Turn, record: DraftRecord, contact: str) -> object:
    draft = record.draft
    draft.anonymous = False
    draft.contact = contact
    draft.identity_done = True
    return await advance(turn, record, steps.IDENTITY, ack=turn.t("tips.contact.saved"))


@with_draft
async def contact_shared(turn: Turn, record: DraftRecord) -> object:
    """Record the resident's own phone number shared with the button."""
    contact = turn.message.contact
    if contact is None:
        return None
    if contact.user_id != turn.user_id:
        await turn.say(turn.t("tips.contact.not_own"))
        return None
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    value = f"{contact.phone_number} ({name})" if name else contact.phone_number
    return await _keep_contact(turn, record, clip(value, CONTACT_MAX_CHARS))


@with_draft
async def contact_typed(turn: Turn, record: DraftRecord) -> object:
    """Record a typed phone number, e-mail or other way to reach the resident."""
    text = " ".join((turn.message.text or "").split())
    digits = sum(char.isdigit() for char in text)
    # UTF-16 units, as Telegram counts (the contact goes on the officers' card).
    length = utf16_length(text)
    if length > CONTACT_MAX_CHARS:
        await turn.say(turn.t("tips.contact.too_long", max=CONTACT_MAX_CHARS, length=length))
        return None
    if length < _CONTACT_MIN_CHARS or (digits < _CONTACT_MIN_DIGITS and "@" not in text):
        await turn.say(turn.t("tips.contact.invalid", max=CONTACT_MAX_CHARS))
        return None
    return await _keep_contact(turn, record, text)


@with_draft
async def contact_to_anonymous(turn: Turn, record: DraftRecord) -> object:
    """Go back to anonymity from the contact step."""
    draft = record.draft
    draft.anonymous = True
    draft.contact = None
    draft.identity_done = True
    return await advance(turn, record, steps.IDENTITY, ack=turn.t("tips.identity.saved_anonymous"))
