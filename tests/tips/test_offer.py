"""A photo, video, voice note, file or location sent at the main menu offers to start a tip."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.handlers import expire_idle_drafts
from tests.officers.conftest import OFFICER_RG
from tests.triage.conftest import ENGLISH_TIPSTER, TIPSTER, card, open_desk, plant

from .flow import (
    CATEGORY_LABELS,
    deliver,
    label,
    last_shown,
    receipt_code,
    submit,
    tips_settings,
)

OFFER_VI = "Bắt đầu tin báo với nội dung này?"
OFFER_EN = "Start a tip with this?"
FALLBACK_VI = "Tôi chưa xử lý được loại nội dung này ở đây"
GONE_VI = "Nội dung này không còn được giữ."
STORY = "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ."


async def held_count(bot: BotHarness) -> int:
    return int(await bot.app.services.db.fetch_value("SELECT count(*) FROM tip_held_items"))


def last_alert(bot: BotHarness) -> str:
    return str(bot.api.calls_for("answerCallbackQuery")[-1].params.get("text") or "")


async def test_a_photo_at_the_menu_starts_a_tip_with_it_attached(
    bot: BotHarness, resident: Person
) -> None:
    await bot.send(bot.updates.photo(resident, caption="Ảnh đầu hẻm"))
    offer = bot.api.last_message(resident.id)
    assert offer.plain_text.startswith(OFFER_VI)
    assert offer.buttons() == [["✅ Có, gửi tin báo", "✖️ Không"]]
    # Held sealed: no Telegram file id and no caption in clear.
    row = await bot.app.services.db.fetch_one("SELECT item_sealed FROM tip_held_items")
    assert row is not None
    assert "Ảnh đầu hẻm" not in str(row["item_sealed"])
    assert "photo" not in str(row["item_sealed"])
    await bot.press(resident, "✅ Có, gửi tin báo")
    texts = [message.plain_text for message in bot.api.sent_messages(resident.id)[-2:]]
    assert "Tệp bạn vừa gửi đã được đính kèm vào tin báo này." in texts[0]
    assert "Bước 1/6" in texts[1]
    assert await held_count(bot) == 0
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert [item.kind for item in record.draft.evidence] == ["photo"]
    # The rest of the tip as usual; the evidence step already shows the file.
    await bot.press(resident, CATEGORY_LABELS["vi"]["drugs"])
    await bot.say(resident, STORY)
    await bot.press(resident, label("tips.button.done"))
    await bot.say(resident, "Hẻm 12 đường Nguyễn Trung Trực")
    await bot.press(resident, label("tips.button.when_today"))
    assert "(đã có 1)" in last_shown(bot, resident.id)
    await bot.press(resident, label("tips.button.done"))
    await bot.press(resident, label("tips.button.anonymous"))
    await bot.press(resident, label("tips.button.send"))
    tip = await bot.app.services.tips.tip_by_code(receipt_code(bot, resident))
    assert tip is not None
    files = await bot.app.services.tips.evidence_of(tip.id)
    assert [(item.kind, item.caption) for item in files] == [("photo", "Ảnh đầu hẻm")]


async def test_a_location_at_the_menu_is_the_place_and_not_asked_again_in_english(
    bot: BotHarness, english: Person
) -> None:
    await bot.app.services.set_language(english.id, "en")
    await bot.send(bot.updates.location(english, 10.0123, 105.0808))
    assert bot.api.last_message(english.id).plain_text.startswith(OFFER_EN)
    await bot.press(english, "✅ Yes, send a tip")
    assert "The location you just sent is recorded" in bot.api.sent_messages(english.id)[-2].text
    await bot.press(english, CATEGORY_LABELS["en"]["drugs"])
    await bot.say(english, "A man sells drugs at the alley's mouth every night at nine.")
    await bot.press(english, label("tips.button.done", "en"))
    # Straight to "when": the place is already known.
    assert "When did it happen?" in last_shown(bot, english.id)
    await bot.press(english, label("tips.button.when_today", "en"))
    await bot.press(english, label("tips.button.evidence_none", "en"))
    await bot.press(english, label("tips.button.anonymous", "en"))
    await bot.press(english, label("tips.button.send", "en"))
    tip = await bot.app.services.tips.tip_by_code(receipt_code(bot, english))
    assert tip is not None
    assert (tip.place_kind, tip.latitude, tip.longitude) == ("location", 10.0123, 105.0808)


async def test_no_forgets_the_item_and_an_old_offer_is_refused(
    bot: BotHarness, resident: Person
) -> None:
    await bot.send(bot.updates.voice(resident))
    first = bot.api.last_message(resident.id)
    await bot.press(resident, "✖️ Không")
    assert bot.api.last_message(resident.id).plain_text == "Được, tôi không giữ lại nội dung đó."
    assert bot.api.message(resident.id, first.message_id).buttons() == []
    assert await held_count(bot) == 0
    assert await bot.app.services.tips.load_draft(resident.id) is None
    # The old offer's buttons, pressed by hand: nothing is held for them.
    for data in (first.button_data("✅ Có, gửi tin báo"), first.button_data("✖️ Không")):
        await bot.send(bot.updates.callback(resident, first, data))
        assert last_alert(bot).startswith(GONE_VI)
    assert await bot.app.services.tips.load_draft(resident.id) is None
    # A newer item replaces the held one; the older offer cannot take it.
    await bot.send(bot.updates.photo(resident))
    older = bot.api.last_message(resident.id)
    await bot.send(bot.updates.document(resident))
    await bot.send(bot.updates.callback(resident, older, older.button_data("✅ Có, gửi tin báo")))
    assert last_alert(bot).startswith(GONE_VI)
    assert await held_count(bot) == 1
    # Forged tokens, and someone else pressing the genuine offer, take nothing.
    newer = bot.api.last_message(resident.id)
    for forged in ("tm:y:", "tm:y:AAAAAAAAAAAA", "tm:n:../../x", "tm:x:abc"):
        await bot.send(bot.updates.callback(resident, newer, forged))
        assert "không" in last_alert(bot).lower()
    other = Person(id=5550888, first_name="Khác")
    await bot.send(bot.updates.callback(other, newer, newer.button_data("✅ Có, gửi tin báo")))
    assert last_alert(bot).startswith(GONE_VI)
    assert await held_count(bot) == 1
    assert await bot.app.services.tips.load_draft(other.id) is None


async def test_stickers_and_contacts_still_get_the_clear_answer(
    bot: BotHarness, resident: Person
) -> None:
    await bot.send(bot.updates.sticker(resident))
    assert last_shown(bot, resident.id).startswith(FALLBACK_VI)
    await bot.send(bot.updates.contact(resident, "+84900000000"))
    assert last_shown(bot, resident.id).startswith(FALLBACK_VI)
    assert await held_count(bot) == 0


async def test_a_held_item_expires_with_idle_drafts(bot: BotHarness, resident: Person) -> None:
    await bot.send(bot.updates.photo(resident))
    offer = bot.api.last_message(resident.id)
    bot.clock.advance(timedelta(minutes=59))
    await expire_idle_drafts(bot.app)
    assert await held_count(bot) == 1
    bot.clock.advance(timedelta(minutes=2))
    await expire_idle_drafts(bot.app)
    assert await held_count(bot) == 0
    await bot.send(bot.updates.callback(resident, offer, offer.button_data("✅ Có, gửi tin báo")))
    assert last_alert(bot).startswith(GONE_VI)
    assert await bot.app.services.tips.load_draft(resident.id) is None


async def test_yes_during_another_tip_or_past_the_limit_is_refused(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, tip_limit_per_hour=1)) as bot:
        await bot.send(bot.updates.photo(resident))
        offer = bot.api.last_message(resident.id)
        await bot.say(resident, "/tip")
        await bot.send(
            bot.updates.callback(resident, offer, offer.button_data("✅ Có, gửi tin báo"))
        )
        assert last_alert(bot).startswith("Bạn đang soạn một tin báo.")
        record = await bot.app.services.tips.load_draft(resident.id)
        assert record is not None
        assert record.draft.evidence == []
        await bot.say(resident, "/cancel")
        # Past the hourly limit: the limit is told and the item is not kept.
        await submit(bot, resident)
        await bot.send(bot.updates.photo(resident))
        await bot.press(resident, "✅ Có, gửi tin báo")
        assert "1 tin báo" in last_shown(bot, resident.id)
        assert await held_count(bot) == 0
        assert await bot.app.services.tips.load_draft(resident.id) is None


async def test_an_open_question_takes_a_file_before_a_new_tip(database_path: Path) -> None:
    desk = await open_desk(database_path)
    try:
        tip = await plant(desk)
        await card(desk, tip)
        await desk.say(OFFICER_RG, f"/ask {tip.code} Anh chị có ảnh chiếc xe không?")
        await deliver(desk)
        # One open question: the photo, sent without replying, is its answer.
        await desk.send(desk.updates.photo(TIPSTER, caption="Chiếc xe"))
        assert "Đã chuyển câu trả lời" in last_shown(desk, TIPSTER.id)
        assert await held_count(desk) == 0
        rows = await desk.app.services.db.fetch_all(
            "SELECT reply_to, body FROM tip_messages WHERE direction = 'from_tipster'"
        )
        assert [(row["reply_to"] is not None, row["body"]) for row in rows] == [(True, "Chiếc xe")]
        # Two open questions: asked to reply to the one it answers; nothing relayed or held.
        for question in ("Xe màu gì?", "Biển số bao nhiêu?"):
            await desk.say(OFFICER_RG, f"/ask {tip.code} {question}")
        await deliver(desk)
        await desk.send(desk.updates.voice(TIPSTER))
        assert "hãy trả lời (reply) đúng câu hỏi đó" in last_shown(desk, TIPSTER.id)
        assert await held_count(desk) == 0
        assert (
            len(
                await desk.app.services.db.fetch_all(
                    "SELECT id FROM tip_messages WHERE direction = 'from_tipster'"
                )
            )
            == 1
        )
        # A location answers nothing: it may start a tip.
        await desk.send(desk.updates.location(TIPSTER, 10.01, 105.08))
        assert last_shown(desk, TIPSTER.id).startswith(OFFER_VI)
    finally:
        await desk.stop()


async def test_several_open_questions_ask_for_a_reply_in_english(database_path: Path) -> None:
    desk = await open_desk(database_path)
    try:
        await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
        tip = await plant(desk, ENGLISH_TIPSTER, language="en")
        await card(desk, tip)
        for question in ("What colour was the car?", "Did you see the plate?"):
            await desk.say(OFFICER_RG, f"/ask {tip.code} {question}")
        await deliver(desk)
        await desk.send(desk.updates.photo(ENGLISH_TIPSTER))
        assert "reply to that question" in last_shown(desk, ENGLISH_TIPSTER.id)
        await desk.send(desk.updates.sticker(ENGLISH_TIPSTER))
        assert last_shown(desk, ENGLISH_TIPSTER.id).startswith("I cannot handle this kind")
    finally:
        await desk.stop()


async def test_a_held_item_survives_a_restart(database_path: Path, resident: Person) -> None:
    settings = tips_settings(database_path)
    first = BotHarness(settings)
    await first.start()
    try:
        await first.send(first.updates.photo(resident))
    finally:
        await first.stop()
    async with BotHarness(settings, api=first.api) as second:
        await second.press(resident, "✅ Có, gửi tin báo")
        record = await second.app.services.tips.load_draft(resident.id)
        assert record is not None
        assert [item.kind for item in record.draft.evidence] == ["photo"]
        await second.press(resident, CATEGORY_LABELS["vi"]["drugs"])
        assert "Bước 2/6" in last_shown(second, resident.id)
