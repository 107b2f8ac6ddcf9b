"""Every step answers what it did not expect with a hint, and /cancel works at every step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips import steps
from tests.tips.flow import last_shown, shown

STORY = "Có người lạ đột nhập vào nhà kho của hợp tác xã lúc nửa đêm."


async def _go_to(bot: BotHarness, person: Person, step: str) -> None:
    """Walk the shortest way to `step`."""
    await bot.say(person, "/tip")
    if step == steps.CATEGORY:
        return
    await bot.press(person, "👜 Trộm cắp, cướp giật")
    if step == steps.STORY:
        return
    await bot.say(person, STORY)
    await bot.press(person, "✅ Xong")
    if step == steps.PLACE:
        return
    if step == steps.PLACE_UNIT:
        await bot.say(person, "🏘 Chọn xã/phường")
        return
    await bot.say(person, "Kho hợp tác xã ấp 3")
    if step == steps.WHEN:
        return
    if step == steps.WHEN_DATE:
        await bot.press(person, "🗓 Trước đó (nhập ngày)")
        return
    await bot.press(person, "⚡ Đang xảy ra / vừa xong")
    if step == steps.EVIDENCE:
        return
    await bot.press(person, "⏭ Không có tệp")
    if step == steps.IDENTITY:
        return
    if step == steps.CONTACT:
        await bot.press(person, "📞 Để lại liên lạc")
        return
    await bot.press(person, "🕶 Gửi ẩn danh (khuyên dùng)")
    if step == steps.REVIEW:
        return
    assert step == steps.LEGAL
    await bot.press(person, "✏️ Phân loại tin")


async def _step(bot: BotHarness, person: Person) -> str | None:
    record = await bot.app.services.tips.load_draft(person.id)
    return None if record is None else record.step


HINTS = {
    steps.CATEGORY: "Hãy bấm một loại vụ việc",
    steps.STORY: "hãy kể bằng chữ hoặc gửi tin nhắn thoại",
    steps.PLACE: "hãy gửi vị trí, gõ địa chỉ",
    steps.PLACE_UNIT: "Hãy gõ tên xã, phường bằng chữ",
    steps.WHEN: "Hãy bấm một nút bên dưới, hoặc gõ ngày",
    steps.WHEN_DATE: "Hãy gõ ngày theo dạng ngày/tháng/năm",
    steps.EVIDENCE: "hãy gửi ảnh, video, tài liệu hoặc ghi âm",
    steps.IDENTITY: "Hãy chọn một trong hai nút",
    steps.CONTACT: "gõ số điện thoại hoặc email, hoặc chọn gửi ẩn danh",
    steps.REVIEW: "Hãy kiểm tra lại rồi bấm «📨 Gửi»",
    steps.LEGAL: "Hãy chọn một cách phân loại",
}


@pytest.mark.parametrize("step", list(HINTS))
@pytest.mark.parametrize("kind", ["sticker", "poll"])
async def test_stickers_and_polls_get_the_steps_hint(
    bot: BotHarness, resident: Person, step: str, kind: str
) -> None:
    await _go_to(bot, resident, step)
    assert await _step(bot, resident) == step
    update = bot.updates.sticker(resident) if kind == "sticker" else bot.updates.poll(resident)
    await bot.send(update)
    assert HINTS[step] in last_shown(bot, resident.id)
    assert await _step(bot, resident) == step


@pytest.mark.parametrize(
    "step", [steps.STORY, steps.PLACE, steps.PLACE_UNIT, steps.WHEN_DATE, steps.CONTACT]
)
async def test_a_file_where_text_is_asked_gets_the_hint(
    bot: BotHarness, resident: Person, step: str
) -> None:
    await _go_to(bot, resident, step)
    await bot.send(bot.updates.document(resident))
    assert HINTS[step] in last_shown(bot, resident.id)
    assert await _step(bot, resident) == step
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.evidence == []


@pytest.mark.parametrize("step", [steps.CATEGORY, steps.EVIDENCE, steps.IDENTITY, steps.REVIEW])
async def test_text_where_a_button_is_expected_gets_the_hint_and_the_buttons(
    bot: BotHarness, resident: Person, step: str
) -> None:
    await _go_to(bot, resident, step)
    await bot.say(resident, "xin chào")
    hint = bot.api.last_message(resident.id)
    assert HINTS[step] in hint.raw["text"]
    assert hint.buttons(), "the hint carries the step's buttons"
    assert await _step(bot, resident) == step


async def test_a_ten_thousand_character_story_is_refused_clearly(
    bot: BotHarness, resident: Person
) -> None:
    await _go_to(bot, resident, steps.STORY)
    await bot.say(resident, "x" * 10_000)
    assert "tối đa 3000 ký tự, tin nhắn này dài 10000 ký tự" in last_shown(bot, resident.id)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.story_parts == []
    # Several parts may not add up past the limit either.
    await bot.say(resident, "a " * 1400)
    await bot.say(resident, "b " * 400)
    assert "chỉ còn chỗ cho" in last_shown(bot, resident.id)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert len(record.draft.story_parts) == 1


async def test_a_too_short_story_is_not_accepted(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.STORY)
    await bot.say(resident, "trộm")
    await bot.press(resident, "✅ Xong")
    assert "Nội dung hơi ngắn" in last_shown(bot, resident.id)
    assert await _step(bot, resident) == steps.STORY
    await bot.say(resident, "vừa lấy xe máy trước nhà")
    await bot.press(resident, "✅ Xong")
    assert await _step(bot, resident) == steps.PLACE


async def test_an_eleventh_attachment_is_refused(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.EVIDENCE)
    for index in range(10):
        if index % 3 == 0:
            await bot.send(bot.updates.video(resident))
        elif index % 3 == 1:
            await bot.send(bot.updates.photo(resident))
        else:
            await bot.send(bot.updates.voice(resident))
    assert "Đã nhận tệp 10/10" in last_shown(bot, resident.id)
    await bot.send(bot.updates.photo(resident))
    assert "Đã đủ 10 tệp nên tệp này chưa được nhận" in last_shown(bot, resident.id)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert len(record.draft.evidence) == 10
    await bot.press(resident, "✅ Xong")
    assert await _step(bot, resident) == steps.IDENTITY


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ngày mai", "Không đọc được ngày «ngày mai»"),
        ("31/02/2024", "Không đọc được ngày «31/02/2024»"),
        ("01/01/2999", "Ngày «01/01/2999» chưa tới"),
        ("01/01/1901", "quá xa"),
    ],
)
async def test_bad_dates_are_explained(
    bot: BotHarness, resident: Person, typed: str, expected: str
) -> None:
    await _go_to(bot, resident, steps.WHEN_DATE)
    await bot.say(resident, typed)
    assert expected in last_shown(bot, resident.id)
    assert await _step(bot, resident) == steps.WHEN_DATE


async def test_a_date_typed_at_the_buttons_is_taken(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.WHEN)
    await bot.say(resident, "1/1/2024")
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert (record.draft.occurred, record.draft.occurred_on) == ("date", "2024-01-01")
    assert record.step == steps.EVIDENCE


async def test_an_unknown_unit_name_is_explained(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.PLACE_UNIT)
    await bot.say(resident, "Phường Không Tồn Tại")
    assert "Không tìm thấy xã, phường nào tên «Phường Không Tồn Tại»" in last_shown(
        bot, resident.id
    )
    assert await _step(bot, resident) == steps.PLACE_UNIT
    await bot.say(resident, "🤷 Không nhớ rõ")
    assert await _step(bot, resident) == steps.WHEN


async def test_an_address_too_short_is_refused(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.PLACE)
    await bot.say(resident, "ở")
    assert "Địa chỉ quá ngắn" in last_shown(bot, resident.id)
    await bot.say(resident, "x" * 400)
    assert "tối đa là 300" in last_shown(bot, resident.id)
    assert await _step(bot, resident) == steps.PLACE


async def test_contacts_that_are_not_usable_are_refused(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.CONTACT)
    await bot.send(bot.updates.contact(resident, "+84900000000", own=False))
    assert "Đây không phải số của bạn" in last_shown(bot, resident.id)
    await bot.say(resident, "gọi tôi nhé")
    assert "Trông không giống số điện thoại hay email" in last_shown(bot, resident.id)
    assert await _step(bot, resident) == steps.CONTACT
    await bot.say(resident, "0912 345 678")
    assert await _step(bot, resident) == steps.REVIEW


async def test_the_contact_step_can_go_back_to_anonymity(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.CONTACT)
    await bot.say(resident, "🕶 Thôi, gửi ẩn danh")
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.anonymous
    assert record.draft.contact is None
    assert record.step == steps.REVIEW


async def test_an_old_steps_button_is_answered_not_obeyed(
    bot: BotHarness, resident: Person
) -> None:
    await _go_to(bot, resident, steps.STORY)
    category_prompt = bot.api.sent_messages(resident.id)[1]
    data = "td:cat:fraud"
    await bot.send(bot.updates.callback(resident, category_prompt, data))
    answer = bot.api.calls_for("answerCallbackQuery")[-1]
    assert answer.params["text"] == "Nút này thuộc một bước trước. Hãy dùng tin nhắn mới nhất."
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.category == "theft"


Cancel = Callable[[BotHarness, Person], Awaitable[None]]


async def _cancel_command(bot: BotHarness, person: Person) -> None:
    await bot.say(person, "/cancel")


async def _cancel_button(bot: BotHarness, person: Person) -> None:
    await bot.say(person, "✖️ Hủy gửi tin")


@pytest.mark.parametrize("step", steps.ALL)
@pytest.mark.parametrize("how", [_cancel_command, _cancel_button], ids=["command", "button"])
async def test_cancel_works_at_every_step(
    bot: BotHarness, resident: Person, step: str, how: Cancel
) -> None:
    await _go_to(bot, resident, step)
    await how(bot, resident)
    reply = bot.api.last_message(resident.id)
    assert "Đã hủy. Không có gì được gửi đi" in reply.raw["text"]
    assert reply.reply_keyboard()[0] == ["📨 Gửi tin báo", "📋 Tin báo của tôi"]
    db = bot.app.services.db
    assert await db.fetch_value("SELECT count(*) FROM tip_drafts") == 0
    assert await db.fetch_value("SELECT count(*) FROM conversation_states") == 0
    assert await db.fetch_value("SELECT count(*) FROM tips") == 0
    # Nothing of the draft lingers: the next message is core's again.
    await bot.say(resident, "/cancel")
    assert "Không có thao tác nào đang thực hiện" in last_shown(bot, resident.id)


async def test_cancel_from_the_review_button(bot: BotHarness, resident: Person) -> None:
    await _go_to(bot, resident, steps.REVIEW)
    await bot.press(resident, "✖️ Hủy")
    assert "Đã hủy" in shown(bot, resident.id)[-1]
    assert await bot.app.services.db.fetch_value("SELECT count(*) FROM tips") == 0
