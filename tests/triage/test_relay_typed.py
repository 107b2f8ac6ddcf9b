"""A tipster answers the way Telegram taught them: by typing, or by replying to the question."""

from __future__ import annotations

from pathlib import Path

from bot.testing.botapi import SentMessage
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.model import Tip
from bot.triage.handlers.answer import pick_data
from tests.officers.conftest import OFFICER_RG, RESIDENT
from tests.tips.test_evidence import assert_no_gps_or_owner, jpeg_with_gps

from .conftest import (
    ENGLISH_TIPSTER,
    OFFICERS,
    STALE,
    TIPSTER,
    alert,
    card,
    deliver,
    open_desk,
    plant,
    press,
    press_data,
)
from .test_relay import leaks

ANSWER = "Xe máy Wave màu đỏ, biển số không rõ."
NOT_UNDERSTOOD = "Tôi chưa hiểu tin nhắn này."
REPLY = "✍️ Trả lời"


async def _ask(desk: BotHarness, tip: Tip, question: str, tipster: Person = TIPSTER) -> SentMessage:
    await desk.say(OFFICER_RG, f"/ask {tip.code} {question}")
    await deliver(desk)
    return desk.api.last_message(tipster.id)


async def _answers(desk: BotHarness) -> list[tuple[int, str]]:
    rows = await desk.app.services.db.fetch_all(
        "SELECT reply_to, body FROM tip_messages WHERE direction = 'from_tipster' ORDER BY id"
    )
    return [(int(row["reply_to"]), str(row["body"])) for row in rows]


async def _question_ids(desk: BotHarness) -> list[int]:
    rows = await desk.app.services.db.fetch_all(
        "SELECT id FROM tip_messages WHERE direction = 'to_tipster' ORDER BY id"
    )
    return [int(row["id"]) for row in rows]


async def test_a_typed_message_answers_the_one_open_question(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    await _ask(desk, tip, "Người bán thường đi xe gì?")
    start = len(desk.api.calls)
    await desk.say(TIPSTER, ANSWER)
    thanks = desk.api.last_message(TIPSTER.id)
    assert thanks.protect_content
    assert f"Đã chuyển câu trả lời về tin báo {tip.code}" in thanks.plain_text
    await deliver(desk)
    posted = desk.api.last_message(OFFICERS)
    assert posted.raw["reply_to_message"]["message_id"] == shown.message_id
    assert ANSWER in posted.plain_text
    assert "Người bán thường đi xe gì?" in posted.plain_text
    assert leaks(desk.api.calls[start:], TIPSTER) == []
    # Answered: the next typed message is not an answer any more.
    await desk.say(TIPSTER, "xin chào")
    assert desk.api.last_message(TIPSTER.id).plain_text.startswith(NOT_UNDERSTOOD)
    assert len(await _answers(desk)) == 1


async def test_a_telegram_reply_answers_the_question_it_quotes(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    first = await _ask(desk, tip, "Người bán thường đi xe gì?")
    second = await _ask(desk, tip, "Mấy giờ thì họ đến?")
    await desk.send(desk.updates.text(TIPSTER, "Khoảng 21 giờ.", reply_to=second.message_id))
    await desk.send(desk.updates.text(TIPSTER, ANSWER, reply_to=first.message_id))
    ids = await _question_ids(desk)
    assert await _answers(desk) == [(ids[1], "Khoảng 21 giờ."), (ids[0], ANSWER)]
    await deliver(desk)
    assert "Mấy giờ thì họ đến?" in desk.api.sent_messages(OFFICERS)[-2].plain_text
    assert ANSWER in desk.api.last_message(OFFICERS).plain_text


async def test_several_open_questions_are_offered_as_buttons_in_english(
    desk: BotHarness,
) -> None:
    await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
    tip = await plant(desk, ENGLISH_TIPSTER, language="en")
    await card(desk, tip)
    await _ask(desk, tip, "What colour was the motorbike?", ENGLISH_TIPSTER)
    await _ask(desk, tip, "At what time do they come?", ENGLISH_TIPSTER)
    await desk.say(ENGLISH_TIPSTER, "Around 9 pm.")
    which = desk.api.last_message(ENGLISH_TIPSTER.id)
    assert which.plain_text.startswith("You have 2 unanswered questions from the police.")
    assert which.buttons() == [
        [f"{tip.code}: What colour was the motorbike?"],
        [f"{tip.code}: At what time do they come?"],
    ]
    # Nothing is relayed before the pick, and the held text is sealed.
    assert await _answers(desk) == []
    held = await desk.app.services.db.fetch_value("SELECT body_sealed FROM tip_held_answers")
    assert "Around 9 pm" not in str(held)
    await press(desk, ENGLISH_TIPSTER, which, f"{tip.code}: At what time do they come?")
    assert "Your answer about tip" in desk.api.last_message(ENGLISH_TIPSTER.id).plain_text
    assert desk.api.message(ENGLISH_TIPSTER.id, which.message_id).buttons() == []
    ids = await _question_ids(desk)
    assert await _answers(desk) == [(ids[1], "Around 9 pm.")]
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_held_answers") == 0
    # The one question left takes the next typed message.
    await desk.say(ENGLISH_TIPSTER, "Red.")
    assert (await _answers(desk))[-1] == (ids[0], "Red.")


async def test_a_pick_pressed_twice_forged_or_by_another_is_refused(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    await _ask(desk, tip, "Người bán thường đi xe gì?")
    await _ask(desk, tip, "Mấy giờ thì họ đến?")
    await desk.say(TIPSTER, ANSWER)
    which = desk.api.last_message(TIPSTER.id)
    assert which.plain_text.startswith("Bạn đang có 2 câu hỏi")
    data = which.button_data(which.buttons()[0][0])
    for forged in (data[:-1] + ("A" if data[-1] != "A" else "B"), "tk:1:x", "tk:"):
        assert (await press_data(desk, TIPSTER, which, forged))["text"] == STALE
    # A genuine pick of a question of someone else's tip, or by someone else: nothing held.
    other = await plant(desk, RESIDENT)
    await card(desk, other)
    await _ask(desk, other, "Ai khác?", RESIDENT)
    foreign = (await _question_ids(desk))[-1]
    answer = await press_data(desk, TIPSTER, which, pick_data(desk.app.services.keyring, foreign))
    assert answer["show_alert"] is True
    assert await _answers(desk) == []
    answer = await press_data(desk, RESIDENT, which, data)
    assert answer["text"].startswith("Câu trả lời này không còn được giữ")
    await press(desk, TIPSTER, which, which.buttons()[0][0])
    assert len(await _answers(desk)) == 1
    await press_data(desk, TIPSTER, which, data)
    assert alert(desk).startswith("Câu trả lời này không còn được giữ")
    assert len(await _answers(desk)) == 1


async def test_bad_answers_outside_the_conversation(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    question = await _ask(desk, tip, "Người bán thường đi xe gì?")
    # A sticker as a Telegram reply to the question: asked for text, nothing relayed.
    await desk.send(desk.updates.sticker(TIPSTER, reply_to=question.message_id))
    assert desk.api.last_message(TIPSTER.id).plain_text.startswith("Hãy nhập câu trả lời bằng chữ")
    # A sticker that quotes nothing: the usual fallback.
    await desk.send(desk.updates.sticker(TIPSTER))
    assert desk.api.last_message(TIPSTER.id).plain_text.startswith("Tôi chưa xử lý được")
    # 10,000 characters: refused with the limit, nothing relayed, the question still open.
    await desk.say(TIPSTER, "z" * 10_000)
    assert "tối đa 3000 ký tự" in desk.api.last_message(TIPSTER.id).plain_text
    assert await _answers(desk) == []
    # A reply to a message that is no question (the bot's own refusal): the open one takes it.
    refusal = desk.api.last_message(TIPSTER.id)
    await desk.send(desk.updates.text(TIPSTER, ANSWER, reply_to=refusal.message_id))
    assert await _answers(desk) == [((await _question_ids(desk))[0], ANSWER)]


async def test_without_a_question_typing_is_not_understood(desk: BotHarness) -> None:
    await desk.say(RESIDENT, "xin chào")
    assert desk.api.last_message(RESIDENT.id).plain_text.startswith(NOT_UNDERSTOOD)
    # Another resident's question is not theirs to answer.
    tip = await plant(desk)
    await card(desk, tip)
    await _ask(desk, tip, "Người bán thường đi xe gì?")
    await desk.say(RESIDENT, ANSWER)
    assert desk.api.last_message(RESIDENT.id).plain_text.startswith(NOT_UNDERSTOOD)
    # A closed tip's question is not open any more.
    async with desk.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed'")
    await desk.say(TIPSTER, ANSWER)
    assert desk.api.last_message(TIPSTER.id).plain_text.startswith(NOT_UNDERSTOOD)
    assert await _answers(desk) == []


async def test_a_photo_answers_cleaned_and_joins_the_tips_files(database_path: Path) -> None:
    desk = await open_desk(database_path, evidence_download=True)
    try:
        tip = await plant(desk)
        shown = await card(desk, tip)
        question = await _ask(desk, tip, "Anh chị có ảnh chiếc xe không?")
        await press(desk, TIPSTER, question, REPLY)
        start = len(desk.api.calls)
        photo = desk.updates.photo(TIPSTER, caption="Xe đậu trước cổng", content=jpeg_with_gps())
        await desk.send(photo)
        assert "Đã chuyển câu trả lời" in desk.api.last_message(TIPSTER.id).plain_text
        await deliver(desk)
        answer, sent = desk.api.sent_messages(OFFICERS)[-2:]
        assert answer.raw["reply_to_message"]["message_id"] == shown.message_id
        assert "Xe đậu trước cổng" in answer.plain_text
        assert sent.raw["reply_to_message"]["message_id"] == answer.message_id
        assert_no_gps_or_owner(desk.api.file_content(sent.raw["photo"][-1]["file_id"]))
        assert leaks(desk.api.calls[start:], TIPSTER) == []
        files = await desk.app.services.tips.evidence_of(tip.id)
        assert [(item.position, item.kind) for item in files] == [(1, "photo")]
    finally:
        await desk.stop()


async def test_a_voice_note_replying_to_a_question_answers_it_in_english(
    desk: BotHarness,
) -> None:
    await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
    tip = await plant(desk, ENGLISH_TIPSTER, language="en")
    await card(desk, tip)
    question = await _ask(desk, tip, "Can you describe the man?", ENGLISH_TIPSTER)
    voice = desk.updates.voice(ENGLISH_TIPSTER, reply_to=question.message_id)
    await desk.send(voice)
    assert "Your answer about tip" in desk.api.last_message(ENGLISH_TIPSTER.id).plain_text
    await deliver(desk)
    assert "voice" in desk.api.last_message(OFFICERS).raw
    rows = await desk.app.services.db.fetch_all(
        "SELECT body, evidence_id FROM tip_messages WHERE direction = 'from_tipster'"
    )
    assert [(row["body"], row["evidence_id"] is not None) for row in rows] == [("", True)]
    # A sticker while pressing Reply is still refused, in English.
    await press(desk, ENGLISH_TIPSTER, question, "✍️ Reply")
    await desk.send(desk.updates.sticker(ENGLISH_TIPSTER))
    assert desk.api.last_message(ENGLISH_TIPSTER.id).plain_text.startswith(
        "Please type your answer as text"
    )
