"""Tests of the in-memory Bot API and the update builders, driven through a real telegram.Bot."""

import asyncio
import datetime as dtm
import io
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackContext, CommandHandler

from bot.testing import (
    NOT_MODIFIED_DESCRIPTION,
    FailureKind,
    InMemoryBotApi,
    Person,
    UpdateBuilder,
)

NOW = 1_750_000_000.0
USER = Person(101, "Lan", last_name="Nguyễn", username="lan_ng")
OTHER = Person(202, "Minh")
GROUP = -100123


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}")] for label in labels]
    )


@pytest.fixture
def api() -> InMemoryBotApi:
    return InMemoryBotApi(clock=lambda: NOW)


@pytest.fixture
async def bot(api: InMemoryBotApi) -> AsyncIterator[Bot]:
    tg_bot = Bot(token="123:ABC", request=api, get_updates_request=api)
    await tg_bot.initialize()
    yield tg_bot
    await tg_bot.shutdown()


@pytest.fixture
def builder(bot: Bot, api: InMemoryBotApi) -> UpdateBuilder:
    return UpdateBuilder(bot, api, clock=lambda: NOW)


# ---------------------------------------------------------------- basics


async def test_get_me_describes_the_configured_bot(bot: Bot, api: InMemoryBotApi) -> None:
    assert bot.id == 7000000001
    assert bot.username == "tinbao_test_bot"
    assert bot.first_name == "Tin báo"
    result = api.calls_for("getMe")[0].result
    assert isinstance(result, dict)
    assert result["is_bot"] is True


async def test_send_message_shapes_and_records(bot: Bot, api: InMemoryBotApi) -> None:
    first = await bot.send_message(USER.id, "xin chào", reply_markup=keyboard("A", "B"))
    second = await bot.send_message(USER.id, "lần hai", protect_content=True)
    in_group = await bot.send_message(GROUP, "nhóm", message_thread_id=7)

    assert (first.message_id, second.message_id, in_group.message_id) == (1, 2, 1)
    assert first.from_user is not None
    assert first.from_user.id == bot.id
    assert first.chat.type == "private"
    assert in_group.chat.type == "supergroup"
    assert in_group.message_thread_id == 7
    assert first.date == dtm.datetime.fromtimestamp(int(NOW), tz=dtm.UTC)
    assert second.has_protected_content is True

    sent = api.sent_messages(USER.id)
    assert [m.text for m in sent] == ["xin chào", "lần hai"]
    assert sent[0].buttons() == [["A"], ["B"]]
    assert sent[0].button_data("B") == "cb:B"
    with pytest.raises(KeyError):
        sent[0].button_data("C")
    assert sent[1].protect_content is True
    assert sent[0].raw["message_id"] == 1
    assert api.last_text(USER.id) == "lần hai"
    assert [c.method for c in api.calls_to(USER.id)] == ["sendMessage", "sendMessage"]
    assert len(api.sent_messages()) == 3
    with pytest.raises(AssertionError):
        api.last_text(999)


async def test_private_chat_uses_the_name_seen_in_updates(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    builder.text(USER, "chào bot")
    message = await bot.send_message(USER.id, "chào Lan")
    assert message.chat.first_name == "Lan"
    assert message.message_id == 2  # the user's message took id 1 in this chat


async def test_reply_keyboard_is_stored_but_not_echoed(bot: Bot, api: InMemoryBotApi) -> None:
    markup = ReplyKeyboardMarkup([[KeyboardButton("Gửi vị trí", request_location=True), "Hủy"]])
    message = await bot.send_message(USER.id, "chọn", reply_markup=markup)
    assert message.reply_markup is None
    assert api.last_message(USER.id).reply_keyboard() == [["Gửi vị trí", "Hủy"]]


async def test_reply_to_existing_and_missing_messages(
    bot: Bot, builder: UpdateBuilder, api: InMemoryBotApi
) -> None:
    incoming = builder.text(USER, "câu hỏi")
    assert incoming.message is not None
    reply = await bot.send_message(
        USER.id, "trả lời", reply_parameters=ReplyParameters(incoming.message.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "câu hỏi"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER.id, "x", reply_to_message_id=999)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("", "Message text is empty"),
        ("   ", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        ("<b>đậm", "Can't parse entities"),
        ("a <br> b", 'unsupported start tag "br" at byte offset 2'),
    ],
)
async def test_send_message_validation(bot: Bot, text: str, description: str) -> None:
    with pytest.raises(BadRequest, match=description):
        await bot.send_message(USER.id, text, parse_mode="HTML")


async def test_exactly_4096_characters_is_accepted(bot: Bot) -> None:
    message = await bot.send_message(USER.id, "é" * 4096)
    assert message.text is not None
    assert len(message.text) == 4096


async def test_unknown_chat_and_missing_parameters(api: InMemoryBotApi, bot: Bot) -> None:
    api.unknown_chats.add(555)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(555, "hi")
    status, body = await api.handle("sendMessage", {"text": "hi"})
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
    status, body = await api.handle("sendMessage", {"chat_id": 1})
    assert body["description"] == "Bad Request: message text is empty"


async def test_unknown_method_answers_404(api: InMemoryBotApi) -> None:
    status, body = await api.handle("sendTeleport", {"chat_id": 1})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert api.calls_for("sendTeleport")[0].error is not None


async def test_method_names_are_case_insensitive(api: InMemoryBotApi) -> None:
    status, body = await api.handle("SENDMESSAGE", {"chat_id": "7", "text": "hi"})
    assert status == 200
    assert body["result"]["chat"]["id"] == 7
    assert api.calls[-1].method == "sendMessage"


async def test_html_becomes_plain_text_with_entities(bot: Bot, api: InMemoryBotApi) -> None:
    message = await bot.send_message(
        USER.id,
        '<b>Cảnh báo</b> &lt;lừa đảo&gt; <a href="https://example.org">xem</a> 😀<i>x</i>',
        parse_mode="HTML",
    )
    assert message.text == "Cảnh báo <lừa đảo> xem 😀x"
    assert message.entities == (
        MessageEntity("bold", 0, 8),
        MessageEntity("text_link", 19, 3, url="https://example.org"),
        MessageEntity("italic", 25, 1),  # the emoji counts as two UTF-16 units
    )
    sent = api.last_message(USER.id)
    assert sent.text.startswith("<b>Cảnh báo</b> &lt;lừa đảo&gt;")
    assert sent.plain_text == message.text


async def test_callback_data_longer_than_64_bytes_is_rejected(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="đ" * 33)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER.id, "x", reply_markup=markup)


# ---------------------------------------------------------------- Telegram's length limits
# Telegram counts UTF-16 code units of the text *after* entity parsing: tags are free, `&amp;`
# is one unit, an emoji or 𝐁 (outside the BMP) is two.

TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"


async def _description(api: InMemoryBotApi, method: str, **params: Any) -> str | None:
    """Return Telegram's error description for one call, None when it succeeded."""
    status, body = await api.handle(method, params)
    return None if status == 200 else str(body["description"])


@pytest.mark.parametrize(
    ("text", "parse_mode", "refused"),
    [
        ("<b>" + "😀" * 2048 + "</b>", "HTML", False),
        ("<b>" + "😀" * 2048 + "x</b>", "HTML", True),
        ("𝐁" * 2049, None, True),
        ("&amp;" * 4096, "HTML", False),
        ("&lt;&#x1F600;" * 1365 + "&quot;", "HTML", False),
        ("&#x1F600;" * 2049, "HTML", True),
        ('<a href="https://example.org/' + "x" * 5000 + '">' + "y" * 4096 + "</a>", "HTML", False),
        ("&nbsp;" * 683, "HTML", True),  # not decoded by Telegram: six units each
        ("e\u0301" * 2048, None, False),  # a combining mark is a unit of its own
        ("e\u0301" * 2048 + "!", None, True),
    ],
)
async def test_message_text_is_measured_in_utf16_units_after_parsing(
    api: InMemoryBotApi, text: str, parse_mode: str | None, refused: bool
) -> None:
    params: dict[str, Any] = {"chat_id": USER.id, "text": text}
    if parse_mode:
        params["parse_mode"] = parse_mode
    assert await _description(api, "sendMessage", **params) == (TOO_LONG if refused else None)


async def test_an_edit_is_held_to_the_same_text_limit(api: InMemoryBotApi, bot: Bot) -> None:
    message = await bot.send_message(USER.id, "ngắn")
    where = {"chat_id": USER.id, "message_id": message.message_id}
    assert await _description(api, "editMessageText", text="😀" * 2049, **where) == TOO_LONG
    assert await _description(api, "editMessageText", text="😀" * 2048, **where) is None
    html = {"parse_mode": "HTML", **where}
    assert await _description(api, "editMessageText", text="<i></i>", **html) == (
        "Bad Request: message text is empty"
    )


@pytest.mark.parametrize("text", ["", "  \n ", "<b> </b>", "<i></i>"])
async def test_text_with_nothing_visible_is_empty(api: InMemoryBotApi, text: str) -> None:
    description = await _description(
        api, "sendMessage", chat_id=USER.id, text=text, parse_mode="HTML"
    )
    assert description == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("method", "field"),
    [
        ("sendPhoto", "photo"),
        ("sendVideo", "video"),
        ("sendDocument", "document"),
        ("sendVoice", "voice"),
        ("sendAudio", "audio"),
        ("sendAnimation", "animation"),
    ],
)
async def test_captions_are_measured_in_utf16_units_after_parsing(
    api: InMemoryBotApi, method: str, field: str
) -> None:
    file = {"chat_id": USER.id, field: "https://example.org/file"}
    assert await _description(api, method, caption="😀" * 512, **file) is None
    assert await _description(api, method, caption="😀" * 513, **file) == CAPTION_TOO_LONG
    html = {"parse_mode": "HTML", **file}
    assert await _description(api, method, caption="<i>" + "&lt;" * 1024 + "</i>", **html) is None
    assert await _description(api, method, caption="&lt;" * 1025, **html) == CAPTION_TOO_LONG


async def test_media_group_and_caption_edits_are_held_to_the_caption_limit(
    bot: Bot, api: InMemoryBotApi
) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_media_group(
            USER.id, [InputMediaPhoto(b"a", caption="𝐁" * 513), InputMediaPhoto(b"b")]
        )
    photo = await bot.send_photo(USER.id, b"a", caption="ảnh")
    where = {"chat_id": USER.id, "message_id": photo.message_id}
    assert await _description(api, "editMessageCaption", caption="😀" * 513, **where) == (
        CAPTION_TOO_LONG
    )
    assert await _description(api, "editMessageCaption", caption="😀" * 512, **where) is None


async def test_video_notes_and_animations_are_sent(bot: Bot, api: InMemoryBotApi) -> None:
    note = await bot.send_video_note(USER.id, b"round")
    assert note.video_note is not None
    animation = await bot.send_animation(USER.id, b"gif", caption="<b>vui</b>", parse_mode="HTML")
    assert animation.animation is not None
    assert animation.caption == "vui"
    assert [m.method for m in api.sent_messages(USER.id)] == ["sendVideoNote", "sendAnimation"]


async def test_a_character_reference_to_no_character_stays_text(bot: Bot) -> None:
    message = await bot.send_message(USER.id, "a &#xD800; &#0; b", parse_mode="HTML")
    assert message.text == "a &#xD800; &#0; b"


@pytest.mark.parametrize("data", ["a" * 65, "đ" * 33, "😀" * 17, ""])
async def test_callback_data_over_64_bytes_or_empty_is_button_data_invalid(
    api: InMemoryBotApi, bot: Bot, data: str
) -> None:
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}
    sent = {"chat_id": USER.id, "text": "x", "reply_markup": markup}
    assert await _description(api, "sendMessage", **sent) == "Bad Request: BUTTON_DATA_INVALID"
    message = await bot.send_message(USER.id, "y")
    where = {"chat_id": USER.id, "message_id": message.message_id, "reply_markup": markup}
    assert await _description(api, "editMessageReplyMarkup", **where) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    fits = {"inline_keyboard": [[{"text": "x", "callback_data": "😀" * 16}]]}
    assert await _description(api, "sendMessage", **{**sent, "reply_markup": fits}) is None


# ---------------------------------------------------------------- edits and deletes


async def test_edit_text_and_markup(bot: Bot, api: InMemoryBotApi) -> None:
    message = await bot.send_message(USER.id, "cũ", reply_markup=keyboard("A"))
    edited = await bot.edit_message_text(
        "mới", chat_id=USER.id, message_id=message.message_id, reply_markup=keyboard("B")
    )
    assert isinstance(edited, type(message))
    assert edited.text == "mới"
    assert edited.edit_date is not None

    current = api.message(USER.id, message.message_id)
    assert current.text == "mới"
    assert current.buttons() == [["B"]]
    assert api.sent_messages(USER.id)[0].text == "mới"

    await bot.edit_message_reply_markup(chat_id=USER.id, message_id=message.message_id)
    assert api.message(USER.id, message.message_id).buttons() == []


async def test_edit_without_changes_is_not_modified(bot: Bot) -> None:
    message = await bot.send_message(USER.id, "giống", reply_markup=keyboard("A"))
    with pytest.raises(BadRequest) as excinfo:
        await message.edit_text("giống", reply_markup=keyboard("A"))
    assert NOT_MODIFIED_DESCRIPTION.endswith(excinfo.value.message.split(": ", 1)[1])
    with pytest.raises(BadRequest, match="Message is not modified"):
        await message.edit_reply_markup(reply_markup=keyboard("A"))
    # Dropping the keyboard is a change even when the text stays.
    await message.edit_text("giống")


async def test_edit_missing_or_foreign_message_is_not_found(
    bot: Bot, builder: UpdateBuilder
) -> None:
    incoming = builder.text(USER, "của người dùng")
    assert incoming.message is not None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER.id, message_id=incoming.message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER.id, message_id=404)


async def test_edit_inline_message(bot: Bot, api: InMemoryBotApi) -> None:
    api.register_inline_message("inl-1", "cũ")
    assert await bot.edit_message_text("mới", inline_message_id="inl-1") is True
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("mới", inline_message_id="inl-2")


async def test_delete_message(bot: Bot, api: InMemoryBotApi) -> None:
    message = await bot.send_message(USER.id, "xóa tôi")
    assert await message.delete() is True
    assert api.message(USER.id, message.message_id).deleted is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await message.delete()
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await message.edit_text("x")


# ---------------------------------------------------------------- failure injection


@pytest.mark.parametrize(
    ("kind", "exception", "text"),
    [
        ("429", RetryAfter, "Flood control exceeded"),
        ("400", BadRequest, "Chat not found"),
        ("403", Forbidden, "Forbidden: bot was blocked by the user"),
        ("5xx", NetworkError, "Bad Gateway"),
        ("timeout", TimedOut, "Timed out"),
        ("network", NetworkError, "simulated network failure"),
    ],
)
async def test_injected_failures_raise_what_ptb_raises(
    bot: Bot,
    api: InMemoryBotApi,
    kind: FailureKind,
    exception: type[Exception],
    text: str,
) -> None:
    api.fail_next("sendMessage", error=kind, retry_after=3)
    with pytest.raises(exception, match=text) as excinfo:
        await bot.send_message(USER.id, "hi")
    if kind in ("5xx", "network"):
        assert not isinstance(excinfo.value, TimedOut)
    if isinstance(excinfo.value, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            retry_after: Any = excinfo.value.retry_after
        assert retry_after in (3, dtm.timedelta(seconds=3))
    failed = api.calls_for("sendMessage")[-1]
    assert failed.error is not None
    assert failed.error.kind == kind
    assert failed.result is None
    assert (await bot.send_message(USER.id, "again")).text == "again"
    assert [m.text for m in api.sent_messages()] == ["again"]


async def test_429_body_has_telegram_shape(api: InMemoryBotApi) -> None:
    api.fail_next("sendMessage", error="429", retry_after=7)
    status, body = await api.handle("sendMessage", {"chat_id": 1, "text": "x"})
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }


async def test_failures_count_down_and_filter_by_chat(bot: Bot, api: InMemoryBotApi) -> None:
    api.fail_next(
        "sendMessage", 2, error="400", description="Bad Request: custom", chat_id=OTHER.id
    )
    await bot.send_message(USER.id, "unaffected")
    for _ in range(2):
        with pytest.raises(BadRequest, match="Custom"):
            await bot.send_message(OTHER.id, "x")
    await bot.send_message(OTHER.id, "ok")


async def test_fail_until_cleared(bot: Bot, api: InMemoryBotApi) -> None:
    api.fail_until_cleared("sendMessage", error="5xx")
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(USER.id, "x")
    api.clear_failures()
    await bot.send_message(USER.id, "back")
    with pytest.raises(ValueError, match="unknown failure kind"):
        api.fail_next("sendMessage", error="418")  # type: ignore[arg-type]


async def test_blocked_user(bot: Bot, api: InMemoryBotApi) -> None:
    api.block(USER.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER.id, "x")
    with pytest.raises(Forbidden):
        await bot.send_photo(USER.id, b"jpeg")
    await bot.send_message(OTHER.id, "others still reachable")
    api.unblock(USER.id)
    await bot.send_message(USER.id, "again")


async def test_clear_forgets_calls_only(bot: Bot, api: InMemoryBotApi) -> None:
    await bot.send_message(USER.id, "x")
    api.clear()
    assert api.calls == []
    assert api.last_text(USER.id) == "x"


# ---------------------------------------------------------------- updates


async def test_get_updates_confirms_with_offset(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    ids = [api.queue_update(builder.text(USER, f"m{i}")) for i in range(3)]
    assert ids == sorted(ids)
    assert len(api.pending_updates()) == 3

    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    again = await bot.get_updates()
    assert [u.update_id for u in again] == ids  # nothing confirmed yet

    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert rest[0].message is not None
    assert rest[0].message.text == "m2"
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert api.pending_updates() == []


async def test_queue_update_assigns_missing_and_stale_ids(api: InMemoryBotApi) -> None:
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "a"}
    first = api.queue_update({"message": message})
    second = api.queue_update({"update_id": first, "message": {**message, "message_id": 2}})
    assert second > first
    assert api.message(5, 2).text == "a"


async def test_long_poll_wakes_up_on_queued_update(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop.call_later(0.05, api.queue_update, builder.text(USER, "wake"))
    updates = await bot.get_updates(timeout=5)
    assert loop.time() - started < 2
    assert updates[0].message is not None
    assert updates[0].message.text == "wake"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=100)) == ()
    assert 0.05 < loop.time() - started < 1


async def test_webhook_conflicts_with_polling(bot: Bot, api: InMemoryBotApi) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Exception, match="Conflict"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_application_polls_and_replies(api: InMemoryBotApi) -> None:
    replied = asyncio.Event()

    async def start(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"chào {' '.join(context.args or [])}")
        replied.set()

    app = ApplicationBuilder().token("123:ABC").request(api).get_updates_request(api).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        assert app.updater is not None
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        api.queue_update(UpdateBuilder(app.bot, api).command(USER, "/start", "bạn"))
        await asyncio.wait_for(replied.wait(), 3)
        await app.updater.stop()
        await app.stop()
    assert api.last_text(USER.id) == "chào bạn"


# ---------------------------------------------------------------- commands


async def test_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    vi = [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")]
    en = [BotCommand("start", "Start")]
    group = [BotCommand("report", "Báo tin")]
    await bot.set_my_commands(vi, language_code="vi")
    await bot.set_my_commands(en)
    await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands(group, scope=BotCommandScopeChat(GROUP), language_code="vi")

    assert await bot.get_my_commands(language_code="vi") == tuple(vi)
    assert await bot.get_my_commands() == tuple(en)
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == tuple(group)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(GROUP)) == ()
    assert (
        await bot.get_my_commands(scope=BotCommandScopeChat(GROUP), language_code="vi")
    ) == tuple(group)

    await bot.delete_my_commands(language_code="vi")
    assert await bot.get_my_commands(language_code="vi") == ()
    assert await bot.get_my_commands() == tuple(en)
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])


# ---------------------------------------------------------------- files and media


async def test_photo_upload_get_file_and_download(bot: Bot, api: InMemoryBotApi) -> None:
    content = b"\xff\xd8 real bytes \xff\xd9"
    message = await bot.send_photo(USER.id, io.BytesIO(content), caption="ảnh")
    assert message.caption == "ảnh"
    assert len(message.photo) == 2
    assert message.photo[-1].width > message.photo[0].width
    assert api.last_message(USER.id).text == "ảnh"
    assert api.last_message(USER.id).method == "sendPhoto"

    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_path is not None
    assert file.file_path.startswith("https://api.telegram.org/file/bot123:ABC/photos/")
    assert await file.download_as_bytearray() == bytearray(content)

    resent = await bot.send_photo(OTHER.id, message.photo[-1].file_id)
    assert resent.photo[-1].file_id == message.photo[-1].file_id
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(USER.id, "nope")


async def test_document_video_voice_audio(bot: Bot, api: InMemoryBotApi) -> None:
    doc = await bot.send_document(USER.id, b"%PDF", filename="bao-cao.pdf", caption="tài liệu")
    assert doc.document is not None
    assert (doc.document.file_name, doc.document.mime_type) == ("bao-cao.pdf", "application/pdf")
    video = await bot.send_video(USER.id, "https://example.org/clip.mp4", duration=9)
    assert video.video is not None
    assert api.last_message(USER.id).raw["video"]["duration"] == 9
    voice = await bot.send_voice(USER.id, b"OggS")
    assert voice.voice is not None
    audio = await bot.send_audio(USER.id, b"ID3", title="Bài hát")
    assert audio.audio is not None
    assert audio.audio.title == "Bài hát"
    downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert downloaded == bytearray(b"%PDF")
    assert [m.method for m in api.sent_messages()] == [
        "sendDocument",
        "sendVideo",
        "sendVoice",
        "sendAudio",
    ]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER.id, b"x", caption="c" * 1025)


async def test_media_group_location_contact(bot: Bot, api: InMemoryBotApi) -> None:
    group = await bot.send_media_group(
        USER.id,
        [InputMediaPhoto(b"one", caption="một"), InputMediaPhoto(b"two")],
    )
    assert len(group) == 2
    assert group[0].media_group_id is not None
    assert group[0].media_group_id == group[1].media_group_id
    assert group[0].caption == "một"

    location = await bot.send_location(USER.id, latitude=21.03, longitude=105.85)
    assert location.location is not None
    assert location.location.latitude == pytest.approx(21.03)
    contact = await bot.send_contact(USER.id, phone_number="113", first_name="Công an")
    assert contact.contact is not None
    assert contact.contact.phone_number == "113"
    assert len(api.sent_messages(USER.id)) == 4


async def test_copy_and_forward(bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder) -> None:
    incoming = builder.photo(USER, caption="bằng chứng")
    assert incoming.message is not None
    copied = await bot.copy_message(GROUP, USER.id, incoming.message.message_id)
    stored = api.message(GROUP, copied.message_id)
    assert stored.method == "copyMessage"
    assert stored.text == "bằng chứng"
    assert stored.raw["photo"] == incoming.message.to_dict()["photo"]

    forwarded = await bot.forward_message(GROUP, USER.id, incoming.message.message_id)
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "user"
    assert [m.method for m in api.sent_messages(GROUP)] == ["copyMessage", "forwardMessage"]

    protected = await bot.send_message(USER.id, "bí mật", protect_content=True)
    with pytest.raises(BadRequest, match="can't be copied"):
        await bot.copy_message(GROUP, USER.id, protected.message_id)
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(GROUP, USER.id, 999)


async def test_misc_methods(bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder) -> None:
    builder.text(USER, "hi")
    assert await bot.send_chat_action(USER.id, "typing") is True
    assert await bot.answer_callback_query("123", text="Đã ghi nhận", show_alert=True) is True
    assert api.calls_for("answerCallbackQuery")[0].params["show_alert"] is True
    chat = await bot.get_chat(USER.id)
    assert chat.first_name == "Lan"
    member = await bot.get_chat_member(GROUP, USER.id)
    assert member.status == "member"
    assert member.user.first_name == "Lan"
    assert await bot.close() is True
    assert await bot.log_out() is True


# ---------------------------------------------------------------- update builders


async def test_builders_produce_real_updates(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    text = builder.text(USER, "xin chào")
    assert text.message is not None
    assert text.message.text == "xin chào"
    assert text.effective_user is not None
    assert text.effective_user.username == "lan_ng"
    assert text.effective_chat is not None
    assert text.effective_chat.type == "private"

    command = builder.command(OTHER, "/report@tinbao_test_bot", "lừa", "đảo", chat_id=GROUP)
    assert command.message is not None
    assert command.message.text == "/report@tinbao_test_bot lừa đảo"
    assert command.message.entities == (MessageEntity("bot_command", 0, 23),)
    assert command.message.chat.type == "supergroup"

    location = builder.location(USER, 10.77, 106.7)
    assert location.message is not None
    assert location.message.location is not None
    contact = builder.contact(USER, "+84900000000")
    assert contact.message is not None
    assert contact.message.contact is not None
    assert contact.message.contact.user_id == USER.id
    other_contact = builder.contact(USER, "+84911111111", own=False)
    assert other_contact.message is not None
    assert other_contact.message.contact is not None
    assert other_contact.message.contact.user_id is None

    assert builder.voice(USER).message is not None
    assert builder.video(USER, caption="clip").message is not None
    sticker = builder.sticker(USER).message
    assert sticker is not None
    assert sticker.sticker is not None
    poll = builder.poll(USER).message
    assert poll is not None
    assert poll.poll is not None

    edited = builder.edited_text(USER, text.message.message_id, "sửa")
    assert edited.edited_message is not None
    assert edited.edited_message.text == "sửa"
    assert api.message(USER.id, text.message.message_id).text == "sửa"

    post = builder.channel_post(-100777, "tin kênh")
    assert post.channel_post is not None
    assert post.channel_post.chat.type == "channel"

    forwarded = builder.forwarded_text(USER, "chuyển tiếp", from_person=OTHER)
    assert forwarded.message is not None
    assert forwarded.message.forward_origin is not None
    assert forwarded.message.forward_origin.sender_user.id == OTHER.id  # type: ignore[attr-defined]

    blocked = builder.my_chat_member_blocked(USER)
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert blocked.my_chat_member.new_chat_member.user.id == bot.id

    ids = [u.update_id for u in (text, command, location, edited, post, blocked)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert builder.payload(text)["message"]["text"] == "xin chào"


async def test_callback_carries_the_current_bot_message(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    message = await bot.send_message(USER.id, "chọn", reply_markup=keyboard("Có", "Không"))
    snapshot = api.last_message(USER.id)
    await message.edit_text("chọn lại", reply_markup=keyboard("Có"))

    update = builder.callback(USER, snapshot, snapshot.button_data("Có"))
    query = update.callback_query
    assert query is not None
    assert query.data == "cb:Có"
    assert query.from_user.id == USER.id
    assert isinstance(query.message, Message)
    assert query.message.text == "chọn lại"
    assert query.chat_instance
    other = builder.callback(USER, snapshot.raw, "cb:Có")
    assert other.callback_query is not None
    assert other.callback_query.id != query.id


async def test_photo_builder_files_download(bot: Bot, builder: UpdateBuilder) -> None:
    update = builder.photo(USER, content=b"jpeg-bytes", caption="ảnh")
    assert update.message is not None
    assert [p.width for p in update.message.photo] == [90, 1280]
    file = await update.message.photo[-1].get_file()
    assert await file.download_as_bytearray() == bytearray(b"jpeg-bytes")

    document = builder.document(USER, file_name="a.txt", mime_type="text/plain", content=b"abc")
    assert document.message is not None
    assert document.message.document is not None
    doc_file = await document.message.document.get_file()
    assert doc_file.file_path is not None
    assert doc_file.file_path.endswith(".txt")
    assert await doc_file.download_as_bytearray() == bytearray(b"abc")


async def test_builder_without_api(bot: Bot) -> None:
    builder = UpdateBuilder(bot)
    first = builder.text(USER, "a")
    second = builder.text(USER, "b", reply_to=1)
    assert first.message is not None
    assert second.message is not None
    assert (first.message.message_id, second.message.message_id) == (1, 2)
    assert second.message.reply_to_message is not None
    assert second.update_id == first.update_id + 1
    assert builder.photo(USER).message is not None


# ---------------------------------------------------------------- waiting for the bot


async def test_messages_per_chat_are_indexed_and_sliced(bot: Bot, api: InMemoryBotApi) -> None:
    for index in range(3):
        await bot.send_message(USER.id, f"lan {index}")
        await bot.send_message(OTHER.id, f"minh {index}")
    assert api.message_count(USER.id) == 3
    assert api.message_count(999) == 0
    assert [m.text for m in api.sent_messages(USER.id, start=1)] == ["lan 1", "lan 2"]
    assert [m.text for m in api.sent_messages(start=4)] == ["lan 2", "minh 2"]
    assert api.last_text(OTHER.id) == "minh 2"


async def test_wait_for_messages_is_woken_by_the_message_and_times_out(
    bot: Bot, api: InMemoryBotApi
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.create_task(api.wait_for_messages(USER.id, 0, within=10))
    await asyncio.sleep(0)
    await bot.send_message(OTHER.id, "not for Lan")
    assert not waiting.done()
    await bot.send_message(USER.id, "for Lan")
    assert await asyncio.wait_for(waiting, 1) is True
    assert loop.time() - started < 2
    assert await api.wait_for_messages(USER.id, 1, within=0.05) is False
    assert await api.wait_for_messages(USER.id, 0, within=0) is True


async def test_wait_until_rechecks_after_every_call(bot: Bot, api: InMemoryBotApi) -> None:
    waiting = asyncio.create_task(
        api.wait_until(lambda: len(api.calls_for("sendChatAction")) == 2, within=10)
    )
    await bot.send_chat_action(USER.id, "typing")
    await asyncio.sleep(0)
    assert not waiting.done()
    await bot.send_chat_action(USER.id, "typing")
    assert await asyncio.wait_for(waiting, 1) is True
    assert await api.wait_until(lambda: False, within=0.05) is False


async def test_wait_until_sees_a_long_poll_as_soon_as_it_starts(
    bot: Bot, api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    assert await api.wait_until(lambda: bool(api.calls_for("getUpdates")), within=1)
    assert not poll.done()
    api.queue_update(builder.text(USER, "xong"))
    assert len(await asyncio.wait_for(poll, 2)) == 1


async def test_unconfirmed_updates_are_delivered_again_after_a_crash(
    api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    ids = [api.queue_update(builder.text(USER, f"m{i}")) for i in range(4)]
    # A bot fetched everything, confirmed the first two with its next offset, then was killed.
    first = Bot(token="123:ABC", request=api, get_updates_request=api)
    await first.initialize()
    assert [u.update_id for u in await first.get_updates()] == ids
    await first.get_updates(offset=ids[2], timeout=0)
    assert api.pending_update_count() == 2
    # The restarted bot starts without an offset, as python-telegram-bot does.
    restarted = Bot(token="123:ABC", request=api, get_updates_request=api)
    await restarted.initialize()
    assert [u.update_id for u in await restarted.get_updates(offset=0)] == ids[2:]
    assert api.pending_update_count() == 2
    assert await restarted.get_updates(offset=ids[3] + 1, timeout=0) == ()
    assert api.pending_update_count() == 0


async def test_held_confirmations_redeliver_everything_to_a_restarted_bot(
    api: InMemoryBotApi, builder: UpdateBuilder
) -> None:
    first = api.queue_update(builder.text(USER, "before"))
    poller = Bot(token="123:ABC", request=api, get_updates_request=api)
    await poller.initialize()
    await poller.get_updates(timeout=0)
    await poller.get_updates(offset=first + 1, timeout=0)  # confirms "before"
    api.hold_confirmations()
    held = [api.queue_update(builder.text(USER, f"held {i}")) for i in range(2)]
    # The running bot pages forward as usual and sees each update once...
    assert [u.update_id for u in await poller.get_updates(offset=first + 1, timeout=0)] == held
    assert await poller.get_updates(offset=held[-1] + 1, timeout=0) == ()
    assert api.pending_update_count() == 2
    api.hold_confirmations(False)
    # ...but a restart (offset 0) gets them again: none of the acknowledgements "arrived".
    again = await poller.get_updates(offset=0, timeout=0)
    assert [u.update_id for u in again] == held
    assert api.deliveries(held[0]) == 2
    assert api.redelivered() == held
    await poller.get_updates(offset=held[-1] + 1, timeout=0)
    assert api.pending_update_count() == 0
