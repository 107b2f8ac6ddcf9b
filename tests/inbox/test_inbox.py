"""The durable inbox through the real Application: stored, handled once, answered, parked."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Update

from bot.db import BEFORE_COMMIT, Database
from bot.kernel.i18n import translator
from bot.maintenance.health import run_checks
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.conversation import CB_CATEGORY
from tests.officers.conftest import ADMIN
from tests.tips.flow import deliver, tips_settings
from tests.tips.test_anonymity import needles

RESIDENT = Person(
    id=7391846205,
    first_name="Quỳnhchi",
    last_name="Zelinskaya",
    username="zz_tipster_alpha",
    phone="+84987654321",
)
VI = translator("vi")
ADMIN_T = translator(ADMIN.language_code or "vi")


def _rows(database_path: Path) -> list[tuple[int, str, object, int, int]]:
    with sqlite3.connect(database_path) as conn:
        return conn.execute(
            "SELECT update_id, state, sealed, writes_applied, attempts FROM inbox "
            "ORDER BY update_id"
        ).fetchall()


async def _story_parts(bot: BotHarness, person: Person) -> list[str]:
    record = await bot.app.services.tips.load_draft(person.id)
    assert record is not None, "the draft exists"
    return list(record.draft.story_parts)


async def _to_story_step(bot: BotHarness, person: Person) -> None:
    await bot.receive(bot.updates.command(person, "/tip"))
    intro = bot.api.sent_messages(person.id)[-1]
    category = next(d for row in _inline(intro) for d in row if d.startswith(CB_CATEGORY))
    await bot.receive(bot.updates.callback(person, intro, category))


def _inline(message: object) -> list[list[str]]:
    markup = getattr(message, "reply_markup", None) or {}
    return [
        [str(b.get("callback_data", "")) for b in row] for row in markup.get("inline_keyboard", [])
    ]


async def test_a_redelivered_command_is_handled_once(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        tip = bot.updates.command(RESIDENT, "/tip")
        await bot.receive(tip)
        answered = len(bot.api.sent_messages(RESIDENT.id))
        assert answered >= 1
        # Telegram sends it again (its confirmation was lost): nothing new happens.
        await bot.receive(tip)
        assert len(bot.api.sent_messages(RESIDENT.id)) == answered
        with sqlite3.connect(database_path) as conn:
            assert conn.execute("SELECT count(*) FROM tip_drafts").fetchone()[0] == 1


async def test_a_redelivered_story_paragraph_is_appended_once(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        await _to_story_step(bot, RESIDENT)
        paragraph = bot.updates.text(RESIDENT, "Có người giao hàng lạ trước cổng chợ mỗi tối.")
        await bot.receive(paragraph)
        await bot.receive(paragraph)
        assert await _story_parts(bot, RESIDENT) == [
            "Có người giao hàng lạ trước cổng chợ mỗi tối."
        ]


async def test_a_handled_update_keeps_no_content(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        update = bot.updates.command(RESIDENT, "/start")
        await bot.receive(update)
        assert _rows(database_path) == [(update.update_id, "done", None, 0, 0)]


async def _crash_while_answering(bot: BotHarness, update: Update, copy_to: Path) -> None:
    """Copy the database as a power cut would leave it: `update`'s writes in, its answer not."""
    source_path = bot.settings.database_path
    bot.api.hold_chat(RESIDENT.id)
    for stored in await bot.app.services.inbox.store([update]):
        await bot.app.update_queue.put(stored)

    def applied() -> bool:
        return any(row[0] == update.update_id and row[3] >= 1 for row in _rows(source_path))

    assert await bot.api.wait_until(applied, within=10)
    with sqlite3.connect(source_path) as source, sqlite3.connect(copy_to) as copy:
        source.backup(copy)
    bot.api.release_chat()
    await bot.settle()


async def _restart_on(path: Path) -> BotHarness:
    restarted = BotHarness(tips_settings(path))
    await restarted.start()
    for update in await restarted.app.services.inbox.recover(restarted.app.bot):
        await restarted.app.update_queue.put(update)
    await restarted.settle()
    return restarted


async def test_an_update_cut_off_by_a_crash_is_answered_again_and_applied_once(
    tmp_path: Path,
) -> None:
    first = tmp_path / "before" / "tips.sqlite3"
    after_crash = tmp_path / "after" / "tips.sqlite3"
    after_crash.parent.mkdir()
    story = "Xe máy lạ đậu trước nhà số 12 từ nửa đêm, người đi xe đứng canh."
    async with BotHarness(tips_settings(first)) as bot:
        await _to_story_step(bot, RESIDENT)
        paragraph = bot.updates.text(RESIDENT, story)
        # The paragraph is saved; its answer is on its way when the power goes.
        await _crash_while_answering(bot, paragraph, after_crash)

    [row] = [row for row in _rows(after_crash) if row[0] == paragraph.update_id]
    assert row[1] == "pending"
    assert row[3] == 1
    restarted = await _restart_on(after_crash)
    try:
        # Answered again, as if the first answer had gone out; the paragraph is there once.
        answers = restarted.api.sent_messages(RESIDENT.id)
        assert answers, "the resident is answered after the restart"
        assert await _story_parts(restarted, RESIDENT) == [story]
        assert [r[1] for r in _rows(after_crash) if r[0] == paragraph.update_id] == ["done"]
    finally:
        await restarted.stop()


async def test_a_button_whose_answer_was_lost_shows_where_the_draft_stands(
    tmp_path: Path,
) -> None:
    first = tmp_path / "before" / "tips.sqlite3"
    after_crash = tmp_path / "after" / "tips.sqlite3"
    after_crash.parent.mkdir()
    async with BotHarness(tips_settings(first)) as bot:
        await bot.receive(bot.updates.command(RESIDENT, "/tip"))
        intro = bot.api.sent_messages(RESIDENT.id)[-1]
        category = next(d for row in _inline(intro) for d in row if d.startswith(CB_CATEGORY))
        await _crash_while_answering(
            bot, bot.updates.callback(RESIDENT, intro, category), after_crash
        )

    restarted = await _restart_on(after_crash)
    try:
        # Not "this button is no longer valid": the story question the crash swallowed.
        texts = [m.text for m in restarted.api.sent_messages(RESIDENT.id)]
        assert any(VI("tips.progress", n=2, total=6) in text for text in texts), texts
        answers = restarted.api.calls_for("answerCallbackQuery")
        assert answers
        assert all(not call.params.get("show_alert") for call in answers)
    finally:
        await restarted.stop()


async def test_a_failed_update_is_run_again_without_an_apology(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        bot.api.fail_next("sendMessage", error="5xx", chat_id=RESIDENT.id)
        update = bot.updates.command(RESIDENT, "/start")
        await bot.receive(update, allow_errors=True)
        texts = [m.text for m in bot.api.sent_messages(RESIDENT.id)]
        assert len(texts) == 1, texts
        assert VI("error.generic") not in texts
        assert _rows(database_path) == [(update.update_id, "done", None, 0, 0)]


async def test_an_update_that_keeps_failing_is_parked_and_check_names_it(
    database_path: Path,
) -> None:
    settings = tips_settings(database_path, inbox_max_attempts=2, admin_user_ids=(ADMIN.id,))
    async with BotHarness(settings) as bot:
        bot.api.fail_until_cleared("sendMessage", error="5xx", chat_id=RESIDENT.id)
        update = bot.updates.command(RESIDENT, "/start")
        await bot.receive(update, allow_errors=True)
        [row] = _rows(database_path)
        assert (row[0], row[1], row[4]) == (update.update_id, "parked", 2)
        assert row[2] is not None, "a parked update keeps its (sealed) content"
        findings = {f.name: f for f in await run_checks(bot.app.services.db, None)}
        assert not findings["inbox"].ok
        assert str(update.update_id) in findings["inbox"].detail
        # The administrators are told once, in their language, without the person's words.
        bot.api.clear_failures()
        await deliver(bot)
        await deliver(bot)
        [alert] = bot.api.sent_messages(ADMIN.id)
        assert alert.text == ADMIN_T(
            "alerts.inbox_parked", update=update.update_id, attempts=2, error="NetworkError"
        )


async def test_an_update_that_stops_the_bot_every_time_is_parked(database_path: Path) -> None:
    settings = tips_settings(database_path, inbox_max_attempts=3)
    async with BotHarness(settings) as bot:
        update = bot.updates.command(RESIDENT, "/start")
        await bot.app.services.inbox.store([update])
    # Three start-ups, each stopped before the update was handled.
    for restart in range(3):
        async with BotHarness(settings) as again:
            recovered = await again.app.services.inbox.recover(again.app.bot)
            assert [u.update_id for u in recovered] == ([update.update_id] if restart < 2 else [])
    assert _rows(database_path)[0][1] == "parked"


async def test_done_updates_are_forgotten_after_the_redelivery_window(
    database_path: Path,
) -> None:
    async with BotHarness(tips_settings(database_path, inbox_keep_done_hours=24)) as bot:
        await bot.receive(bot.updates.command(RESIDENT, "/start"))
        assert await bot.app.services.inbox.prune() == 0
        bot.clock.advance(timedelta(hours=25))
        assert await bot.app.services.inbox.prune() == 1
        assert _rows(database_path) == []


async def test_unhandled_updates_on_disk_carry_no_identity(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        updates = [
            bot.updates.command(RESIDENT, "/tip"),
            bot.updates.text(RESIDENT, f"Tôi là {RESIDENT.first_name} {RESIDENT.last_name}"),
            bot.updates.contact(RESIDENT, RESIDENT.phone or ""),
        ]
        # Stored, never handled: as the bot leaves them when it is killed mid-burst.
        await bot.app.services.inbox.store(updates)
        backup = database_path.parent / "backup.sqlite3"
        await bot.app.services.db.backup_to(backup)
        files = [*database_path.parent.glob("tips.sqlite3*"), backup]
        raw = b"".join(path.read_bytes() for path in files)
        assert raw.count(b"pending") >= 1, "the scan reads the rows it is about"
        found = [
            f"{path.name}: {name}"
            for path in files
            for name, needle in needles(RESIDENT).items()
            if needle in path.read_bytes()
        ]
        assert found == []
        assert [row[1] for row in _rows(database_path)] == ["pending"] * 3


async def test_a_write_the_update_applied_before_is_rolled_back_not_repeated(
    database_path: Path,
) -> None:
    db = Database(database_path)
    await db.open()
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE t (x INTEGER)")

        async def already_applied(_conn: object) -> bool:
            return False

        token = BEFORE_COMMIT.set(already_applied)
        try:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (1)")
        finally:
            BEFORE_COMMIT.reset(token)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (2)")
        assert [row[0] for row in await db.fetch_all("SELECT x FROM t")] == [2]
    finally:
        await db.close()


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # A failed update waits 0.5 s, 1 s, ... before its next run; the tests need no wait.
    monkeypatch.setattr("bot.inbox.service._RETRY_BASE", 0.01)


async def test_updates_stored_at_once_share_a_commit_and_a_repeat_is_taken_once(
    database_path: Path,
) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        updates = [bot.updates.command(RESIDENT, "/start") for _ in range(20)]
        inbox = bot.app.services.inbox
        # As webhook posts arrive: one update each, the last one posted twice.
        results = await asyncio.gather(*(inbox.store([u]) for u in [*updates, updates[-1]]))
        taken = [u.update_id for result in results for u in result]
        assert sorted(taken) == sorted(u.update_id for u in updates)
        assert [row[1] for row in _rows(database_path)] == ["pending"] * 20
