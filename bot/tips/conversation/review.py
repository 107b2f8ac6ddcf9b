"""The review: going back to one step, and the legal type the resident may choose."""

from __future__ import annotations

from bot.tips import steps
from bot.tips.conversation.callbacks import CB_EDIT, CB_LEGAL
from bot.tips.conversation.moves import go
from bot.tips.conversation.turn import Turn, with_draft
from bot.tips.model import LEGAL_TYPES, DraftRecord
from bot.tips.render import legal_type_label

_EDITABLE = {
    "category": steps.CATEGORY,
    "story": steps.STORY,
    "place": steps.PLACE,
    "when": steps.WHEN,
    "evidence": steps.EVIDENCE,
    "identity": steps.IDENTITY,
    "legal": steps.LEGAL,
}


@with_draft
async def edit_step(turn: Turn, record: DraftRecord) -> object:
    """Go back to one step from the review."""
    step = _EDITABLE.get(turn.data.removeprefix(CB_EDIT))
    if step is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    if step == steps.STORY:
        record.draft.story_replacing = True
    turn.settle_button()
    return await go(turn, record, step)


@with_draft
async def legal_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record the legal type the resident chose (or go back to the category's)."""
    choice = turn.data.removeprefix(CB_LEGAL)
    draft = record.draft
    if choice == "default":
        draft.legal_type = None
        draft.legal_type_source = "category"
        label = turn.t.label("tips.button.legal_default")
    elif choice in LEGAL_TYPES:
        draft.legal_type = choice
        draft.legal_type_source = "resident"
        label = legal_type_label(turn.t, choice)
    else:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    turn.settle_button(label)
    return await go(turn, record, steps.REVIEW)
