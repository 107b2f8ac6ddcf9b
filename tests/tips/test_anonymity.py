"""Anonymity at rest and in the officers' chat: no identity of an anonymous tipster anywhere."""

from __future__ import annotations

import json
import logging
import unicodedata
from pathlib import Path
from unittest.mock import ANY

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.officers.conftest import DB_ADMIN, add_staff
from tests.tips.flow import OFFICERS, deliver, receipt_code, tips_settings

PEOPLE = (
    Person(
        id=7391846205,
        first_name="Quỳnhchi",
        last_name="Zelinskaya",
        username="zz_tipster_alpha",
        phone="+84987654321",
    ),
    Person(
        id=6018273645,
        first_name="Thạchsanh",
        last_name="Xuyenkhung",
        username="qq_whisper_beta",
        phone="+84911223344",
        language_code="en",
    ),
)


def needles(person: Person) -> dict[str, bytes]:
    """Return every form a person's identity could take in a file, by a name for each."""
    texts = [str(person.id), person.first_name, person.last_name or "", person.username or ""]
    phone = person.phone or ""
    texts += [phone, phone.lstrip("+"), phone.removeprefix("+84")]
    found: dict[str, bytes] = {}
    for text in texts:
        for form in ("NFC", "NFD"):
            value = unicodedata.normalize(form, text)
            found[f"{form}:{value}"] = value.encode("utf-8")
            found[f"{form}:{value}:utf16"] = value.encode("utf-16-le")
    # SQLite stores an integer big-endian in the fewest of 1, 2, 3, 4, 6 or 8 bytes (a 10-digit
    # id in 6); any width it fits in, either byte order.
    for width in range((person.id.bit_length() + 7) // 8, 9):
        found[f"id{width}:le"] = person.id.to_bytes(width, "little")
        found[f"id{width}:be"] = person.id.to_bytes(width, "big")
    return found


def _scan(database_path: Path) -> list[str]:
    files = sorted(database_path.parent.glob(database_path.name + "*"))
    assert files, "the database files exist"
    found = []
    for path in files:
        content = path.read_bytes()
        for person in PEOPLE:
            for name, needle in needles(person).items():
                if needle in content:
                    found.append(f"{path.name}: {person.id} {name}")
    return found


async def _anonymous_tips(bot: BotHarness) -> list[str]:
    first, second = PEOPLE
    codes = []
    # The first writes in Vietnamese with a location, a photo and a voice note.
    await bot.say(first, "/tip")
    await bot.press(first, "💊 Ma túy")
    await bot.send(bot.updates.voice(first))
    await bot.say(first, "Có người giao ma túy bằng xe máy trước cổng chợ.")
    await bot.press(first, "✅ Xong")
    await bot.send(bot.updates.location(first, 10.0012, 105.0921))
    await bot.press(first, "⚡ Đang xảy ra / vừa xong")
    await bot.send(bot.updates.photo(first))
    await bot.press(first, "✅ Xong")
    await bot.press(first, "🕶 Gửi ẩn danh (khuyên dùng)")
    await bot.press(first, "📨 Gửi")
    codes.append(receipt_code(bot, first))
    await bot.say(first, "/mytips")
    await bot.say(first, f"/status {codes[0]}")

    # The second chooses English, shares their phone, then changes their mind.
    await bot.say(second, "/language")
    await bot.press(second, "🇬🇧 English")
    await bot.say(second, "/tip")
    await bot.press(second, "💳 Fraud and online scams")
    await bot.say(second, "A fake bank page asks people for their OTP codes by SMS.")
    await bot.press(second, "✅ Done")
    await bot.say(second, "🤷 I don't remember")
    await bot.press(second, "📅 Today")
    await bot.press(second, "⏭ No files")
    await bot.press(second, "📞 Leave a contact")
    await bot.send(bot.updates.contact(second, second.phone or ""))
    await bot.press(second, "✏️ Identity")
    await bot.press(second, "🕶 Stay anonymous (recommended)")
    await bot.press(second, "📨 Send")
    codes.append(receipt_code(bot, second))
    return codes


async def _answers_typed(bot: BotHarness, codes: list[str]) -> None:
    """Officers ask; the first tipster replies to the question, the second types and picks."""
    first, second = PEOPLE
    await add_staff(bot)
    await bot.say(DB_ADMIN, f"/ask {codes[0]} Xe máy màu gì?")
    await bot.say(DB_ADMIN, f"/ask {codes[1]} Which bank was it?")
    await bot.say(DB_ADMIN, f"/ask {codes[1]} Which phone number sent the SMS?")
    await deliver(bot)
    question = bot.api.sent_messages(first.id)[-1]
    await bot.send(bot.updates.text(first, "Màu đỏ.", reply_to=question.message_id))
    await bot.say(second, "It said Vietcombank.")
    await bot.press(second, f"{codes[1]}: Which bank was it?")
    await deliver(bot)
    sent = [str(call.params.get("text")) for call in bot.api.calls_to(OFFICERS)]
    answers = [text for text in sent if text.startswith("💬 <b>Người báo tin trả lời")]
    assert len(answers) == 2, "both answers reached the officers' chat"
    assert "Màu đỏ." in answers[0]
    assert "Vietcombank" in answers[1]


async def test_anonymous_tips_leave_no_identity_in_the_database_or_the_officers_chat(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # Every update through the durable inbox, as the running bot takes them.
    bot = BotHarness(tips_settings(database_path), via_inbox=True)
    await bot.start()
    try:
        codes = await _anonymous_tips(bot)
        await deliver(bot)
        await _answers_typed(bot, codes)
        # And some the bot had stored but not yet handled when it was stopped (the scan must
        # find no identity in the sealed inbox rows either).
        first, second = PEOPLE
        await bot.app.services.inbox.store(
            [
                bot.updates.text(first, "Tôi muốn bổ sung thông tin."),
                bot.updates.contact(second, second.phone or ""),
            ]
        )
        assert await bot.app.services.inbox.repository.counts() == {"done": ANY, "pending": 2}
        # A backup taken now is scanned too (its name matches the scan's glob).
        await bot.app.services.db.backup_to(database_path.with_name("tips.sqlite3.backup"))
        # Read the files while the bot runs: the WAL holds the recent writes.
        raw = b"".join(path.read_bytes() for path in database_path.parent.glob("tips.sqlite3*"))
        assert b"OTP codes" in raw, "the scan sees what was written (the story is there)"
        assert _scan(database_path) == []
        officer_calls = bot.api.calls_to(OFFICERS)
    finally:
        await bot.stop()
    assert _scan(database_path) == []  # and after the WAL is checkpointed into the file

    cards = [
        call
        for call in officer_calls
        if call.method == "sendMessage" and not call.params["text"].startswith("💬")
    ]
    assert len(cards) == 2
    assert all(any(code in call.params["text"] for call in cards) for code in codes)
    assert {call.method for call in officer_calls} >= {"sendLocation", "sendPhoto", "sendVoice"}
    for call in officer_calls:
        dumped = json.dumps(call.params, ensure_ascii=False, default=str)
        for person in PEOPLE:
            for name, needle in needles(person).items():
                if name.endswith((":utf16", ":le", ":be")):
                    continue
                assert needle.decode() not in dumped, (call.method, person.id, name)
    assert all("Ẩn danh" in call.params["text"] for call in cards)
    # Nor do the logs at INFO and above.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for person in PEOPLE:
        assert str(person.id) not in logged
        assert (person.username or "") not in logged
