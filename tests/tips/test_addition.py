"""A tipster adds information to their own open tip from `/status CODE`, and nobody else can."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.kernel.i18n import translator
from bot.testing.botapi import SentMessage
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.model import Tip
from bot.tips.render import addition_keyboard
from tests.officers.conftest import OFFICER_RG, RESIDENT
from tests.tips.test_evidence import assert_no_gps_or_owner, jpeg_with_gps
from tests.triage.conftest import ENGLISH_TIPSTER, STALE, TIPSTER, card, open_desk, plant
from tests.triage.test_relay import leaks

from .flow import OFFICERS, deliver, last_shown

ADD_VI = "➕ Bổ sung thông tin"
ADD_EN = "➕ Add information"
ADDITION = "Người bán thường đứng cạnh tiệm tạp hóa, mặc áo xanh."


@pytest.fixture
async def desk(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot with units, staff and an officers' chat."""
    harness = await open_desk(database_path)
    yield harness
    await harness.stop()


async def status_of(desk: BotHarness, person: Person, tip: Tip) -> SentMessage:
    await desk.say(person, f"/status {tip.code}")
    return desk.api.last_message(person.id)


async def additions(desk: BotHarness) -> list[tuple[int | None, str]]:
    rows = await desk.app.services.db.fetch_all(
        "SELECT reply_to, body FROM tip_messages WHERE direction = 'from_tipster' ORDER BY id"
    )
    return [(row["reply_to"], str(row["body"])) for row in rows]


def last_alert(desk: BotHarness) -> str:
    return str(desk.api.calls_for("answerCallbackQuery")[-1].params.get("text") or "")


async def test_the_tipster_adds_text_that_reaches_the_card_anonymously(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    status = await status_of(desk, TIPSTER, tip)
    assert status.buttons() == [[ADD_VI]]
    start = len(desk.api.calls)
    await desk.press(TIPSTER, ADD_VI)
    assert "Bổ sung thông tin cho tin báo" in last_shown(desk, TIPSTER.id)
    await desk.say(TIPSTER, ADDITION)
    receipt = desk.api.last_message(TIPSTER.id)
    assert receipt.plain_text.startswith("✅ Đã chuyển thông tin bổ sung cho tin báo")
    assert tip.code in receipt.plain_text
    # Committed before the receipt: the message, its outbox row and the history event.
    assert await additions(desk) == [(None, ADDITION)]
    events = await desk.app.services.db.fetch_all(
        "SELECT actor_kind, actor_ref, event FROM tip_events WHERE tip_id = ? ORDER BY id",
        (tip.id,),
    )
    assert [tuple(row) for row in events][-1] == ("resident", None, "added")
    await deliver(desk)
    posted = desk.api.last_message(OFFICERS)
    assert posted.plain_text.startswith("➕ Người báo tin bổ sung thông tin")
    assert ADDITION in posted.plain_text
    assert posted.raw["reply_to_message"]["message_id"] == shown.message_id
    assert leaks(desk.api.calls[start:], TIPSTER) == []
    # The officers' full view lists it as an addition, and its history line reads as one.
    await desk.say(OFFICER_RG, f"/tip {tip.code}")
    view = "\n".join(m.plain_text for m in desk.api.sent_messages(OFFICER_RG.id)[-4:])
    assert "Người báo tin bổ sung: " + ADDITION in view
    assert "người báo tin bổ sung thông tin" in view


async def test_a_photo_is_added_cleaned_and_joins_the_tips_files(database_path: Path) -> None:
    desk = await open_desk(database_path, evidence_download=True)
    try:
        tip = await plant(desk)
        await card(desk, tip)
        await status_of(desk, TIPSTER, tip)
        await desk.press(TIPSTER, ADD_VI)
        await desk.send(
            desk.updates.photo(TIPSTER, caption="Tiệm tạp hóa", content=jpeg_with_gps())
        )
        assert "Đã chuyển thông tin bổ sung" in last_shown(desk, TIPSTER.id)
        await deliver(desk)
        addition, sent = desk.api.sent_messages(OFFICERS)[-2:]
        assert "Tiệm tạp hóa" in addition.plain_text
        assert sent.raw["reply_to_message"]["message_id"] == addition.message_id
        assert_no_gps_or_owner(desk.api.file_content(sent.raw["photo"][-1]["file_id"]))
        files = await desk.app.services.tips.evidence_of(tip.id)
        assert [(item.position, item.kind) for item in files] == [(1, "photo")]
    finally:
        await desk.stop()


async def test_nobody_else_gets_the_button_and_forged_presses_are_refused(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    # Someone else with the code sees the timeline only.
    assert (await status_of(desk, RESIDENT, tip)).buttons() == []
    genuine = (await status_of(desk, TIPSTER, tip)).button_data(ADD_VI)
    message = desk.api.last_message(TIPSTER.id)
    # The genuine button pressed by someone else, or for another tip, or tampered with.
    await desk.send(desk.updates.callback(RESIDENT, message, genuine))
    assert last_alert(desk) == STALE
    other = await plant(desk, RESIDENT)
    for data in (
        addition_keyboard_data(desk, other),
        genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
        f"tb:{tip.id}",
        "tb:x:y",
    ):
        await desk.send(desk.updates.callback(TIPSTER, message, data))
        assert last_alert(desk) == STALE, data
    assert await additions(desk) == []
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_addition_waits") == 0
    # The tipster's own press from another chat than the tip's (a group) starts nothing:
    # the chat is checked against the sealed one, as the handler passes it.
    additions_service = desk.app.services.triage.additions
    assert await additions_service.begin(TIPSTER.id, OFFICERS, tip.id) is None
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_addition_waits") == 0


def addition_keyboard_data(desk: BotHarness, tip: Tip) -> str:
    markup = addition_keyboard(translator("vi"), desk.app.services.keyring, tip.id)
    data = markup.inline_keyboard[0][0].callback_data
    assert isinstance(data, str)
    return data


async def test_a_closed_tip_takes_no_addition(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    old = await status_of(desk, TIPSTER, tip)
    data = old.button_data(ADD_VI)
    async with desk.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed' WHERE id = ?", (tip.id,))
    assert (await status_of(desk, TIPSTER, tip)).buttons() == []
    await desk.send(desk.updates.callback(TIPSTER, old, data))
    assert last_alert(desk) == f"Tin báo {tip.code} đã kết thúc, không thể bổ sung thông tin nữa."
    # Closed while the tipster was typing: nothing relayed, and they are told.
    async with desk.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'taken' WHERE id = ?", (tip.id,))
    await desk.send(desk.updates.callback(TIPSTER, old, data))
    async with desk.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed' WHERE id = ?", (tip.id,))
    await desk.say(TIPSTER, ADDITION)
    assert "đã kết thúc" in last_shown(desk, TIPSTER.id)
    assert await additions(desk) == []
    # The conversation is over: the next text is the usual fallback, not an addition.
    await desk.say(TIPSTER, ADDITION)
    assert last_shown(desk, TIPSTER.id).startswith("Tôi chưa hiểu")


async def test_bad_input_while_adding_is_answered_and_nothing_is_lost(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    await status_of(desk, TIPSTER, tip)
    await desk.press(TIPSTER, ADD_VI)
    await desk.send(desk.updates.sticker(TIPSTER))
    assert last_shown(desk, TIPSTER.id).startswith("Hãy gửi thông tin bổ sung bằng chữ")
    await desk.send(desk.updates.location(TIPSTER, 10.0, 105.0))
    assert last_shown(desk, TIPSTER.id).startswith("Hãy gửi thông tin bổ sung bằng chữ")
    await desk.say(TIPSTER, "z" * 10_000)
    assert "tối đa 3000 ký tự" in last_shown(desk, TIPSTER.id)
    assert await additions(desk) == []
    # Still waiting: the next good text goes.
    await desk.say(TIPSTER, ADDITION)
    assert await additions(desk) == [(None, ADDITION)]
    # /cancel after pressing again: nothing sent.
    await desk.press(TIPSTER, ADD_VI)
    await desk.say(TIPSTER, "/cancel")
    assert last_shown(desk, TIPSTER.id) == "Đã hủy, không có thông tin nào được gửi."
    await desk.say(TIPSTER, "thêm nữa")
    assert await additions(desk) == [(None, ADDITION)]


async def test_an_addition_after_the_wait_is_not_taken(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    await status_of(desk, TIPSTER, tip)
    await desk.press(TIPSTER, ADD_VI)
    desk.clock.advance(timedelta(minutes=31))
    await desk.say(TIPSTER, ADDITION)
    assert last_shown(desk, TIPSTER.id).startswith("Đã quá lâu kể từ khi bạn bấm")
    assert await additions(desk) == []


async def test_one_thing_at_a_time_a_draft_or_an_answer_first(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    status = await status_of(desk, TIPSTER, tip)
    await desk.say(TIPSTER, "/tip")
    await desk.send(desk.updates.callback(TIPSTER, status, status.button_data(ADD_VI)))
    assert last_alert(desk).startswith("Bạn đang soạn một tin báo.")
    await desk.say(TIPSTER, "/cancel")
    await desk.say(OFFICER_RG, f"/ask {tip.code} Người bán đi xe gì?")
    await deliver(desk)
    await desk.press(TIPSTER, "✍️ Trả lời")
    await desk.send(desk.updates.callback(TIPSTER, status, status.button_data(ADD_VI)))
    assert last_alert(desk).startswith("Bạn đang trả lời câu hỏi của cán bộ.")
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_addition_waits") == 0


async def test_the_addition_flow_in_english(desk: BotHarness) -> None:
    await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
    tip = await plant(desk, ENGLISH_TIPSTER, language="en")
    await card(desk, tip)
    assert (await status_of(desk, ENGLISH_TIPSTER, tip)).buttons() == [[ADD_EN]]
    await desk.press(ENGLISH_TIPSTER, ADD_EN)
    assert "Add information to tip" in last_shown(desk, ENGLISH_TIPSTER.id)
    await desk.send(desk.updates.sticker(ENGLISH_TIPSTER))
    assert last_shown(desk, ENGLISH_TIPSTER.id).startswith("Please send the information")
    await desk.send(desk.updates.voice(ENGLISH_TIPSTER))
    assert "Your additional information on tip" in last_shown(desk, ENGLISH_TIPSTER.id)
    await deliver(desk)
    assert "voice" in desk.api.last_message(OFFICERS).raw
    assert await additions(desk) == [(None, "")]
    await desk.press(ENGLISH_TIPSTER, ADD_EN)
    await desk.say(ENGLISH_TIPSTER, "/cancel")
    assert last_shown(desk, ENGLISH_TIPSTER.id) == "Cancelled; nothing was sent."
    async with desk.app.services.db.transaction() as conn:
        await conn.execute("UPDATE tips SET status = 'closed' WHERE id = ?", (tip.id,))
    status = await status_of(desk, ENGLISH_TIPSTER, tip)
    assert status.buttons() == []
    old = desk.api.sent_messages(ENGLISH_TIPSTER.id)
    pressed = next(m for m in reversed(old) if m.buttons() == [[ADD_EN]])
    await desk.send(desk.updates.callback(ENGLISH_TIPSTER, pressed, pressed.button_data(ADD_EN)))
    assert last_alert(desk) == f"Tip {tip.code} is closed; no more information can be added."
    desk.clock.advance(timedelta(minutes=31))
    await desk.say(ENGLISH_TIPSTER, "/status")
    assert "/status" in last_shown(desk, ENGLISH_TIPSTER.id)


async def test_a_pending_addition_survives_a_restart(database_path: Path) -> None:
    desk = await open_desk(database_path)
    try:
        tip = await plant(desk)
        await card(desk, tip)
        await status_of(desk, TIPSTER, tip)
        await desk.press(TIPSTER, ADD_VI)
    finally:
        await desk.stop()
    again = BotHarness(desk.settings, api=desk.api)
    await again.start()
    try:
        await again.say(TIPSTER, ADDITION)
        assert "Đã chuyển thông tin bổ sung" in last_shown(again, TIPSTER.id)
        await deliver(again)
        assert ADDITION in again.api.last_message(OFFICERS).plain_text
    finally:
        await again.stop()


async def test_pressing_reply_to_a_question_ends_a_pending_addition(desk: BotHarness) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    await status_of(desk, TIPSTER, tip)
    await desk.press(TIPSTER, ADD_VI)
    await desk.say(OFFICER_RG, f"/ask {tip.code} Người bán đi xe gì?")
    await deliver(desk)
    await desk.press(TIPSTER, "✍️ Trả lời")
    await desk.say(TIPSTER, "Xe Wave đỏ")
    assert "Đã chuyển câu trả lời" in last_shown(desk, TIPSTER.id)
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_addition_waits") == 0
    rows = await additions(desk)
    assert len(rows) == 1
    assert rows[0][0] is not None
