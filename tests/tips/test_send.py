"""Sending: one tip however often "Send" arrives, the residents' limits, /mytips and /status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.tips.flow import (
    Answers,
    last_shown,
    reach_review,
    receipt_code,
    submit,
    tips_settings,
)


async def _count(bot: BotHarness, table: str) -> int:
    return int(await bot.app.services.db.fetch_value(f"SELECT count(*) FROM {table}"))


async def test_a_double_tap_on_send_makes_one_tip(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident, Answers(photos=1))
    review = bot.api.last_message(resident.id)
    data = review.button_data("📨 Gửi")
    await bot.send(bot.updates.callback(resident, review, data))
    first = receipt_code(bot, resident)
    await bot.send(bot.updates.callback(resident, review, data))
    assert receipt_code(bot, resident) == first
    receipts = [text for text in bot.texts(resident.id) if first in text and "20" in text]
    assert len(receipts) == 2  # the second press gets the same receipt again
    assert await _count(bot, "tips") == 1
    assert await _count(bot, "tip_evidence") == 1
    assert await _count(bot, "tip_events") == 1
    assert await _count(bot, "outbox") == 1


async def test_a_redelivered_send_update_makes_one_tip(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident)
    review = bot.api.last_message(resident.id)
    update = bot.updates.callback(resident, review, review.button_data("📨 Gửi"))
    await bot.send(update)
    await bot.send(update)  # Telegram delivers the same update again
    assert await _count(bot, "tips") == 1
    assert await _count(bot, "outbox") == 1


async def test_someone_elses_send_button_reveals_nothing(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident)
    review = bot.api.last_message(resident.id)
    data = review.button_data("📨 Gửi")
    await bot.press(resident, "📨 Gửi")
    code = receipt_code(bot, resident)
    stranger = Person(id=5550999, first_name="Khách")
    await bot.send(bot.updates.callback(stranger, review, data, chat_id=resident.id))
    answer = bot.api.calls_for("answerCallbackQuery")[-1].params["text"]
    assert answer == "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."
    assert all(code not in str(call.params) for call in bot.api.calls_to(stranger.id))
    assert await _count(bot, "tips") == 1


async def test_residents_are_limited_per_hour_and_per_day(
    database_path: Path, resident: Person
) -> None:
    settings = tips_settings(database_path, tip_limit_per_hour=2, tip_limit_per_day=3)
    async with BotHarness(settings) as bot:
        await submit(bot, resident)
        await submit(bot, resident)
        await bot.say(resident, "/tip")
        refusal = last_shown(bot, resident.id)
        assert "Bạn đã gửi 2 tin báo trong một giờ qua" in refusal
        assert "113" in refusal
        assert await bot.app.services.tips.load_draft(resident.id) is None
        # Another resident is not affected.
        other = Person(id=5550123, first_name="Bình")
        await submit(bot, other)

        bot.clock.advance(timedelta(minutes=61))
        await submit(bot, resident)
        bot.clock.advance(timedelta(minutes=61))
        await bot.say(resident, "/tip")
        assert "Bạn đã gửi 3 tin báo trong 24 giờ qua" in last_shown(bot, resident.id)
        bot.clock.advance(timedelta(hours=23))
        await submit(bot, resident)
        assert await _count(bot, "tips") == 5


async def test_my_tips_lists_only_my_own_tips(bot: BotHarness, resident: Person) -> None:
    await bot.say(resident, "/mytips")
    assert "Bạn chưa gửi tin báo nào" in last_shown(bot, resident.id)
    first = await submit(bot, resident)
    second = await submit(bot, resident, Answers(category="fraud"))
    other = Person(id=5550321, first_name="Cường")
    theirs = await submit(bot, other)
    await bot.say(resident, "📋 Tin báo của tôi")
    listing = last_shown(bot, resident.id)
    assert "Tin báo của bạn (2)" in listing
    assert first in listing
    assert second in listing
    assert theirs not in listing
    assert "Đã tiếp nhận" in listing
    assert "💳 Lừa đảo" in listing
    today = bot.app.services.tips.local_today().strftime("%d/%m/%Y")
    assert today in listing
    assert listing.index(second) < listing.index(first)  # newest first


async def test_my_tips_in_english(bot: BotHarness, english: Person) -> None:
    await bot.say(english, "/language")
    await bot.press(english, "🇬🇧 English")
    code = await submit(bot, english, language="en")
    await bot.say(english, "📋 My tips")
    listing = last_shown(bot, english.id)
    assert "Your tips (1)" in listing
    assert code in listing
    assert "Received" in listing


async def test_status_shows_the_status_of_any_code_and_nothing_else(
    bot: BotHarness, resident: Person
) -> None:
    secret_story = "Ông Tư bán ma túy ở quán nước đầu cầu Cái Sắn."
    code = await submit(bot, resident, Answers(story=(secret_story,)))
    stranger = Person(id=5550456, first_name="Dũng")
    await bot.say(stranger, f"/status {code}")
    reply = last_shown(bot, stranger.id)
    assert reply.splitlines()[0] == f"Tin báo {code}: Đã tiếp nhận"
    assert "Ông Tư" not in reply
    assert "Ma túy" not in reply
    # Codes are read forgivingly: lower case, no dashes.
    await bot.say(resident, "/status " + code.lower().replace("-", ""))
    assert last_shown(bot, resident.id).splitlines()[0] == f"Tin báo {code}: Đã tiếp nhận"


async def test_status_of_a_wrong_or_missing_code(bot: BotHarness, resident: Person) -> None:
    await bot.say(resident, "/status TB-2222-3333")
    assert "Không tìm thấy tin báo có mã «TB-2222-3333»" in last_shown(bot, resident.id)
    await bot.say(resident, "/status <b>hello</b>")
    assert "Không tìm thấy tin báo có mã «<b>hello</b>»" in last_shown(bot, resident.id)
    await bot.say(resident, "/status")
    assert "/status TB-7K3M-Q9XD" in last_shown(bot, resident.id)


async def test_status_follows_the_stored_status(bot: BotHarness, resident: Person) -> None:
    code = await submit(bot, resident)
    async with bot.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'verifying' WHERE code = ?", (code,))
    await bot.say(resident, f"/status {code}")
    assert last_shown(bot, resident.id).splitlines()[0] == f"Tin báo {code}: Đang xác minh"


async def test_concurrent_submissions_of_one_draft_make_one_tip(
    bot: BotHarness, resident: Person
) -> None:
    await reach_review(bot, resident)
    tips = bot.app.services.tips
    record = await tips.load_draft(resident.id)
    assert record is not None
    first, second = await asyncio.gather(
        tips.submit(resident.id, resident.id, record, "vi"),
        tips.submit(resident.id, resident.id, record, "vi"),
    )
    assert first.tip.code == second.tip.code
    assert sorted([first.created, second.created]) == [False, True]
    assert await _count(bot, "tips") == 1


async def test_a_code_collision_draws_another_code(
    bot: BotHarness, resident: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = await submit(bot, resident)
    fresh = "TB-2345-6789"
    # The service's code source draws the taken code's characters first, then the fresh one's.
    characters = iter((taken + fresh).replace("TB", "").replace("-", ""))
    monkeypatch.setattr(bot.app.services.tips, "code_choice", lambda _alphabet: next(characters))
    assert await submit(bot, resident, Answers(category="fraud")) == fresh
    assert await _count(bot, "tips") == 2


async def test_status_shows_each_move_with_its_date_and_the_deadline_never_the_officer(
    bot: BotHarness, resident: Person
) -> None:
    code = await submit(bot, resident)
    db = bot.app.services.db
    tip_id = int(await db.fetch_value("SELECT id FROM tips WHERE code = ?", (code,)))
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO tip_events (tip_id, at, actor_kind, actor_ref, event, from_status,"
            " to_status, note) VALUES (?, '2026-01-02T17:30:00+00:00', 'officer', 'Trung úy Lê',"
            " 'status', 'received', 'taken', 'ghi chú nội bộ')",
            (tip_id,),
        )
        await conn.execute("UPDATE tips SET status = 'taken' WHERE code = ?", (code,))
    await bot.say(resident, f"/status {code}")
    reply = last_shown(bot, resident.id)
    lines = reply.splitlines()
    assert lines[0] == f"Tin báo {code}: Đang được xử lý"
    assert "• 03/01/2026: Đang được xử lý" in lines  # 17:30 UTC is the next day in Vietnam
    assert any(line.startswith("Hạn giải quyết (20 ngày): ") for line in lines)
    assert "Lê" not in reply
    assert "ghi chú" not in reply
    async with db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed' WHERE code = ?", (code,))
    await bot.say(resident, f"/status {code}")
    assert "Hạn giải quyết" not in last_shown(bot, resident.id)


async def _set_unit_and_status(bot: BotHarness, code: str, status: str) -> None:
    async with bot.app.services.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO units (code, name_vi, name_en, level, search_name, created_at,"
            " updated_at) VALUES ('KG-RG', 'Phường Rạch Giá', 'Rach Gia Ward', 'ward',"
            " 'phuong rach gia', '2026-01-01', '2026-01-01')"
        )
        await conn.execute(
            "UPDATE tips SET status = ?, unit_id = (SELECT id FROM units WHERE code = 'KG-RG')"
            " WHERE code = ?",
            (status, code),
        )


async def test_status_in_english_names_the_unit_in_english(
    bot: BotHarness, english: Person
) -> None:
    await bot.say(english, "/language")
    await bot.press(english, "🇬🇧 English")
    code = await submit(bot, english, language="en")
    await _set_unit_and_status(bot, code, "verifying")
    await bot.say(english, f"/status {code}")
    lines = last_shown(bot, english.id).splitlines()
    assert lines[0] == f"Tip {code}: Being verified"
    assert "Handled by: Rach Gia Ward" in lines
    assert any(line.startswith("Decision due (20 days): ") for line in lines)


async def test_status_names_the_unit_and_a_service_target_for_a_phan_anh(
    bot: BotHarness, resident: Person
) -> None:
    code = await submit(bot, resident, Answers(category="dispute"))
    await _set_unit_and_status(bot, code, "taken")
    async with bot.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET legal_type = 'phan_anh' WHERE code = ?", (code,))
    await bot.say(resident, f"/status {code}")
    lines = last_shown(bot, resident.id).splitlines()
    assert "Đơn vị đang xử lý: phường Rạch Giá" in lines
    assert any(line.startswith("Mục tiêu trả lời của đơn vị (15 ngày): ") for line in lines)
    assert not any(line.startswith("Hạn giải quyết") for line in lines)
