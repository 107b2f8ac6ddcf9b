"""Sending: the tip written once, however often "Send" arrives, then the receipt."""

from __future__ import annotations

from typing import Any, cast

from telegram import Update

from bot.outbox.jobs import kick_outbox
from bot.ptb.context import BotContext
from bot.tips.conversation.callbacks import CB_SEND
from bot.tips.conversation.moves import go
from bot.tips.conversation.prompts import limit_text
from bot.tips.conversation.turn import END, Context, Turn, draft_gone, main_menu, turn_of
from bot.tips.model import Tip
from bot.tips.render import receipt_text
from bot.tips.service import IncompleteDraftError


async def _receipt(turn: Turn, tip: Tip) -> None:
    await turn.answer(turn.t.label("tips.sent.short", code=tip.code))
    turn.settle_button()
    try:
        await turn.say(receipt_text(turn.t, tip, turn.services.settings.zone), main_menu(turn))
    finally:
        await turn.settled()


async def send(update: Update, context: Context) -> object:
    """Write the tip (once, however often "Send" arrives), then give the receipt."""
    turn = await turn_of(update, context)
    if turn is None:
        return None
    key = turn.data.removeprefix(CB_SEND)
    existing = await turn.tips.existing_submission(turn.user_id, key)
    if existing is not None:
        # A second press, or Telegram redelivering the first: the same receipt, nothing new.
        await _receipt(turn, existing)
        return END
    record = await turn.tips.load_draft(turn.user_id)
    if record is None:
        return await draft_gone(turn)
    if record.draft.submission_key != key:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    limit = await turn.tips.limit_reached(turn.user_id)
    if limit is not None:
        await turn.answer()
        await turn.say(limit_text(turn, limit))
        return None
    try:
        submission = await turn.tips.submit(turn.user_id, turn.chat_id, record, turn.t.language)
    except IncompleteDraftError as missing:
        await turn.answer()
        return await go(turn, record, missing.step)
    # The tip is committed: only now does the resident get the receipt.
    await _receipt(turn, submission.tip)
    if submission.created:
        # The outbox still takes the whole container's context (until it names its needs).
        kick_outbox(cast("BotContext[Any]", context))
    return END


async def send_again(update: Update, context: Context) -> None:
    """Answer "Send" pressed after the conversation ended: the same receipt, or a stale button."""
    turn = await turn_of(update, context)
    if turn is None:
        return
    existing = None
    # PTB lets a button with empty data through any pattern: answer it as core would.
    if turn.data.startswith(CB_SEND):
        existing = await turn.tips.existing_submission(
            turn.user_id, turn.data.removeprefix(CB_SEND)
        )
    if existing is None:
        await turn.answer(turn.t.label("callback.stale"), alert=True)
        return
    await _receipt(turn, existing)
