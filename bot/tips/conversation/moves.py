"""Moving the resident through the steps: each answer saved before the next question."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.tips import steps
from bot.tips.conversation.prompts import show
from bot.tips.conversation.turn import Turn, step_keyboard
from bot.tips.model import DraftRecord

log = logging.getLogger(__name__)


async def go(turn: Turn, record: DraftRecord, step: str, *, ack: str | None = None) -> str:
    """Save the draft at `step`, then ask that step's question; return the new state.

    `ack` confirms an answer given on a reply keyboard and puts the step keyboard back.
    """
    if step == steps.REVIEW:
        record.draft.reviewed = True
        record.draft.story_replacing = False
    saved = await turn.tips.save_draft(turn.user_id, turn.chat_id, record, step, turn.t.language)
    try:
        if ack is not None:
            await turn.say(ack, step_keyboard(turn.t))
        await show(turn, saved.draft, step)
    except TelegramError as error:
        # The draft is already saved at `step`. Raising would leave the conversation at the old
        # step while the database says `step`; moving on keeps both in agreement, and the
        # resident's next message is handled at `step`.
        log.warning("could not ask the %s question: %s", step, error)
    return step


async def advance(turn: Turn, record: DraftRecord, done: str, *, ack: str | None = None) -> str:
    """Move past an answered step: to the next one, or back to the review once it was seen."""
    following = steps.REVIEW if record.draft.reviewed else steps.after(done)
    if following == steps.PLACE and record.draft.place_given:
        # The location sent at the main menu started this tip: the place is answered.
        following = steps.after(steps.PLACE)
    return await go(turn, record, following, ack=ack)


async def stay(turn: Turn, record: DraftRecord) -> DraftRecord:
    """Save an answer that keeps the resident at the same step."""
    return await turn.tips.save_draft(
        turn.user_id, turn.chat_id, record, record.step, turn.t.language
    )
