"""Nothing a resident sends is lost: restarts, a SIGKILL, idle drafts, message bursts."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips import steps
from bot.tips.handlers import expire_idle_drafts
from tests.tips.flow import last_shown, receipt_code, shown, tips_settings

STORY = "Nhóm thanh niên đua xe, lạng lách trên đường Lâm Quang Ky mỗi đêm."


async def _half_way(bot: BotHarness, person: Person) -> None:
    """Answer category, story and place; stop at the time step."""
    await bot.say(person, "/tip")
    await bot.press(person, "👊 Bạo lực, gây rối trật tự công cộng")
    await bot.say(person, STORY)
    await bot.press(person, "✅ Xong")
    await bot.say(person, "Đường Lâm Quang Ky, Rạch Giá")


async def test_a_new_application_on_the_same_file_resumes_the_draft(
    database_path: Path, resident: Person
) -> None:
    settings = tips_settings(database_path)
    first = BotHarness(settings)
    await first.start()
    await _half_way(first, resident)
    await first.stop()

    # Same Telegram (the chat and its buttons), a new process of the bot.
    async with BotHarness(settings, api=first.api) as second:
        await second.press(resident, "⏭ Bỏ qua")
        assert "Bạn có ảnh, video" in last_shown(second, resident.id)
        await second.press(resident, "⏭ Không có tệp")
        await second.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
        review = last_shown(second, resident.id)
        assert STORY in review
        assert "Đường Lâm Quang Ky, Rạch Giá" in review
        await second.press(resident, "📨 Gửi")
        tip = await second.app.services.tips.tips.by_code(receipt_code(second, resident))
        assert tip is not None
        assert (tip.category, tip.story, tip.place_text) == (
            "violence",
            STORY,
            "Đường Lâm Quang Ky, Rạch Giá",
        )


async def test_a_sigkill_right_after_an_answer_loses_nothing(
    database_path: Path, tmp_path: Path, resident: Person
) -> None:
    settings = tips_settings(database_path)
    async with BotHarness(settings) as first:
        await first.say(resident, "/tip")
        await first.press(resident, "👊 Bạo lực, gây rối trật tự công cộng")
        await first.say(resident, STORY)
        await first.press(resident, "✅ Xong")
        # Copy the files as they are this instant, WAL included: no shutdown, no flush.
        killed = tmp_path / "killed"
        killed.mkdir()
        for path in database_path.parent.glob(database_path.name + "*"):
            shutil.copy(path, killed / path.name)
        api = first.api
    async with BotHarness(tips_settings(killed / database_path.name), api=api) as restarted:
        await restarted.say(resident, "Chợ đêm Vĩnh Thanh Vân")
        assert "Việc xảy ra khi nào?" in last_shown(restarted, resident.id)
        record = await restarted.app.services.tips.load_draft(resident.id)
        assert record is not None
        assert record.draft.story_parts == [STORY]
        assert record.draft.place_text == "Chợ đêm Vĩnh Thanh Vân"
        assert record.step == steps.WHEN


async def test_an_idle_draft_expires_with_a_notice(bot: BotHarness, resident: Person) -> None:
    await _half_way(bot, resident)
    bot.clock.advance(timedelta(minutes=59))
    assert await expire_idle_drafts(bot.app) == 0
    bot.clock.advance(timedelta(minutes=2))
    assert await expire_idle_drafts(bot.app) == 1
    notice = bot.api.last_message(resident.id)
    assert "đã bị hủy vì không có thao tác nào trong 60 phút" in notice.raw["text"]
    assert notice.reply_keyboard()[0] == ["📨 Gửi tin báo", "📋 Tin báo của tôi"]
    db = bot.app.services.db
    assert await db.fetch_value("SELECT count(*) FROM tip_drafts") == 0
    assert await db.fetch_value("SELECT count(*) FROM conversation_states") == 0
    # The conversation is over in memory too: the old buttons and plain text go elsewhere.
    await bot.say(resident, "còn đó không?")
    assert "Tôi chưa hiểu" in last_shown(bot, resident.id)


async def test_the_idle_time_is_configurable_and_survives_a_restart(
    database_path: Path, resident: Person
) -> None:
    settings = tips_settings(database_path, tip_draft_idle_minutes=5)
    first = BotHarness(settings)
    await first.start()
    await _half_way(first, resident)
    await first.stop()
    async with BotHarness(settings, api=first.api, clock=first.clock) as second:
        second.clock.advance(timedelta(minutes=6))
        assert await expire_idle_drafts(second.app) == 1
        assert "trong 5 phút" in last_shown(second, resident.id)
        await second.say(resident, "/tip")
        assert "Bạn muốn báo về việc gì?" in last_shown(second, resident.id)


async def test_an_active_draft_does_not_expire(bot: BotHarness, resident: Person) -> None:
    await _half_way(bot, resident)
    bot.clock.advance(timedelta(minutes=50))
    await bot.press(resident, "⏭ Bỏ qua")
    bot.clock.advance(timedelta(minutes=50))
    assert await expire_idle_drafts(bot.app) == 0


async def test_a_burst_of_messages_is_cut_off_politely(bot: BotHarness, resident: Person) -> None:
    for index in range(40):
        await bot.say(resident, f"tin {index}")
    texts = shown(bot, resident.id)
    warnings = [text for text in texts if "Bạn gửi nhanh quá" in text]
    assert len(warnings) == 1
    # 30 messages pass (the core fallback answers each), the next one warns, the rest of the
    # burst is dropped (a slow machine may refill a token or two meanwhile).
    assert texts.index(warnings[0]) >= 30
    assert len(texts) < 38
