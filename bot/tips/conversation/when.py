"""Step 4: when (now, today, yesterday, a typed day with or without a time, or not known)."""

from __future__ import annotations

from datetime import timedelta

from bot.tips import steps
from bot.tips.conversation.callbacks import CB_WHEN
from bot.tips.conversation.moves import advance, go
from bot.tips.conversation.prompts import hint_step
from bot.tips.conversation.turn import Turn, with_draft
from bot.tips.dates import DateProblem, Moment, parse_past_moment
from bot.tips.model import DraftRecord
from bot.tips.render import day


@with_draft
async def when_chosen(turn: Turn, record: DraftRecord) -> object:
    """Record now / today / skip, or ask for the date."""
    choice = turn.data.removeprefix(CB_WHEN)
    keys = {
        "now": "tips.button.when_now",
        "today": "tips.button.when_today",
        "yesterday": "tips.button.when_yesterday",
        "earlier": "tips.button.when_earlier",
        "skip": "tips.button.when_skip",
    }
    if choice not in keys:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    turn.settle_button(turn.t.label(keys[choice]))
    if choice == "earlier":
        return await go(turn, record, steps.WHEN_DATE)
    draft = record.draft
    today = turn.tips.local_today()
    draft.occurred_time = None
    if choice == "skip":
        draft.occurred, draft.occurred_on = "unknown", None
    elif choice == "yesterday":
        draft.occurred, draft.occurred_on = "date", (today - timedelta(days=1)).isoformat()
    else:
        draft.occurred = "now" if choice == "now" else "today"
        draft.occurred_on = today.isoformat()
    if choice == "now":
        # A tip is read in hours or days: someone in danger right now needs 113, not this bot.
        await turn.say(turn.t("tips.when.emergency"))
    return await advance(turn, record, steps.WHEN)


@with_draft
async def when_typed(turn: Turn, record: DraftRecord) -> object:
    """Record a typed day of the events ("25/12", «tối qua 20h», "last friday")."""
    text = (turn.message.text or "").strip()
    result = parse_past_moment(text, turn.tips.local_now())
    if isinstance(result, Moment):
        record.draft.occurred = "date"
        record.draft.occurred_on = result.day.isoformat()
        record.draft.occurred_time = None if result.at is None else result.at.strftime("%H:%M")
        return await advance(turn, record, steps.WHEN)
    if record.step == steps.WHEN and result is DateProblem.MALFORMED:
        # At the buttons' step, text that is not a date is a wrong turn, not a bad date.
        return await hint_step(turn, record)
    example = day(turn.tips.local_today())
    if result is DateProblem.FUTURE:
        await turn.say(turn.t("tips.when.future", date=text, example=example))
    elif result is DateProblem.TOO_OLD:
        await turn.say(turn.t("tips.when.too_old", date=text, example=example))
    else:
        await turn.say(turn.t("tips.when.malformed", date=text, example=example))
    return None
