"""/start, /help, /language, the main menu, fallbacks and the error handler, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.kernel.telegram_text import TEXT_LIMIT, telegram_length
from bot.ptb.messaging import send_text
from bot.testing.harness import BotHarness, HandlerFailedError, settings_for_tests
from bot.testing.updates import Person


async def test_start_greets_in_vietnamese_with_the_main_menu(
    harness: BotHarness, resident: Person
) -> None:
    await harness.say(resident, "/start")
    reply = harness.api.sent_messages(resident.id)[-1]
    assert reply.text.startswith("Xin chào Lan!")
    assert "113" in reply.text
    labels = [label for row in reply.reply_keyboard() for label in row]
    assert "❓ Hướng dẫn" in labels
    assert "🌐 Ngôn ngữ / Language" in labels


async def test_language_switches_to_english_and_is_remembered(
    harness: BotHarness, resident: Person, database_path: Path
) -> None:
    await harness.say(resident, "/language")
    assert "Choose a language" in harness.api.last_text(resident.id)
    await harness.press(resident, "🇬🇧 English")
    texts = harness.texts(resident.id)
    assert "Switched to <b>English</b>." in texts
    assert texts[-1] == "Choose an item from the menu below."
    answers = harness.api.calls_for("answerCallbackQuery")
    assert answers[-1].params.get("text") == "Language changed"

    await harness.say(resident, "/start")
    assert harness.api.last_text(resident.id).startswith("Hello Lan!")

    # A new application on the same file still knows the choice.
    await harness.stop()
    async with BotHarness(settings_for_tests(database_path)) as restarted:
        await restarted.say(resident, "/help")
        assert restarted.api.last_text(resident.id).startswith("<b>Help</b>")
    await harness.start()


async def test_language_choice_stores_no_telegram_id(
    harness: BotHarness, resident: Person, database_path: Path
) -> None:
    await harness.say(resident, "/language")
    await harness.press(resident, "🇬🇧 English")
    await harness.stop()
    raw = b"".join(
        path.read_bytes() for path in database_path.parent.glob(database_path.name + "*")
    )
    assert str(resident.id).encode() not in raw
    await harness.start()


async def test_help_is_shown_from_the_menu_button_in_both_languages(
    harness: BotHarness, resident: Person
) -> None:
    await harness.say(resident, "❓ Hướng dẫn")
    assert harness.api.last_text(resident.id).startswith("<b>Hướng dẫn</b>")
    await harness.say(resident, "❓ Help")
    assert harness.api.last_text(resident.id).startswith("<b>Hướng dẫn</b>")
    await harness.say(resident, "/language")
    await harness.press(resident, "🇬🇧 English")
    await harness.say(resident, "❓ Help")
    assert harness.api.last_text(resident.id).startswith("<b>Help</b>")


async def test_name_with_html_is_escaped(harness: BotHarness) -> None:
    person = Person(id=5550002, first_name="<b>Tú</b> & co")
    await harness.say(person, "/start")
    assert harness.api.last_text(person.id).startswith("Xin chào &lt;b&gt;Tú&lt;/b&gt; &amp; co!")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("text", "Tôi chưa hiểu tin nhắn này"),
        ("long_text", "Tôi chưa hiểu tin nhắn này"),
        ("sticker", "Tôi chưa xử lý được loại nội dung này"),
        ("poll", "Tôi chưa xử lý được loại nội dung này"),
        # A location (or a photo) offers to start a tip instead: tests/tips/test_offer.py.
        ("contact", "Tôi chưa xử lý được loại nội dung này"),
        ("unknown_command", "Lệnh này không có"),
        ("cancel", "Không có thao tác nào đang thực hiện"),
    ],
)
async def test_unexpected_input_gets_a_hint_and_the_menu(
    harness: BotHarness, resident: Person, kind: str, expected: str
) -> None:
    build = harness.updates
    update = {
        "text": lambda: build.text(resident, "xin chào"),
        "long_text": lambda: build.text(resident, "x" * 10_000),
        "sticker": lambda: build.sticker(resident),
        "poll": lambda: build.poll(resident),
        "contact": lambda: build.contact(resident, "+84900000000"),
        "unknown_command": lambda: build.command(resident, "/doesnotexist"),
        "cancel": lambda: build.command(resident, "/cancel"),
    }[kind]()
    await harness.send(update)
    reply = harness.api.sent_messages(resident.id)[-1]
    assert expected in reply.text
    assert reply.reply_keyboard(), "the main menu comes with the hint"


async def test_stale_and_forged_buttons_are_answered_not_crashed(
    harness: BotHarness, resident: Person
) -> None:
    await harness.say(resident, "/language")
    menu = harness.api.sent_messages(resident.id)[-1]
    for data in ("lang:xx", "tip:TB-0000-0000:take", "garbage\x00\u202e", ""):
        await harness.send(harness.updates.callback(resident, menu, data))
        answer = harness.api.calls_for("answerCallbackQuery")[-1]
        assert (
            answer.params.get("text") == "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."
        )


async def test_group_chatter_is_ignored(harness: BotHarness, resident: Person) -> None:
    group = -1009876543210
    await harness.send(harness.updates.text(resident, "hello everyone", chat_id=group))
    await harness.send(harness.updates.command(resident, "/start", chat_id=group))
    assert harness.api.sent_messages(group) == []


async def test_edited_messages_and_channel_posts_do_not_crash(
    harness: BotHarness, resident: Person
) -> None:
    await harness.say(resident, "/start")
    sent_before = len(harness.api.sent_messages())
    await harness.send(harness.updates.edited_text(resident, 1, "sửa"))
    await harness.send(harness.updates.channel_post(-1001111111111, "post"))
    assert len(harness.api.sent_messages()) == sent_before


async def test_command_menus_are_published_per_language(harness: BotHarness) -> None:
    calls = harness.api.calls_for("setMyCommands")
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert {command["command"] for command in by_language["vi"]} >= {"start", "help", "language"}
    descriptions_vi = {command["command"]: command["description"] for command in by_language["vi"]}
    descriptions_en = {command["command"]: command["description"] for command in by_language["en"]}
    assert descriptions_vi["language"] == "Đổi ngôn ngữ"
    assert descriptions_en["language"] == "Change language"
    assert by_language[None] == by_language["vi"]  # the default is the default language


async def test_handler_error_is_logged_and_the_person_gets_an_apology(
    harness: BotHarness, resident: Person, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("database on fire")

    harness.app.add_handler(CommandHandler("broken", broken), group=-1)
    with pytest.raises(HandlerFailedError):
        await harness.say(resident, "/broken")
    assert any("Xin lỗi, đã có lỗi xảy ra" in text for text in harness.texts(resident.id))
    assert any(
        record.exc_info and "database on fire" in str(record.exc_info[1])
        for record in caplog.records
    )


async def test_blocked_user_error_is_benign(
    harness: BotHarness, resident: Person, caplog: pytest.LogCaptureFixture
) -> None:
    harness.api.block(resident.id)
    with pytest.raises(HandlerFailedError):
        await harness.say(resident, "/start")
    assert not any(record.levelname == "ERROR" for record in caplog.records)
    assert all(call.error is not None for call in harness.api.calls_to(resident.id))


async def test_texts_over_the_limit_arrive_in_several_messages(
    harness: BotHarness, resident: Person
) -> None:
    text = "\n".join(f"<b>Dòng {index}</b> " + "nội dung " * 30 for index in range(100))
    await send_text(harness.app.bot, resident.id, text)
    pieces = harness.api.sent_messages(resident.id)
    assert len(pieces) > 1
    assert all(telegram_length(piece.text) <= TEXT_LIMIT for piece in pieces)
    assert "".join(piece.text for piece in pieces) == text
