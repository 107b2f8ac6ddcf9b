"""The flood guard covers everything a person can send in bulk, not only messages.

Each test stops the guard's clock (the application's own guard handler, given a guard whose
clock stands still), so no token refills while the burst runs, however slow the machine.
"""

from __future__ import annotations

from bot.app import GUARDS
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.flood import CAPACITY, FloodGuard, FloodGuardHandler

TOO_FAST_MESSAGE = "Bạn gửi nhanh quá."
TOO_FAST_PRESS = (
    "Bạn bấm nhanh quá. Vui lòng chờ một chút rồi bấm lại: các lần bấm vừa rồi chưa được ghi nhận."
)


def stop_the_guards_clock(harness: BotHarness) -> None:
    """Give the application's flood guard handler a guard whose clock stands still."""
    handlers = [h for h in harness.app.handlers[GUARDS] if isinstance(h, FloodGuardHandler)]
    assert len(handlers) == 1
    handlers[0].guard = FloodGuard(clock=lambda: 0.0)


def committed_writes(harness: BotHarness) -> int:
    """Return how many rows the bot's one writing connection has changed so far."""
    return harness.app.services.db.conn.total_changes


async def test_a_burst_of_200_forged_language_presses_is_cut_after_one_alert(
    harness: BotHarness, resident: Person
) -> None:
    stop_the_guards_clock(harness)
    await harness.say(resident, "/language")
    buttons = harness.api.last_message(resident.id)
    start = committed_writes(harness)
    writes = []
    for index in range(200):
        press = harness.updates.callback(resident, buttons, "lang:en" if index % 2 else "lang:vi")
        await harness.send(press)
        writes.append(committed_writes(harness) - start)
    passed = CAPACITY - 1  # /language took the first token
    assert writes[passed - 1] >= passed  # each press that passed wrote the choice
    assert writes[-1] == writes[passed - 1]  # the other 171 wrote nothing
    answers = harness.api.calls_for("answerCallbackQuery")
    # Every press that passed is answered, the first one over gets the alert, the rest nothing.
    assert len(answers) == passed + 1
    alert = answers[-1].params
    assert (alert.get("text"), alert.get("show_alert")) == (TOO_FAST_PRESS, True)
    assert not any(TOO_FAST_MESSAGE in text for text in harness.texts(resident.id))


async def test_edits_inline_queries_reactions_and_inline_presses_count_like_messages(
    harness: BotHarness, resident: Person
) -> None:
    stop_the_guards_clock(harness)
    await harness.say(resident, "xin chào")
    own = harness.api.last_message(resident.id).message_id - 1
    updates = [harness.updates.edited_text(resident, own, f"sửa {n}") for n in range(8)]
    updates += [harness.updates.inline_query(resident, f"tìm {n}") for n in range(8)]
    updates += [harness.updates.reaction(resident, own) for _ in range(7)]
    updates += [harness.updates.inline_callback(resident, "AAQ", "lang:vi") for _ in range(6)]
    for update in updates:
        await harness.send(update)
    assert len(updates) + 1 == CAPACITY
    answered = len(harness.texts(resident.id))
    await harness.say(resident, "còn ai không?")
    # The 31st update of the burst is a message: cut, with the one notice, not answered.
    assert len(harness.texts(resident.id)) == answered + 1
    assert harness.texts(resident.id)[-1].startswith(TOO_FAST_MESSAGE)
