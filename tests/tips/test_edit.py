"""Every "Edit" on the review goes to its step and comes back to the review with the change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips import steps
from tests.tips.flow import Answers, last_shown, reach_review, receipt_code

Change = Callable[[BotHarness, Person], Awaitable[None]]


async def _category(bot: BotHarness, person: Person) -> None:
    await bot.press(person, "🎲 Cờ bạc")


async def _story(bot: BotHarness, person: Person) -> None:
    await bot.say(person, "Sòng bạc trong nhà văn hóa ấp, tối thứ bảy.")
    await bot.press(person, "✅ Xong")


async def _place(bot: BotHarness, person: Person) -> None:
    await bot.say(person, "🤷 Không nhớ rõ")


async def _when(bot: BotHarness, person: Person) -> None:
    await bot.press(person, "⏭ Bỏ qua")


async def _evidence(bot: BotHarness, person: Person) -> None:
    await bot.send(bot.updates.video(person))
    await bot.press(person, "✅ Xong")


async def _identity(bot: BotHarness, person: Person) -> None:
    await bot.press(person, "📞 Để lại liên lạc")
    await bot.say(person, "lan.nguyen@example.com")


async def _legal(bot: BotHarness, person: Person) -> None:
    await bot.press(person, "Tin báo về tội phạm")


EDITS: dict[str, tuple[str, str, Change, str]] = {
    # button, step it opens, how the answer changes, what the review then shows
    "category": ("✏️ Loại vụ việc", steps.CATEGORY, _category, "🎲 Cờ bạc"),
    "story": ("✏️ Nội dung", steps.STORY, _story, "Sòng bạc trong nhà văn hóa ấp"),
    "place": ("✏️ Địa điểm", steps.PLACE, _place, "🤷 Không nhớ rõ"),
    "when": ("✏️ Thời gian", steps.WHEN, _when, "Thời gian: Không rõ"),
    "evidence": ("✏️ Tệp đính kèm", steps.EVIDENCE, _evidence, "Tệp đính kèm: 2 tệp"),
    "identity": ("✏️ Danh tính", steps.IDENTITY, _identity, "📞 lan.nguyen@example.com"),
    "legal": ("✏️ Phân loại tin", steps.LEGAL, _legal, "Tin báo về tội phạm (bạn chọn)"),
}


@pytest.mark.parametrize("target", list(EDITS))
async def test_each_edit_returns_to_the_review_with_the_change(
    bot: BotHarness, resident: Person, target: str
) -> None:
    button, step, change, expected = EDITS[target]
    await reach_review(bot, resident, Answers(photos=1))
    await bot.press(resident, button)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.step == step
    await change(bot, resident)
    review = last_shown(bot, resident.id)
    assert "Xem lại tin báo" in review
    assert expected in review
    await bot.press(resident, "📨 Gửi")
    tip = await bot.app.services.tips.tips.by_code(receipt_code(bot, resident))
    assert tip is not None
    if target == "story":
        # The new story replaces the old one rather than adding to it.
        assert tip.story == "Sòng bạc trong nhà văn hóa ấp, tối thứ bảy."


async def test_back_returns_to_the_review_unchanged(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident)
    before = last_shown(bot, resident.id)
    await bot.press(resident, "✏️ Nội dung")
    await bot.press(resident, "↩️ Quay lại phần xem lại")
    assert last_shown(bot, resident.id) == before


async def test_files_can_be_removed_from_the_review(bot: BotHarness, resident: Person) -> None:
    await reach_review(bot, resident, Answers(photos=2))
    await bot.press(resident, "✏️ Tệp đính kèm")
    await bot.press(resident, "🗑 Xóa hết tệp")
    await bot.press(resident, "⏭ Không có tệp")
    assert "Tệp đính kèm: không có" in last_shown(bot, resident.id)


async def test_the_review_keyboard_is_removed_when_editing(
    bot: BotHarness, resident: Person
) -> None:
    await reach_review(bot, resident)
    review = bot.api.last_message(resident.id)
    await bot.press(resident, "✏️ Thời gian")
    assert bot.api.message(resident.id, review.message_id).buttons() == []
