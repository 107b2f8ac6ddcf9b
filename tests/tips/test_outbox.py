"""The officers' card: what it shows, and its delivery through outages, exactly once."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.testing.botapi import ApiCall
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.units.repository import UnitRecord
from tests.tips.flow import (
    OFFICERS,
    Answers,
    deliver,
    label,
    receipt_code,
    submit,
    tips_settings,
    visible,
)


def _ok(calls: list[ApiCall], method: str | None = None) -> list[ApiCall]:
    return [
        call
        for call in calls
        if call.error is None and call.result is not None and method in (None, call.method)
    ]


async def _pending(bot: BotHarness) -> int:
    return await bot.app.services.tips.outbox.pending_count()


async def test_the_card_shows_the_tip_with_its_map_pin_and_files(
    bot: BotHarness, resident: Person
) -> None:
    await bot.say(resident, "/tip")
    await bot.press(resident, "🎲 Cờ bạc")
    await bot.send(bot.updates.voice(resident))
    await bot.say(resident, "Sới gà ăn tiền sau nhà ông Sáu, chiều chủ nhật.")
    await bot.press(resident, "✅ Xong")
    await bot.send(bot.updates.location(resident, 10.2345, 104.9876))
    await bot.press(resident, "📅 Hôm nay")
    photo = bot.updates.photo(resident, caption="Cổng sau <nhà> & sân")
    await bot.send(photo)
    await bot.send(bot.updates.document(resident, file_name="danh-sach.pdf"))
    await bot.press(resident, "✅ Xong")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
    await bot.press(resident, "📨 Gửi")
    code = receipt_code(bot, resident)
    await deliver(bot)

    sent = bot.api.sent_messages(OFFICERS)
    assert [message.method for message in sent] == [
        "sendMessage",
        "sendLocation",
        "sendVoice",
        "sendPhoto",
        "sendDocument",
    ]
    card = visible(sent[0])
    for expected in (
        f"Tin báo {code}",
        "Loại vụ việc: 🎲 Cờ bạc",
        "Phân loại: Tố giác tội phạm (theo loại vụ việc)",
        "Đơn vị: chưa xác định",
        "Vị trí trên bản đồ (10.23450, 104.98760)",
        "Hạn giải quyết (20 ngày):",
        "Trạng thái: Đã tiếp nhận",
        "Tệp đính kèm: 2 tệp (bên dưới)",
        "Người báo: 🕶 Ẩn danh",
        "Sới gà ăn tiền sau nhà ông Sáu",
        "🎙 Tin nhắn thoại",
    ):
        assert expected in card, expected
    location = sent[1].raw["location"]
    assert (location["latitude"], location["longitude"]) == (10.2345, 104.9876)
    card_id = sent[0].message_id
    assert all(message.raw["reply_to_message"]["message_id"] == card_id for message in sent[1:])
    assert visible(sent[2]).startswith(f"🎙 {code} · nội dung tin báo")
    assert visible(sent[3]) == f"📎 {code} · tệp 2/3\nCổng sau <nhà> & sân"
    resident_photo = photo.message.photo[-1].file_id if photo.message else ""
    photo_call = _ok(bot.api.calls_to(OFFICERS), "sendPhoto")[0]
    assert photo_call.params["photo"] == resident_photo  # passed on by file id, not downloaded
    assert not bot.api.calls_for("getFile")

    tips = bot.app.services.tips
    tip = await tips.tips.by_code(code)
    assert tip is not None
    stored = await tips.tips.card(tip.id)
    assert stored is not None
    assert (stored.chat_id, stored.message_id) == (OFFICERS, card_id)
    assert await _pending(bot) == 0


async def test_the_story_is_escaped_on_the_card_and_the_review(
    bot: BotHarness, resident: Person
) -> None:
    story = "Họ viết <b>khuyến mãi</b> & <a href='http://x'>nhận quà</a> để lừa."
    await submit(bot, resident, Answers(story=(story,)))
    await deliver(bot)
    card_call = _ok(bot.api.calls_to(OFFICERS), "sendMessage")[0]
    assert (
        "&lt;b&gt;khuyến mãi&lt;/b&gt; &amp; &lt;a href='http://x'&gt;" in card_call.params["text"]
    )
    assert story in visible(bot.api.sent_messages(OFFICERS)[0])
    review_call = [
        call for call in bot.api.calls_to(resident.id) if "Xem lại" in str(call.params.get("text"))
    ][-1]
    assert "&lt;b&gt;khuyến mãi&lt;/b&gt;" in review_call.params["text"]


async def test_a_contact_is_on_the_card_only_when_the_resident_left_one(
    bot: BotHarness, resident: Person
) -> None:
    await submit(bot, resident, Answers(contact="0912 345 678"))
    await deliver(bot)
    assert "Người báo: 📞 0912 345 678" in visible(bot.api.sent_messages(OFFICERS)[-1])


# PTB 22 itself warns when it builds a RetryAfter from a 429 (retry_after becomes a timedelta).
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_an_outage_of_the_officers_chat_delays_cards_never_receipts(
    bot: BotHarness, resident: Person
) -> None:
    api = bot.api
    api.fail_until_cleared("*", error="5xx", chat_id=OFFICERS)
    codes = [await submit(bot, resident, Answers(photos=2, location=(10.1, 105.1)))]
    await deliver(bot)
    assert await _pending(bot) == 1
    assert not _ok(api.calls_to(OFFICERS))

    # Telegram now answers 429 (flood wait) in the officers' chat.
    api.clear_failures()
    api.fail_until_cleared("*", error="429", retry_after=30, chat_id=OFFICERS)
    bot.clock.advance(timedelta(seconds=6))
    await deliver(bot)
    started = time.monotonic()
    codes.append(await submit(bot, resident, Answers(category="fraud")))
    # The receipt came at once: the 429 in the officers' chat did not pause the bot.
    assert time.monotonic() - started < 3
    assert all(call.error is None for call in api.calls_to(resident.id))
    await deliver(bot)
    assert await _pending(bot) == 2
    assert not _ok(api.calls_to(OFFICERS))

    # Still inside the 30 s Telegram asked for: nothing is tried.
    tried = len(api.calls_to(OFFICERS))
    bot.clock.advance(timedelta(seconds=20))
    await deliver(bot)
    assert len(api.calls_to(OFFICERS)) == tried

    api.clear_failures()
    bot.clock.advance(timedelta(seconds=15))
    assert await deliver(bot) == 2
    bot.clock.advance(timedelta(minutes=15))
    assert await deliver(bot) == 0
    delivered = _ok(api.calls_to(OFFICERS))
    cards = [call for call in delivered if call.method == "sendMessage"]
    for code in codes:
        assert len([call for call in cards if code in call.params["text"]]) == 1
    assert len([call for call in delivered if call.method == "sendPhoto"]) == 2
    assert len([call for call in delivered if call.method == "sendLocation"]) == 1
    rows = await bot.app.services.db.fetch_all("SELECT attempts, delivered_at FROM outbox")
    assert all(row["delivered_at"] is not None for row in rows)
    assert max(row["attempts"] for row in rows) >= 2


async def test_a_card_half_sent_is_finished_without_repeats(
    bot: BotHarness, resident: Person
) -> None:
    api = bot.api
    code = await submit(bot, resident, Answers(photos=3))
    # The card and the first photo go out, the second photo fails.
    api.fail_next("sendPhoto", 1, error="5xx", chat_id=OFFICERS)
    api.fail_next("sendPhoto", 1, error="timeout", chat_id=OFFICERS)
    await deliver(bot)
    for _ in range(3):
        bot.clock.advance(timedelta(minutes=1))
        await deliver(bot)
    delivered = _ok(api.calls_to(OFFICERS))
    assert [call.method for call in delivered] == ["sendMessage"] + ["sendPhoto"] * 3
    assert code in delivered[0].params["text"]
    assert await _pending(bot) == 0


async def test_without_an_officers_chat_tips_wait_with_one_warning(
    database_path: Path, resident: Person, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(tips_settings(database_path, officer_chat_id=None)) as bot:
        await submit(bot, resident)
        await submit(bot, resident, Answers(category="fraud"))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.tips.outbox"):
            assert await deliver(bot) == 0
            bot.clock.advance(timedelta(minutes=5))
            assert await deliver(bot) == 0
        assert await _pending(bot) == 2
        warnings = [r for r in caplog.records if "OFFICER_CHAT_ID is not set" in r.message]
        assert len(warnings) <= 1
        rows = await bot.app.services.db.fetch_all("SELECT attempts FROM outbox")
        assert [row["attempts"] for row in rows] == [0, 0]  # waiting is not failing


async def test_a_chat_that_refuses_is_retried_with_capped_backoff(
    bot: BotHarness, resident: Person, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail_until_cleared("*", error="403", chat_id=OFFICERS)
    await submit(bot, resident)
    with caplog.at_level(logging.ERROR, logger="bot.tips.outbox"):
        for _ in range(12):
            bot.clock.advance(timedelta(minutes=11))
            await deliver(bot)
    assert any("refuses messages" in record.message for record in caplog.records)
    row = await bot.app.services.db.fetch_one("SELECT attempts, next_attempt_at FROM outbox")
    assert row is not None
    assert row["attempts"] >= 12
    wait = datetime.fromisoformat(row["next_attempt_at"]) - bot.clock.now()
    assert timedelta(0) < wait <= timedelta(minutes=10)
    bot.api.clear_failures()
    bot.clock.advance(timedelta(minutes=11))
    assert await deliver(bot) == 1


async def test_a_units_chat_or_its_ancestors_gets_the_card(
    bot: BotHarness, resident: Person
) -> None:
    district_chat = -1009990001
    await bot.app.services.units.save_all(
        [
            UnitRecord("AG", "Tỉnh An Giang", None, None, "province"),
            UnitRecord(
                "RG", "Phường Rạch Giá", None, "AG", "ward", chat_id=district_chat, set_chat=True
            ),
            UnitRecord("VT", "Khu phố Vĩnh Thanh", None, "RG", "quarter"),
        ],
        bot.clock.now(),
    )
    await bot.say(resident, "/tip")
    await bot.press(resident, "💊 Ma túy")
    await bot.say(resident, "Điểm bán lẻ ma túy trong khu nhà trọ cuối hẻm.")
    await bot.press(resident, "✅ Xong")
    await bot.say(resident, "🏘 Chọn xã/phường")
    await bot.say(resident, "vinh thanh")
    await bot.press(resident, "Khu phố Vĩnh Thanh · Phường Rạch Giá")
    await bot.press(resident, "⏭ Bỏ qua")
    await bot.press(resident, "⏭ Không có tệp")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
    await bot.press(resident, "📨 Gửi")
    await deliver(bot)
    assert bot.api.sent_messages(OFFICERS) == []
    card = visible(bot.api.sent_messages(district_chat)[0])
    assert "Đơn vị: Tỉnh An Giang › Phường Rạch Giá › Khu phố Vĩnh Thanh" in card


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 120, 10))
    exif = Image.Exif()
    exif[0x013B] = "Nguoi Chup Anh"
    exif[0x8825] = {1: "N", 2: (9.0, 58.0, 1.0), 3: "E", 4: (105.0, 7.0, 3.0)}
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


async def test_downloaded_evidence_is_stripped_of_exif_and_gps(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, evidence_download=True)) as bot:
        original = _jpeg_with_gps()
        await bot.say(resident, "/tip")
        await bot.press(resident, "💊 Ma túy")
        await bot.say(resident, "Ảnh chụp người giao hàng cấm trước cổng trường.")
        await bot.press(resident, "✅ Xong")
        await bot.say(resident, "🤷 Không nhớ rõ")
        await bot.press(resident, "📅 Hôm nay")
        await bot.send(
            bot.updates.document(
                resident, file_name="IMG_2024.jpg", mime_type="image/jpeg", content=original
            )
        )
        # A PDF: nothing here can clean its Author field, so it is withheld (tests/tips/
        # test_evidence.py), never passed on as it came.
        await bot.send(bot.updates.document(resident))
        await bot.press(resident, "✅ Xong")
        await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
        await bot.press(resident, "📨 Gửi")
        await deliver(bot)
        documents = [m for m in bot.api.sent_messages(OFFICERS) if m.method == "sendDocument"]
        assert len(documents) == 1
        cleaned = bot.api.file_content(documents[0].raw["document"]["file_id"])
        assert cleaned != original
        assert b"Nguoi Chup Anh" not in cleaned
        with Image.open(io.BytesIO(cleaned)) as image:
            assert dict(image.getexif()) == {}
        assert "/file" in bot.api.sent_messages(OFFICERS)[-1].text


async def test_the_job_queue_delivers_right_after_the_commit(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, outbox_interval_seconds=0.2)) as bot:
        code = await submit(bot, resident)
        for _ in range(50):
            if bot.api.sent_messages(OFFICERS):
                break
            await asyncio.sleep(0.05)
        assert code in visible(bot.api.sent_messages(OFFICERS)[0])


async def test_the_english_flow_card_is_in_the_default_language(
    bot: BotHarness, english: Person
) -> None:
    await bot.say(english, "/language")
    await bot.press(english, label("language.name", "en"))
    code = await submit(bot, english, language="en")
    await deliver(bot)
    card = visible(bot.api.sent_messages(OFFICERS)[0])
    assert f"Tin báo {code}" in card  # the officers' chat reads the default language
