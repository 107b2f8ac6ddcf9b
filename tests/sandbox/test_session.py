"""Script mode against the real application: what a person types, what they are shown."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from bot.sandbox.people import ANALYST, OFFICER, RESIDENT
from bot.sandbox.session import DEFAULT_LOCATION, LineError, Sandbox, parse_duration
from bot.sandbox.settings import OFFICERS_CHAT_ID
from bot.sandbox.terminal import next_line
from tests.sandbox.conftest import Play


def _received(sandbox: Sandbox) -> list[Update]:
    """Record every update the bot receives, before any handler of the bot sees it."""
    seen: list[Update] = []

    async def record(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    sandbox.app.add_handler(MessageHandler(filters.ALL, record, block=True), group=-100)
    return seen


def _sender_and_chat(update: Update) -> tuple[int, int]:
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id


def _key_number(transcript: str, label: str) -> int:
    """Return the number the latest keyboard shown gives to `label`."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?:   |$)", transcript, re.MULTILINE)
    assert found, f"no key {label!r} in:\n{transcript}"
    return int(found[-1])


async def test_start_greets_in_vietnamese_and_numbers_the_menu_keys(play: Play) -> None:
    played = await play("/start")
    assert played.code == 0
    lines = played.transcript.splitlines()
    assert lines[0] == "Lan (resident)> /start"
    assert lines[1] == "bot: Xin chào Lan! 👋"
    # Features add keys to the menu; the core's two are always there, numbered from 1.
    assert "     keyboard: [1] " in played.transcript
    help_key = _key_number(played.transcript, "❓ Hướng dẫn")
    assert _key_number(played.transcript, "🌐 Ngôn ngữ / Language") == help_key + 1
    assert "<b>" not in played.transcript
    assert "\x1b[" not in played.transcript


async def test_typing_a_number_presses_that_inline_button(play: Play) -> None:
    played = await play("/start\n/language")
    assert "bot: Chọn ngôn ngữ / Choose a language:\n     [1] 🇻🇳 Tiếng Việt   [2] 🇬🇧 English" in (
        played.transcript
    )
    # The keyboard's numbers follow the inline buttons of the latest message.
    assert "     keyboard: [3] " in played.transcript.split("/language")[1]
    played = await play("2\n/start")
    transcript = played.transcript
    assert played.code == 0, transcript
    assert "(pressed 🇬🇧 English)\n     (popup) Language changed" in transcript
    assert "bot (edited): Switched to English." in transcript
    # Once the language buttons are gone, the keyboard is numbered from 1 again.
    assert "bot: Choose an item from the menu below.\n     keyboard: [1] " in transcript
    assert "bot: Hello Lan! 👋" in transcript


async def test_typing_a_keyboard_label_or_its_number_sends_it(play: Play) -> None:
    played = await play("/start\n❓ Hướng dẫn")
    assert played.transcript.count("bot: Hướng dẫn") == 1
    played = await play(str(_key_number(played.transcript, "❓ Hướng dẫn")))
    assert played.code == 0
    assert "(pressed ❓ Hướng dẫn)\nbot: Hướng dẫn" in played.transcript


async def test_a_number_with_no_button_is_sent_as_text(sandbox: Sandbox, play: Play) -> None:
    received = _received(sandbox)
    played = await play("/start\n97\n:say 1")
    assert played.code == 0
    assert [update.message.text for update in received if update.message] == ["/start", "97", "1"]
    assert "bot: Tôi chưa hiểu tin nhắn này" in played.transcript


async def test_as_switches_person_and_chat_and_shows_what_arrived_there(
    sandbox: Sandbox, play: Play
) -> None:
    received = _received(sandbox)
    await sandbox.app.bot.send_message(OFFICERS_CHAT_ID, "<b>Tin báo mới</b> TB-TEST-0001")
    played = await play(":as officer\nxin chào\n:as analyst\n/start\n:as resident")
    transcript = played.transcript
    assert played.code == 0, transcript
    assert "--- you are Minh (officer) in officers' chat ---\nbot: Tin báo mới TB-TEST-0001" in (
        transcript
    )
    assert "Minh (officer @ officers' chat)> xin chào" in transcript
    assert "Thu (analyst)> /start\nbot: Xin chào Thu!" in transcript
    assert [_sender_and_chat(update) for update in received] == [
        (OFFICER.person.id, OFFICERS_CHAT_ID),
        (ANALYST.person.id, ANALYST.person.id),
    ]
    assert received[0].effective_chat is not None
    assert received[0].effective_chat.type == "supergroup"


async def test_news_in_another_chat_is_announced_once(sandbox: Sandbox, play: Play) -> None:
    await play("/start")
    await sandbox.app.bot.send_message(OFFICERS_CHAT_ID, "thẻ tin báo")
    first = await play("/help")
    second = await play("/help")
    notice = "(1 new in officers' chat: :as officer to read)"
    assert notice in first.transcript
    assert notice not in second.transcript


async def test_as_officer_private_talks_to_the_bot_privately(sandbox: Sandbox, play: Play) -> None:
    received = _received(sandbox)
    played = await play(":as officer private\n/start")
    assert "Minh (officer)> /start\nbot: Xin chào Minh!" in played.transcript
    assert received[0].effective_chat is not None
    assert received[0].effective_chat.id == OFFICER.person.id


async def test_time_moves_the_clock_and_runs_the_jobs_due_meanwhile(
    sandbox: Sandbox, play: Play
) -> None:
    before = sandbox.app.services.clock.now()

    async def reminder(context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(RESIDENT.person.id, "⏰ Nhắc việc: quá hạn 20 ngày")

    assert sandbox.app.job_queue is not None
    sandbox.app.job_queue.run_once(reminder, when=timedelta(days=2))
    played = await play(":time +3d")
    assert played.code == 0
    assert "(the bot's clock moved forward 3d: now" in played.transcript
    assert "bot: ⏰ Nhắc việc: quá hạn 20 ngày" in played.transcript
    moved = sandbox.app.services.clock.now() - before
    assert timedelta(days=3) <= moved < timedelta(days=3, minutes=5)


async def test_a_line_waits_for_a_slow_job_it_started(sandbox: Sandbox, play: Play) -> None:
    async def slow_delivery(context: ContextTypes.DEFAULT_TYPE) -> None:
        # Longer than the quiet spell that ends a line, with no Bot API call meanwhile.
        await asyncio.sleep(0.4)
        await context.bot.send_message(RESIDENT.person.id, "📬 Thẻ tin báo đã tới cán bộ")

    assert sandbox.app.job_queue is not None
    sandbox.app.job_queue.run_once(slow_delivery, when=0)
    played = await play(":help")
    assert "bot: 📬 Thẻ tin báo đã tới cán bộ" in played.transcript


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+3d", timedelta(days=3)),
        ("+12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("+1d12h", timedelta(days=1, hours=12)),
    ],
)
def test_time_steps_are_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "+", "-3d", "3 days", "+3x", "+d"])
def test_unreadable_time_steps_are_refused(text: str) -> None:
    with pytest.raises(LineError):
        parse_duration(text)


async def test_location_contact_photo_and_file_reach_the_bot_as_real_updates(
    sandbox: Sandbox, play: Play, tmp_path: Path
) -> None:
    picture = tmp_path / "hiện trường.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 a real photo \xff\xd9")
    report = tmp_path / "biên bản.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    received = _received(sandbox)
    played = await play(
        f":location 10,0125 105.0809\n:contact +84 912 000 111\n"
        f':photo "{picture}" xe máy lạ\n:file "{report}"\n:photo'
    )
    assert played.code == 0, played.transcript
    location, contact, photo, document, sample = (update.message for update in received)
    assert location is not None
    assert location.location is not None
    assert (location.location.latitude, location.location.longitude) == (10.0125, 105.0809)
    assert contact is not None
    assert contact.contact is not None
    assert contact.contact.phone_number == "+84 912 000 111"
    assert contact.contact.user_id == RESIDENT.person.id
    assert photo is not None
    assert photo.caption == "xe máy lạ"
    assert sandbox.api.file_content(photo.photo[-1].file_id) == picture.read_bytes()
    assert document is not None
    assert document.document is not None
    assert document.document.file_name == "biên bản.pdf"
    assert document.document.mime_type == "application/pdf"
    assert sample is not None
    assert sample.photo


async def test_bad_meta_lines_are_refused_and_fail_the_script(sandbox: Sandbox, play: Play) -> None:
    played = await play(
        ":as nobody\n:location 200 10\n:photo /no/such/file.jpg\n:time soon\n:frobnicate\n/start"
    )
    assert played.code == 1
    assert played.transcript.count("\n! ") == 5
    assert "! no such identity 'nobody'" in played.transcript
    assert "! unknown sandbox command :frobnicate" in played.transcript
    # The lines after a failed one still run.
    assert "bot: Xin chào Lan!" in played.transcript


async def test_a_handler_error_is_shown_and_fails_the_script(sandbox: Sandbox, play: Play) -> None:
    async def broken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("database on fire")

    sandbox.app.add_handler(CommandHandler("broken", broken), group=-1)
    played = await play("/broken\n/start")
    assert played.code == 1
    assert "! the bot raised RuntimeError: database on fire" in played.transcript
    assert "Xin lỗi, đã có lỗi xảy ra" in played.transcript


async def test_bot_media_are_shown_as_placeholders_and_saved(
    sandbox: Sandbox, play: Play, tmp_path: Path
) -> None:
    chat = RESIDENT.person.id
    bot = sandbox.app.bot
    await bot.send_location(chat, 10.0125, 105.0809)
    await bot.send_photo(chat, b"\xff\xd8 chart \xff\xd9", caption="<b>Biểu đồ</b> 2013–2023")
    await bot.send_document(chat, b"xlsx bytes", filename="bao-cao.xlsx")
    played = await play(":help")
    transcript = played.transcript
    assert "bot: [location 10.01250, 105.08090: https://www.openstreetmap.org/" in transcript
    assert "bot: [photo 1280×960]\n     Biểu đồ 2013–2023\n     (saved as " in transcript
    assert "bot: [document 'bao-cao.xlsx': " in transcript
    saved = sorted((tmp_path / "files").iterdir())
    assert [path.read_bytes() for path in saved] == [b"\xff\xd8 chart \xff\xd9", b"xlsx bytes"]


async def test_buttons_that_open_links_or_share_a_location(sandbox: Sandbox, play: Play) -> None:
    received = _received(sandbox)
    bot = sandbox.app.bot
    chat = RESIDENT.person.id
    link = InlineKeyboardButton("Cổng dịch vụ công", url="https://dichvucong.gov.vn")
    await bot.send_message(chat, "Xem thêm", reply_markup=InlineKeyboardMarkup([[link]]))
    keys = ReplyKeyboardMarkup([[KeyboardButton("📍 Gửi vị trí", request_location=True)]])
    await bot.send_message(chat, "Bạn ở đâu?", reply_markup=keys)
    played = await play(":help\n1\n2")
    assert "(pressed Cổng dịch vụ công) it opens https://dichvucong.gov.vn" in played.transcript
    assert "(pressed 📍 Gửi vị trí) shared the location" in played.transcript
    shared = received[-1].message
    assert shared is not None
    assert shared.location is not None
    assert (shared.location.latitude, shared.location.longitude) == DEFAULT_LOCATION


async def test_press_finds_a_button_on_an_older_message(sandbox: Sandbox, play: Play) -> None:
    played = await play("/language\n/start\n:press 🇬🇧 English\n:press Nope")
    assert played.code == 1
    assert "(pressed 🇬🇧 English)" in played.transcript
    assert "bot (edited): Switched to English." in played.transcript
    assert "! no message in this chat has a button 'Nope'" in played.transcript


async def test_quit_stops_the_script(play: Play) -> None:
    played = await play(":quit\n/start")
    assert played.code == 0
    assert "/start" not in played.transcript


async def test_help_lists_the_meta_commands(play: Play) -> None:
    played = await play(":help")
    for command in (":as ROLE", ":location LAT LON", ":contact", ":photo", ":file", ":time"):
        assert command in played.transcript


async def test_messages_arriving_while_typing_are_shown_above_the_prompt(
    sandbox: Sandbox,
) -> None:
    typed: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    class Keyboard:
        def read(self, prompt: str) -> asyncio.Future[str | None]:
            return typed

    out = io.StringIO()
    waiting = asyncio.create_task(next_line(sandbox, Keyboard(), out))
    await sandbox.app.bot.send_message(RESIDENT.person.id, "Cán bộ hỏi thêm về tin báo của bạn")
    async with asyncio.timeout(30):
        # The watcher runs on its own schedule; what it printed is the only signal.
        while "Cán bộ hỏi thêm" not in out.getvalue():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    typed.set_result("/start")
    assert await waiting == "/start"
    assert out.getvalue() == ("\r\x1b[Kbot: Cán bộ hỏi thêm về tin báo của bạn\nLan (resident)> ")
