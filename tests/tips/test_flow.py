"""The whole tip flow, in Vietnamese and English, through the real application."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.service import CONVERSATION
from bot.units.repository import UnitRecord
from tests.tips.flow import (
    Answers,
    label,
    last_shown,
    reach_review,
    receipt_code,
    shown,
    submit,
    visible,
)


def _flat(rows: list[list[str]]) -> list[str]:
    return [text for row in rows for text in row]


async def _row(bot: BotHarness, sql: str, *params: object) -> dict[str, object]:
    row = await bot.app.services.db.fetch_one(sql, params)
    assert row is not None, sql
    return dict(row)


async def test_vietnamese_tip_from_the_menu_button_end_to_end(
    bot: BotHarness, resident: Person
) -> None:
    await bot.say(resident, "/start")
    menu = _flat(bot.api.last_message(resident.id).reply_keyboard())
    assert menu[:2] == ["📨 Gửi tin báo", "📋 Tin báo của tôi"]

    await bot.say(resident, "📨 Gửi tin báo")
    intro, category_prompt = bot.api.sent_messages(resident.id)[-2:]
    assert "113" in visible(intro)
    # The main menu gives way to the step keyboard while the tip is written.
    assert intro.reply_keyboard() == [["✖️ Hủy gửi tin"]]
    assert "Bước 1/6" in visible(category_prompt)
    assert len(_flat(category_prompt.buttons())) == 10

    await bot.press(resident, "💳 Lừa đảo, lừa đảo qua mạng")
    assert "➡️ 💳 Lừa đảo" in visible(
        category_prompt := bot.api.message(resident.id, category_prompt.message_id)
    )
    assert category_prompt.buttons() == []
    await bot.say(resident, "Một người gọi điện xưng là công an, bảo chuyển tiền.")
    await bot.say(resident, "Số điện thoại lạ, nói giọng miền Bắc.")
    await bot.press(resident, "✅ Xong")

    place_prompt = bot.api.last_message(resident.id)
    assert "Bước 3/6" in visible(place_prompt)
    keyboard = place_prompt.reply_markup or {}
    assert keyboard["keyboard"][0][0] == {
        "text": "📍 Gửi vị trí hiện tại",
        "request_location": True,
    }
    await bot.send(bot.updates.location(resident, 10.0123, 105.0809))
    assert bot.api.sent_messages(resident.id)[-2].reply_keyboard() == [["✖️ Hủy gửi tin"]]

    await bot.press(resident, "📅 Hôm nay")
    await bot.send(bot.updates.photo(resident, caption="Ảnh tin nhắn lừa đảo"))
    await bot.send(bot.updates.photo(resident))
    await bot.send(bot.updates.document(resident, file_name="sao-ke.pdf"))
    assert "Đã nhận tệp 3/10" in last_shown(bot, resident.id)
    await bot.press(resident, "✅ Xong")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")

    review = visible(bot.api.last_message(resident.id))
    assert "Xem lại tin báo" in review
    assert "💳 Lừa đảo, lừa đảo qua mạng" in review
    assert "Tố giác tội phạm (theo loại vụ việc)" in review
    assert "Vị trí trên bản đồ (10.01230, 105.08090)" in review
    assert "3 tệp" in review
    assert "🕶 Ẩn danh" in review
    assert "xưng là công an" in review
    assert "giọng miền Bắc" in review

    await bot.press(resident, "📨 Gửi")
    receipt = bot.api.last_message(resident.id)
    code = receipt_code(bot, resident)
    text = visible(receipt)
    assert f"Mã tin báo: {code}" in text
    assert "20 ngày" in text
    assert "113" in text
    today = bot.app.services.tips.local_today()
    assert (today + timedelta(days=20)).strftime("%d/%m/%Y") in text
    assert _flat(receipt.reply_keyboard())[0] == "📨 Gửi tin báo"  # the main menu is back

    tip = await _row(bot, "SELECT * FROM tips WHERE code = ?", code)
    assert tip["category"] == "fraud"
    assert (tip["legal_type"], tip["legal_type_source"]) == ("to_giac", "category")
    assert tip["place_kind"] == "location"
    assert (tip["latitude"], tip["longitude"]) == (10.0123, 105.0809)
    assert (tip["occurred"], tip["occurred_on"]) == ("today", today.isoformat())
    assert tip["anonymous"] == 1
    assert tip["contact_sealed"] is None
    assert tip["status"] == "received"
    assert tip["decision_deadline"] == (today + timedelta(days=20)).isoformat()
    assert tip["story"] == (
        "Một người gọi điện xưng là công an, bảo chuyển tiền.\n\n"
        "Số điện thoại lạ, nói giọng miền Bắc."
    )
    evidence = await bot.app.services.db.fetch_all(
        "SELECT kind, caption, role FROM tip_evidence WHERE tip_id = ? ORDER BY position",
        (tip["id"],),
    )
    assert [tuple(row) for row in evidence] == [
        ("photo", "Ảnh tin nhắn lừa đảo", "evidence"),
        ("photo", None, "evidence"),
        ("document", None, "evidence"),
    ]
    event = await _row(bot, "SELECT * FROM tip_events WHERE tip_id = ?", tip["id"])
    assert (event["actor_kind"], event["event"], event["to_status"]) == (
        "resident",
        "received",
        "received",
    )
    assert event["actor_ref"] is None
    outbox = await _row(bot, "SELECT kind, payload FROM outbox")
    assert outbox["kind"] == "tip_card"
    db = bot.app.services.db
    assert await db.fetch_value("SELECT count(*) FROM tip_drafts") == 0
    assert await db.fetch_value("SELECT count(*) FROM conversation_states") == 0

    # The conversation is over: a plain message goes to core again.
    await bot.say(resident, "cảm ơn")
    assert "Tôi chưa hiểu" in last_shown(bot, resident.id)


async def test_english_tip_by_deep_link_with_voice_date_and_contact(
    bot: BotHarness, english: Person
) -> None:
    await bot.say(english, "/language")
    await bot.press(english, "🇬🇧 English")
    await bot.say(english, "/start tip")
    assert "Step 1 of 6" in last_shown(bot, english.id)
    await bot.press(english, "🚨 A wanted person or fugitive")
    await bot.send(bot.updates.voice(english, duration=12))
    assert "Voice note received" in last_shown(bot, english.id)
    await bot.press(english, "✅ Done")
    await bot.say(english, "Near the ferry terminal, Ha Tien")
    await bot.press(english, "🗓 Earlier (type the date)")
    earlier = bot.app.services.tips.local_today() - timedelta(days=3)
    await bot.say(english, earlier.strftime("%d/%m/%Y"))
    await bot.press(english, "⏭ No files")
    await bot.press(english, "📞 Leave a contact")
    contact_prompt = bot.api.last_message(english.id)
    share = (contact_prompt.reply_markup or {})["keyboard"][0][0]
    assert share == {"text": "📱 Share my phone number", "request_contact": True}
    await bot.send(bot.updates.contact(english, "+84 912 000 111"))

    review = last_shown(bot, english.id)
    assert "Check your tip" in review
    assert "Information about a crime (tin báo) (from the category)" in review
    assert "🎙 Voice note" in review
    assert f"On {earlier.strftime('%d/%m/%Y')}" in review
    assert "📞 +84 912 000 111 (Mary Major)" in review
    await bot.press(english, "📨 Send")
    code = receipt_code(bot, english)
    receipt = last_shown(bot, english.id)
    assert f"Tip code: {code}" in receipt
    assert "within 20 days" in receipt
    assert "113" in receipt
    assert "An officer may contact you" in receipt

    tips = bot.app.services.tips
    tip = await tips.tips.by_code(code)
    assert tip is not None
    assert (tip.category, tip.legal_type, tip.language) == ("wanted", "tin_bao", "en")
    assert (tip.occurred, tip.occurred_on) == ("date", earlier)
    assert tip.story == ""
    assert not tip.anonymous
    assert tip.contact_sealed is not None
    assert "912" not in tip.contact_sealed
    assert tips.contact_of(tip) == "+84 912 000 111 (Mary Major)"
    assert tips.reporter_chat(tip) == english.id
    evidence = await tips.tips.evidence(tip.id)
    assert [(item.role, item.kind) for item in evidence] == [("story", "voice")]


async def test_plain_start_still_reaches_core_and_tip_starts_the_flow(
    bot: BotHarness, resident: Person
) -> None:
    await bot.say(resident, "/start")
    assert last_shown(bot, resident.id).startswith("Xin chào Lan!")
    assert await bot.app.services.db.fetch_value("SELECT count(*) FROM tip_drafts") == 0
    await bot.say(resident, "/tip")
    assert "Bạn muốn báo về việc gì?" in last_shown(bot, resident.id)


async def test_tip_asked_again_mid_draft_shows_the_current_step(
    bot: BotHarness, resident: Person
) -> None:
    await bot.say(resident, "/tip")
    await bot.press(resident, "💊 Ma túy")
    for again in ("/tip", "📨 Gửi tin báo", "/start tip"):
        await bot.say(resident, again)
        texts = shown(bot, resident.id)
        assert "Bạn đang gửi dở một tin báo" in texts[-2]
        assert "Chuyện gì đã xảy ra?" in texts[-1]
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.category == "drugs"


async def test_unit_is_found_without_diacritics_and_recorded(
    bot: BotHarness, resident: Person
) -> None:
    now = bot.app.services.clock.now()
    await bot.app.services.units.save_all(
        [
            UnitRecord("KG", "Tỉnh Kiên Giang", "Kien Giang Province", None, "province"),
            UnitRecord("RG", "Thành phố Rạch Giá", "Rach Gia City", "KG", "district"),
            UnitRecord("VT", "Phường Vĩnh Thanh", "Vinh Thanh Ward", "RG", "ward"),
        ],
        now,
    )
    await bot.say(resident, "/tip")
    await bot.press(resident, "💊 Ma túy")
    await bot.say(resident, "Có người tụ tập sử dụng ma túy trong nhà trọ.")
    await bot.press(resident, "✅ Xong")
    place = bot.api.last_message(resident.id)
    assert ["🏘 Chọn xã/phường"] in place.reply_keyboard()
    await bot.say(resident, "🏘 Chọn xã/phường")
    assert "Gõ tên xã, phường" in last_shown(bot, resident.id)
    await bot.say(resident, "vinh thanh")
    results = bot.api.last_message(resident.id)
    assert _flat(results.buttons()) == ["Phường Vĩnh Thanh · Thành phố Rạch Giá"]
    await bot.press(resident, "Phường Vĩnh Thanh · Thành phố Rạch Giá")
    assert "Đã chọn: Phường Vĩnh Thanh · Thành phố Rạch Giá" in shown(bot, resident.id)[-2]
    await bot.press(resident, "⏭ Bỏ qua")
    await bot.press(resident, "⏭ Không có tệp")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
    assert "🏘 Phường Vĩnh Thanh · Thành phố Rạch Giá" in last_shown(bot, resident.id)
    await bot.press(resident, "📨 Gửi")
    tip = await bot.app.services.tips.tips.by_code(receipt_code(bot, resident))
    unit = await bot.app.services.units.by_code("VT")
    assert tip is not None
    assert unit is not None
    assert (tip.place_kind, tip.unit_id, tip.occurred) == ("unit", unit.id, "unknown")


async def test_legal_type_follows_the_category_unless_the_resident_sets_it(
    bot: BotHarness, resident: Person
) -> None:
    await reach_review(
        bot,
        resident,
        Answers(category="dispute", story=("Hàng xóm cãi nhau về ranh giới đất, sắp đánh nhau.",)),
    )
    assert "Phản ánh (theo loại vụ việc)" in last_shown(bot, resident.id)
    await bot.press(resident, "✏️ Phân loại tin")
    assert "Tố giác tội phạm" in last_shown(bot, resident.id)
    await bot.press(resident, "Tố giác tội phạm")
    assert "Tố giác tội phạm (bạn chọn)" in last_shown(bot, resident.id)
    # Changing the category keeps the resident's own choice of legal type.
    await bot.press(resident, "✏️ Loại vụ việc")
    await bot.press(resident, "📝 Việc khác")
    assert "Tố giác tội phạm (bạn chọn)" in last_shown(bot, resident.id)
    await bot.press(resident, "📨 Gửi")
    tip = await bot.app.services.tips.tips.by_code(receipt_code(bot, resident))
    assert tip is not None
    assert (tip.category, tip.legal_type, tip.legal_type_source) == ("other", "to_giac", "resident")


async def test_back_to_category_default_legal_type(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident)
    await bot.press(resident, "✏️ Phân loại tin")
    await bot.press(resident, "Phản ánh")
    await bot.press(resident, "✏️ Phân loại tin")
    await bot.press(resident, "↩️ Theo loại vụ việc")
    assert "Tố giác tội phạm (theo loại vụ việc)" in last_shown(bot, resident.id)
    code = await _send(bot, resident)
    tip = await bot.app.services.tips.tips.by_code(code)
    assert tip is not None
    assert tip.legal_type_source == "category"


async def _send(bot: BotHarness, person: Person) -> str:
    await bot.press(person, label("tips.button.send"))
    return receipt_code(bot, person)


async def test_the_conversation_state_is_stored_sealed(bot: BotHarness, resident: Person) -> None:
    await bot.say(resident, "/tip")
    rows = await bot.app.services.db.fetch_all("SELECT * FROM conversation_states")
    assert [(row["name"], row["state"]) for row in rows] == [(CONVERSATION, '"category"')]
    assert str(resident.id) not in repr([tuple(row) for row in rows])
    code = await submit(bot, resident)
    assert code.startswith("TB-")


async def test_the_next_question_does_not_wait_for_the_pressed_buttons_keyboard(
    bot: BotHarness, resident: Person
) -> None:
    await bot.say(resident, "/tip")
    prompt = bot.api.last_message(resident.id)
    before = len(bot.api.calls)
    # Telegram is slow for this chat: its calls are recorded but not answered until released.
    bot.api.hold_chat(resident.id)
    pressing = asyncio.create_task(
        bot.send(bot.updates.callback(resident, prompt, prompt.button_data("💊 Ma túy")))
    )
    try:
        assert await bot.api.wait_until(
            lambda: [call.method for call in bot.api.calls[before:]].count("sendMessage") == 1,
            within=5,
        )
        methods = [call.method for call in bot.api.calls[before:]]
        # The button answered (not held: no chat) and the keyboard edit still in flight when
        # the next question went out.
        assert sorted(methods) == ["answerCallbackQuery", "editMessageText", "sendMessage"]
        assert not pressing.done()
    finally:
        bot.api.release_chat()
    await asyncio.wait_for(pressing, 5)
    assert "Bước 2/6" in last_shown(bot, resident.id)
    assert bot.api.message(resident.id, prompt.message_id).buttons() == []
