"""Anonymous two-way messages: questions to the tipster, answers under the card, notices."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta
from pathlib import Path

from bot.testing.botapi import ApiCall, SentMessage
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.officers.conftest import DB_ADMIN, OFFICER_RG, RESIDENT

from .conftest import (
    ENGLISH_TIPSTER,
    OFFICERS,
    STALE,
    TIPSTER,
    alert,
    card,
    deliver,
    events,
    open_desk,
    plant,
    press,
    press_data,
)

QUESTION = "Người bán thường đi xe gì?"
ANSWER = "Xe máy Wave màu đỏ, biển số không rõ."
REPLY = "✍️ Trả lời"


def _needles(person: Person) -> list[str]:
    phone = person.phone or ""
    texts = [str(person.id), person.first_name, person.last_name or "", person.username or ""]
    texts += [phone, phone.lstrip("+"), phone.removeprefix("+84")]
    found = []
    for text in filter(None, texts):
        for form in ("NFC", "NFD"):
            found.append(unicodedata.normalize(form, text))
    return found


def leaks(calls: list[ApiCall], person: Person) -> list[str]:
    """Return identity values of `person` found in calls to any chat but their own."""
    found = []
    for call in calls:
        if call.chat_id == person.id:
            continue
        dumped = json.dumps(call.params, ensure_ascii=False) + json.dumps(
            call.result, ensure_ascii=False
        )
        found += [f"{call.method}: {needle}" for needle in _needles(person) if needle in dumped]
    return found


async def _outbox(harness: BotHarness, kind: str) -> list[dict[str, object]]:
    rows = await harness.app.services.db.fetch_all(
        "SELECT attempts, delivered_at, undeliverable_at, last_error FROM outbox WHERE kind = ?",
        (kind,),
    )
    return [dict(row) for row in rows]


async def _question_delivered(desk: BotHarness) -> SentMessage:
    """Plant a tip, post its card, and return the officer's question as its tipster got it."""
    tip = await plant(desk)
    await card(desk, tip)
    await desk.say(OFFICER_RG, f"/ask {tip.code} {QUESTION}")
    await deliver(desk)
    return desk.api.last_message(TIPSTER.id)


async def test_a_question_and_its_answer_cross_without_either_identity(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    start = len(desk.api.calls)
    await desk.say(OFFICER_RG, f"/ask {tip.code} {QUESTION}")
    assert "Đang gửi câu hỏi đến người báo tin" in desk.api.last_message(OFFICER_RG.id).plain_text
    await deliver(desk)
    question = desk.api.last_message(TIPSTER.id)
    assert question.protect_content
    assert QUESTION in question.plain_text
    assert f"Cơ quan Công an hỏi thêm về tin báo {tip.code}" in question.plain_text
    assert "Minh" not in question.plain_text
    assert str(OFFICER_RG.id) not in json.dumps(question.raw)
    assert question.buttons() == [[REPLY]]

    await press(desk, TIPSTER, question, REPLY)
    prompt = desk.api.last_message(TIPSTER.id)
    assert prompt.protect_content
    assert "Nhập câu trả lời về tin báo" in prompt.plain_text
    await desk.say(TIPSTER, ANSWER)
    thanks = desk.api.last_message(TIPSTER.id)
    assert thanks.protect_content
    assert "Đã chuyển câu trả lời" in thanks.plain_text
    await deliver(desk)
    posted = desk.api.last_message(OFFICERS)
    assert posted.raw["reply_to_message"]["message_id"] == shown.message_id
    assert posted.plain_text == (
        f"💬 Người báo tin trả lời (tin báo {tip.code})\n↪️ Câu hỏi: {QUESTION}\n{ANSWER}"
    )
    states = await desk.app.services.db.fetch_all(
        "SELECT direction, state FROM tip_messages WHERE tip_id = ? ORDER BY id", (tip.id,)
    )
    assert [(row[0], row[1]) for row in states] == [
        ("to_tipster", "delivered"),
        ("from_tipster", "delivered"),
    ]
    assert [row["event"] for row in await events(desk, tip)][-2:] == ["asked", "replied"]
    replied = (await events(desk, tip))[-1]
    assert (replied["actor_kind"], replied["actor_ref"]) == ("resident", None)
    # Every message to officers during the relay, scanned: no identity of the tipster at all.
    assert leaks(desk.api.calls[start:], TIPSTER) == []
    # And the officer's Telegram identity never reached the tipster.
    to_tipster = [call for call in desk.api.calls[start:] if call.chat_id == TIPSTER.id]
    assert to_tipster
    assert all(str(OFFICER_RG.id) not in json.dumps(call.params) for call in to_tipster)
    assert all("Minh" not in json.dumps(call.params, ensure_ascii=False) for call in to_tipster)


async def test_the_cards_ask_button_takes_the_question_in_private(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    start = len(desk.api.calls)
    await press(desk, OFFICER_RG, shown, "❓ Hỏi người báo tin")
    assert alert(desk) == "Nhập câu hỏi trong trò chuyện riêng với bot."
    assert (
        f"Nhập câu hỏi cho người báo tin {tip.code}"
        in desk.api.last_message(OFFICER_RG.id).plain_text
    )
    await desk.send(desk.updates.sticker(OFFICER_RG))
    assert desk.api.last_message(OFFICER_RG.id).plain_text == (
        "Hãy nhập câu hỏi bằng chữ (hoặc /cancel để thôi)."
    )
    await desk.say(OFFICER_RG, "y" * 1200)
    assert "tối đa 1000 ký tự" in desk.api.last_message(OFFICER_RG.id).plain_text
    await desk.say(OFFICER_RG, QUESTION)
    assert "Đang gửi câu hỏi" in desk.api.last_message(OFFICER_RG.id).plain_text
    await deliver(desk)
    assert QUESTION in desk.api.last_message(TIPSTER.id).plain_text
    # Pressed again, then cancelled: nothing is sent.
    await press(desk, OFFICER_RG, shown, "❓ Hỏi người báo tin")
    await desk.say(OFFICER_RG, "/cancel")
    assert desk.api.last_message(OFFICER_RG.id).plain_text == "Đã thôi gửi câu hỏi."
    count = await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_messages")
    assert count == 1
    assert leaks(desk.api.calls[start:], TIPSTER) == []
    # An officer the bot cannot write to privately is told how to start.
    desk.api.block(OFFICER_RG.id)
    answer = await press_data(desk, OFFICER_RG, shown, shown.button_data("❓ Hỏi người báo tin"))
    assert answer["show_alert"] is True
    assert "Hãy mở trò chuyện riêng với bot" in answer["text"]


async def test_a_tipster_who_blocked_the_bot_is_given_up_and_the_officer_told(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    desk.api.block(TIPSTER.id)
    await desk.say(OFFICER_RG, f"/ask {tip.code} {QUESTION}")
    await deliver(desk)
    told = desk.api.last_message(OFFICER_RG.id).plain_text
    assert told == (
        f"⚠️ Không gửi được câu hỏi về tin báo {tip.code}: người báo tin đã chặn bot hoặc "
        "không còn liên lạc được."
    )
    [row] = await _outbox(desk, "relay_question")
    assert row["undeliverable_at"] is not None
    assert row["delivered_at"] is None
    assert "blocked" in str(row["last_error"])
    attempts = len(desk.api.calls_to(TIPSTER.id))
    # Later runs never retry it, and the pending count does not count it.
    desk.app.services.clock.advance(timedelta(hours=1))
    await deliver(desk)
    assert len(desk.api.calls_to(TIPSTER.id)) == attempts
    assert await desk.app.services.tips.outbox.pending_count() == 0
    state = await desk.app.services.db.fetch_value(
        "SELECT state FROM tip_messages WHERE tip_id = ?", (tip.id,)
    )
    assert state == "undeliverable"
    assert (await events(desk, tip))[-1]["event"] == "undeliverable"
    # A status notice to the blocked tipster is given up the same way, silently.
    await desk.say(OFFICER_RG, f"/assign {tip.code} {OFFICER_RG.id}")
    await deliver(desk)
    [notice] = await _outbox(desk, "status_notice")
    assert notice["undeliverable_at"] is not None
    # The full view says the question did not go through.
    await desk.say(OFFICER_RG, f"/tip {tip.code}")
    history = desk.api.sent_messages(OFFICER_RG.id)[-1].plain_text
    assert "(⚠️ không gửi được)" in history
    assert leaks(desk.api.calls, TIPSTER) == []


async def test_only_the_tipster_can_answer_their_question(desk: BotHarness) -> None:
    question = await _question_delivered(desk)
    data = question.button_data(REPLY)
    for person in (RESIDENT, OFFICER_RG):
        answer = await press_data(desk, person, question, data)
        assert answer["text"] == STALE
    for forged in (
        data[:-1] + ("A" if data[-1] != "A" else "B"),
        "tp:1:x",
        "tp:",
        "tp:99999:abcdefghij",
    ):
        assert (await press_data(desk, TIPSTER, question, forged))["text"] == STALE
    assert await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_reply_waits") == 0


async def test_a_tipsters_answer_must_be_text_in_time_and_not_too_long(desk: BotHarness) -> None:
    question = await _question_delivered(desk)
    await press(desk, TIPSTER, question, REPLY)
    await desk.send(desk.updates.sticker(TIPSTER))
    assert desk.api.last_message(TIPSTER.id).plain_text == (
        "Hãy nhập câu trả lời bằng chữ (hoặc /cancel để thôi)."
    )
    await desk.say(TIPSTER, "z" * 3001)
    assert "tối đa 3000 ký tự" in desk.api.last_message(TIPSTER.id).plain_text
    await desk.say(TIPSTER, "/cancel")
    assert desk.api.last_message(TIPSTER.id).plain_text == "Đã thôi trả lời."
    # Pressed, then answered after the time to answer ran out: the question still open takes
    # the text as if simply typed (tests/triage/test_relay_typed.py).
    await press(desk, TIPSTER, question, REPLY)
    desk.app.services.clock.advance(timedelta(minutes=31))
    await desk.say(TIPSTER, ANSWER)
    assert "Đã chuyển câu trả lời" in desk.api.last_message(TIPSTER.id).plain_text
    # Pressed again on the answered question, too late: nothing open, so told to press again.
    await press(desk, TIPSTER, question, REPLY)
    desk.app.services.clock.advance(timedelta(minutes=31))
    await desk.say(TIPSTER, ANSWER)
    assert desk.api.last_message(TIPSTER.id).plain_text == (
        "Đã quá thời gian trả lời. Hãy bấm «✍️ Trả lời» dưới câu hỏi một lần nữa."
    )
    assert (
        await desk.app.services.db.fetch_value(
            "SELECT count(*) FROM tip_messages WHERE direction = 'from_tipster'"
        )
        == 1
    )


async def test_a_tipster_writing_a_new_tip_finishes_it_before_answering(
    desk: BotHarness,
) -> None:
    question = await _question_delivered(desk)
    await desk.say(TIPSTER, "/tip")
    answer = await press_data(desk, TIPSTER, question, question.button_data(REPLY))
    assert answer["show_alert"] is True
    assert answer["text"].startswith("Bạn đang viết một tin báo")
    await desk.say(TIPSTER, "/cancel")
    await press(desk, TIPSTER, question, REPLY)
    await desk.say(TIPSTER, ANSWER)
    assert "Đã chuyển câu trả lời" in desk.api.last_message(TIPSTER.id).plain_text


async def test_an_answer_survives_a_restart(database_path: Path) -> None:
    desk = await open_desk(database_path)
    try:
        await press(desk, TIPSTER, await _question_delivered(desk), REPLY)
    finally:
        await desk.stop()
    again = BotHarness(desk.settings, api=desk.api)
    await again.start()
    try:
        await again.say(TIPSTER, ANSWER)
        assert "Đã chuyển câu trả lời" in again.api.last_message(TIPSTER.id).plain_text
        await deliver(again)
        assert ANSWER in again.api.last_message(OFFICERS).plain_text
    finally:
        await again.stop()


async def test_the_officers_name_is_shown_only_when_configured(database_path: Path) -> None:
    desk = await open_desk(database_path, relay_show_officer_name=True)
    try:
        await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
        tip = await plant(desk, ENGLISH_TIPSTER, language="en")
        await card(desk, tip)
        await desk.say(OFFICER_RG, f"/ask {tip.code} What colour was the motorbike?")
        await deliver(desk)
        question = desk.api.last_message(ENGLISH_TIPSTER.id)
        assert f"Officer Lê Minh asks about your tip {tip.code}" in question.plain_text
        assert question.buttons() == [["✍️ Reply"]]
        assert str(OFFICER_RG.id) not in json.dumps(question.raw)
    finally:
        await desk.stop()


async def test_status_notices_follow_notify_statuses_in_the_tipsters_language(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path, notify_statuses="verifying,closed")
    try:
        await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
        tip = await plant(desk, ENGLISH_TIPSTER, language="en")
        shown = await card(desk, tip)
        await press(desk, DB_ADMIN, shown, "🙋 Nhận xử lý")
        await deliver(desk)
        assert desk.api.sent_messages(ENGLISH_TIPSTER.id) == []
        await press(desk, DB_ADMIN, shown, "🔎 Xác minh")
        await deliver(desk)
        notice = desk.api.last_message(ENGLISH_TIPSTER.id)
        assert notice.plain_text.startswith(f"ℹ️ Your tip {tip.code}: Being verified")
        assert notice.protect_content
        # Spam is never announced unless configured; residents' wording hides it anyway.
        other = await plant(desk)
        other_card = await card(desk, other)
        await press(desk, DB_ADMIN, other_card, "🚫 Tin rác")
        await deliver(desk)
        assert desk.api.sent_messages(TIPSTER.id) == []
    finally:
        await desk.stop()


async def test_pressing_ask_on_another_card_switches_the_question_to_that_tip(
    desk: BotHarness,
) -> None:
    first = await plant(desk)
    second = await plant(desk, ENGLISH_TIPSTER, language="en")
    first_card = await card(desk, first)
    second_card = await card(desk, second)
    await press(desk, OFFICER_RG, first_card, "❓ Hỏi người báo tin")
    await press(desk, OFFICER_RG, second_card, "❓ Hỏi người báo tin")
    assert f"người báo tin {second.code}" in desk.api.last_message(OFFICER_RG.id).plain_text
    await desk.say(OFFICER_RG, "What time did it happen?")
    await deliver(desk)
    assert desk.api.sent_messages(TIPSTER.id) == []
    assert "What time did it happen?" in desk.api.last_message(ENGLISH_TIPSTER.id).plain_text


async def test_an_answer_the_officers_chat_refuses_waits_and_is_retried(
    desk: BotHarness,
) -> None:
    await press(desk, TIPSTER, await _question_delivered(desk), REPLY)
    desk.api.fail_next("sendMessage", error="403", chat_id=OFFICERS)
    await desk.say(TIPSTER, ANSWER)
    await deliver(desk)
    [row] = await _outbox(desk, "relay_reply")
    assert (row["attempts"], row["delivered_at"], row["undeliverable_at"]) == (1, None, None)
    desk.app.services.clock.advance(timedelta(minutes=1))
    await deliver(desk)
    assert ANSWER in desk.api.last_message(OFFICERS).plain_text
    [row] = await _outbox(desk, "relay_reply")
    assert row["delivered_at"] is not None


LINKY = (
    "Anh xem https://example.com/a?x=1 hay t.me/joinchat/AbC, 1.2.3.4, ví-dụ。org, nhắn "
    "@kg_police hoặc a.b@mail.vn nhé"
)
# What Telegram would make tappable in plain text: a scheme, a dot (or one of the dots its
# parser takes for one) between a name and a label that starts with a letter, an IPv4
# address, an @name. Written apart from bot.triage.relay.defang on purpose.
TAPPABLE = (
    r"://",
    r"[^\W_][.\u3002\uff0e\uff61][^\W\d_]",
    r"\d[.\u3002\uff0e\uff61]\d{1,3}[.\u3002\uff0e\uff61]\d{1,3}[.\u3002\uff0e\uff61]\d",
    r"[@\uff20]\w",
)


async def test_links_in_a_question_reach_the_tipster_broken_without_preview_and_officers_are_warned(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    await desk.say(OFFICER_RG, f"/ask {tip.code} {QUESTION}")
    assert "Telegram sẽ biến thành đường link" not in desk.api.last_text(OFFICER_RG.id)
    await desk.say(OFFICER_RG, f"/ask {tip.code} {LINKY}")
    warning = "⚠️ Câu hỏi của bạn có phần mà Telegram sẽ biến thành đường link"
    assert warning in desk.api.last_text(OFFICER_RG.id)
    await deliver(desk)
    got = desk.api.last_message(TIPSTER.id)
    sent = [call for call in desk.api.calls_for("sendMessage") if call.chat_id == TIPSTER.id][-1]
    assert got.plain_text.count("Đừng mở đường link") == 1
    assert (
        "Anh xem https[:]//example[.]com/a?x=1 hay t[.]me/joinchat/AbC, 1[.]2[.]3[.]4, "
        "ví-dụ[.]org, nhắn [@]kg_police hoặc a[.]b[@]mail[.]vn nhé"
    ) in got.plain_text
    assert [pattern for pattern in TAPPABLE if re.search(pattern, got.plain_text)] == []
    # Only the bot's own frame is formatted: the officer's words carry no entity of their own.
    assert {entity["type"] for entity in got.raw["entities"]} <= {"bold", "code", "italic"}
    assert sent.params.get("link_preview_options") == {"is_disabled": True}
    # Typed after the card's button, the same warning.
    await press(desk, OFFICER_RG, shown, "❓ Hỏi người báo tin")
    await desk.say(OFFICER_RG, "Có phải trang t.me/abc không?")
    assert warning in desk.api.last_text(OFFICER_RG.id)
    # Stored and shown to the officers as typed.
    bodies = await desk.app.services.db.fetch_all("SELECT body FROM tip_messages ORDER BY id")
    assert [row["body"] for row in bodies] == [QUESTION, LINKY, "Có phải trang t.me/abc không?"]


async def test_notices_and_questions_speak_the_language_the_tipster_chose_last(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path, notify_statuses="verifying")
    try:
        # Written in Vietnamese, then the tipster switched to English.
        tip = await plant(desk, TIPSTER, language="vi")
        shown = await card(desk, tip)
        await desk.say(TIPSTER, "/language")
        await desk.press(TIPSTER, "🇬🇧 English")
        await desk.say(OFFICER_RG, f"/ask {tip.code} {QUESTION}")
        await deliver(desk)
        question = desk.api.last_message(TIPSTER.id)
        assert f"The police ask about your tip {tip.code}" in question.plain_text
        assert question.buttons() == [["✍️ Reply"]]
        await press(desk, DB_ADMIN, shown, "🙋 Nhận xử lý")
        await press(desk, DB_ADMIN, shown, "🔎 Xác minh")
        await deliver(desk)
        notice = desk.api.last_message(TIPSTER.id)
        assert notice.plain_text.startswith(f"ℹ️ Your tip {tip.code}: Being verified")
        # Written in English, then back to Vietnamese.
        await desk.app.services.set_language(ENGLISH_TIPSTER.id, "en")
        other = await plant(desk, ENGLISH_TIPSTER, language="en")
        await card(desk, other)
        await desk.say(ENGLISH_TIPSTER, "/language")
        await desk.press(ENGLISH_TIPSTER, "🇻🇳 Tiếng Việt")
        await desk.say(OFFICER_RG, f"/ask {other.code} Which colour?")
        await deliver(desk)
        question = desk.api.last_message(ENGLISH_TIPSTER.id)
        assert f"Cơ quan Công an hỏi thêm về tin báo {other.code}" in question.plain_text
        assert question.buttons() == [[REPLY]]
    finally:
        await desk.stop()
