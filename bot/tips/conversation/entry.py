"""Entering and leaving the conversation: start, cancel, a second /tip, stale buttons."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.inbox import is_replay
from bot.tips import steps
from bot.tips.conversation.moves import go
from bot.tips.conversation.prompts import limit_text, show
from bot.tips.conversation.turn import (
    END,
    Context,
    Turn,
    main_menu,
    step_keyboard,
    turn_of,
    with_draft,
)
from bot.tips.model import DraftRecord

log = logging.getLogger(__name__)


async def start_tip(update: Update, context: Context) -> object:
    """Start a tip: check the resident's limits, then ask for the category."""
    turn = await turn_of(update, context)
    if turn is None:
        return END
    limit = await turn.tips.limit_reached(turn.user_id)
    if limit is not None:
        await turn.say(limit_text(turn, limit), main_menu(turn))
        return END
    record = await turn.tips.start_draft(
        turn.user_id, turn.chat_id, turn.t.language, steps.CATEGORY
    )
    try:
        await turn.say(turn.t("tips.intro"), step_keyboard(turn.t))
        await show(turn, record.draft, steps.CATEGORY)
    except TelegramError as error:
        # As in moves.go: the draft exists at CATEGORY, so the conversation must be there too.
        log.warning("could not ask for the category: %s", error)
    return steps.CATEGORY


async def cancel(update: Update, context: Context) -> object:
    """Discard the draft and bring the main menu back."""
    turn = await turn_of(update, context)
    if turn is None:
        return END
    await turn.tips.discard_draft(turn.user_id, turn.chat_id)
    await turn.answer()
    turn.settle_button()
    try:
        await turn.say(turn.t("tips.cancelled"), main_menu(turn))
    finally:
        await turn.settled()
    return END


async def already_started(update: Update, context: Context) -> object:
    """Remind a resident who asks for a new tip of the one in progress."""
    turn = await turn_of(update, context)
    if turn is None:
        return None
    record = await turn.tips.load_draft(turn.user_id)
    if record is None:
        return await start_tip(update, context)
    await turn.say(turn.t("tips.already"))
    await show(turn, record.draft, record.step)
    return None


async def stale_button(update: Update, context: Context) -> object:
    """Answer a button of an earlier step."""
    turn = await turn_of(update, context)
    if turn is None:
        return None
    record = await turn.tips.load_draft(turn.user_id) if is_replay() else None
    if record is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    # The press was taken before the bot stopped, and its answer may never have gone out:
    # the draft has moved on because of it, so show where it stands now (bot.inbox.turns).
    await turn.answer()
    await show(turn, record.draft, record.step)
    return None


@with_draft
async def back_to_previous(turn: Turn, record: DraftRecord) -> object:
    """Go back one step without changing any answer (a «Quay lại» button of either kind)."""
    previous = steps.before(record.step)
    if previous is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    if turn.query is not None:
        turn.settle_button()
        return await go(turn, record, previous)
    # Pressed on a reply keyboard: its answer puts the steps' own keyboard back.
    return await go(turn, record, previous, ack=turn.t("tips.previous.done"))


@with_draft
async def back_to_review(turn: Turn, record: DraftRecord) -> object:
    """Return to the review without changing the answer."""
    turn.settle_button()
    return await go(turn, record, steps.REVIEW)
