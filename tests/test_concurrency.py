"""Several people at once, each person's and each group's updates in order (bot/ptb/concurrency.py).

The application tests put updates on `update_queue`, as polling or the webhook does, so they
go through the update processor `build_application` installs (harness.send would bypass it).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Chat, Message, Update, User

from bot.ptb.application import freeze_startup_heap
from bot.ptb.concurrency import ConcurrentUpdates, ordering_keys
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person

GROUP = -1009876543210
WAIT = 10.0


@pytest.fixture
async def concurrent(database_path: Path) -> AsyncIterator[BotHarness]:
    """A started bot that handles up to 8 updates at once."""
    async with BotHarness(settings_for_tests(database_path, concurrent_updates=8)) as running:
        try:
            yield running
        finally:
            # A failed test must not leave the bot waiting on a held chat while it stops.
            running.api.release_chat()


async def _queue(harness: BotHarness, *updates: Update) -> None:
    for update in updates:
        await harness.app.update_queue.put(update)


async def _until(condition: object, what: str) -> None:
    """Wait (in the bot's loop) until `condition()` holds, failing after WAIT seconds."""
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + WAIT
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)


def _calls_to(harness: BotHarness, chat_id: int) -> list[str]:
    return [call.method for call in harness.api.calls if call.chat_id == chat_id]


async def test_the_bot_handles_updates_concurrently_by_default(database_path: Path) -> None:
    async with BotHarness(settings_for_tests(database_path)) as harness:
        processor = harness.app.update_processor
        assert isinstance(processor, ConcurrentUpdates)
        assert processor.max_running == 64


async def test_one_at_a_time_when_configured(database_path: Path) -> None:
    settings = settings_for_tests(database_path, concurrent_updates=1)
    async with BotHarness(settings) as harness:
        # Still our processor (the inbox's turns run inside it), one update at a time.
        processor = harness.app.update_processor
        assert isinstance(processor, ConcurrentUpdates)
        assert processor.max_running == 1
        assert processor.max_concurrent_updates == 1


async def test_a_slow_chat_does_not_hold_up_another_resident(
    concurrent: BotHarness, resident: Person
) -> None:
    other = Person(id=5550002, first_name="Minh")
    concurrent.api.hold_chat(resident.id)
    await _queue(concurrent, concurrent.updates.command(resident, "/start"))
    await _until(lambda: _calls_to(concurrent, resident.id), "the first answer is on its way")

    await _queue(concurrent, concurrent.updates.command(other, "/start"))
    await _until(lambda: concurrent.api.sent_messages(other.id), "the other resident is answered")
    # The held resident has still not been answered.
    assert concurrent.api.sent_messages(resident.id) == []

    concurrent.api.release_chat(resident.id)
    await asyncio.wait_for(concurrent.app.update_queue.join(), WAIT)
    assert len(concurrent.api.sent_messages(resident.id)) == 1
    assert concurrent.errors == []


async def test_a_persons_next_update_waits_for_the_one_before(
    concurrent: BotHarness, resident: Person
) -> None:
    concurrent.api.hold_chat(resident.id)
    await _queue(concurrent, concurrent.updates.command(resident, "/start"))
    await _until(lambda: _calls_to(concurrent, resident.id), "the first answer is on its way")
    await _queue(concurrent, concurrent.updates.command(resident, "/help"))
    # Let the bot run everything it can: the second update must not have started.
    for _ in range(50):
        await asyncio.sleep(0)
    assert _calls_to(concurrent, resident.id) == ["sendMessage"]

    concurrent.api.release_chat(resident.id)
    await asyncio.wait_for(concurrent.app.update_queue.join(), WAIT)
    texts = concurrent.texts(resident.id)
    assert len(texts) == 2
    start_answer, help_answer = texts
    # In the order sent: the main screen first, then the help.
    assert "/tip" in help_answer
    assert start_answer != help_answer
    assert concurrent.errors == []


async def test_residents_complete_whole_tips_at_the_same_time(concurrent: BotHarness) -> None:
    people = [Person(id=5560000 + index, first_name=f"Dân {index}") for index in range(6)]
    for person in people:
        await _queue(concurrent, concurrent.updates.command(person, "/tip"))
    await asyncio.wait_for(concurrent.app.update_queue.join(), WAIT)
    for person in people:
        await _queue(concurrent, _press(concurrent, person, "td:cat:"))
    await asyncio.wait_for(concurrent.app.update_queue.join(), WAIT)
    for person in people:
        await _queue(concurrent, concurrent.updates.text(person, f"Chuyện của {person.id}"))
    await asyncio.wait_for(concurrent.app.update_queue.join(), WAIT)

    drafts = await concurrent.app.services.db.fetch_value("SELECT count(*) FROM tip_drafts")
    assert drafts == len(people)
    for person in people:
        # Each story landed in its own resident's draft, acknowledged to that resident only.
        record = await concurrent.app.services.tips.load_draft(person.id)
        assert record is not None
        assert record.draft.story_parts == [f"Chuyện của {person.id}"]
    assert concurrent.errors == []


def _press(harness: BotHarness, person: Person, prefix: str) -> Update:
    message = harness.api.last_message(person.id)
    for row in (message.reply_markup or {}).get("inline_keyboard", []):
        for button in row:
            if str(button.get("callback_data", "")).startswith(prefix):
                return harness.updates.callback(person, message, button["callback_data"])
    raise AssertionError(f"no button {prefix!r} on {message.text!r}")


# ---------------------------------------------------------------- the processor alone


def _update(update_id: int, user_id: int, chat: Chat | None = None) -> Update:
    user = User(user_id, "Dân", is_bot=False)
    where = chat or Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, datetime.now(UTC), where, from_user=user, text="x")
    return Update(update_id, message=message)


def test_ordering_keys_are_the_group_then_the_person() -> None:
    group = Chat(GROUP, Chat.SUPERGROUP)
    assert ordering_keys(_update(1, 42)) == (42,)
    assert ordering_keys(_update(2, 42, group)) == (GROUP, 42)
    assert ordering_keys(object()) == ()
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrentUpdates(0)


async def test_a_group_is_served_in_order_while_private_chats_run_beside_it() -> None:
    processor = ConcurrentUpdates(8)
    group = Chat(GROUP, Chat.SUPERGROUP)
    running: dict[str, int] = {}
    overlaps: list[str] = []
    finished: list[str] = []
    both = asyncio.Event()

    async def work(key: str, name: str) -> None:
        running[key] = running.get(key, 0) + 1
        if running[key] > 1:
            overlaps.append(key)
        if running.get("group") and running.get("private"):
            both.set()
        await asyncio.sleep(0.01)
        running[key] -= 1
        finished.append(name)

    # Two officers in the same group (different people), and a resident in private.
    jobs = [
        processor.process_update(_update(1, 101, group), work("group", "officer 1")),
        processor.process_update(_update(2, 102, group), work("group", "officer 2")),
        processor.process_update(_update(3, 103, group), work("group", "officer 1 again")),
        processor.process_update(_update(4, 201), work("private", "resident")),
    ]
    await asyncio.gather(*jobs)
    assert overlaps == []
    assert both.is_set()
    group_order = [name for name in finished if name != "resident"]
    assert group_order == ["officer 1", "officer 2", "officer 1 again"]
    assert processor.busy_keys == 0


async def test_a_burst_from_one_person_takes_one_place_not_all() -> None:
    processor = ConcurrentUpdates(2)
    release = asyncio.Event()
    other_done = asyncio.Event()

    async def flood() -> None:
        await release.wait()

    async def other() -> None:
        other_done.set()

    burst = [
        asyncio.create_task(processor.process_update(_update(index, 301), flood()))
        for index in range(10)
    ]
    await asyncio.sleep(0)
    # Ten updates of one person wait their turn; only one holds a running place, so the
    # next person is served although the limit is two.
    await processor.process_update(_update(99, 302), other())
    assert other_done.is_set()
    release.set()
    await asyncio.wait_for(asyncio.gather(*burst), WAIT)
    assert processor.busy_keys == 0


async def test_python_m_bot_run_freezes_what_start_up_left(database_path: Path) -> None:
    harness = BotHarness(settings_for_tests(database_path))
    harness.app.startup_hooks.append(freeze_startup_heap)
    try:
        async with harness:
            # Start-up's objects are out of the collector's rounds (gc.freeze).
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
