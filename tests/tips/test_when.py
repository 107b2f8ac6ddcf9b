"""The time step takes a day the way people say it, with a time of day, and a «Hôm qua» button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.kernel.clock import Clock
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips import steps
from bot.tips.dates import DateProblem, Moment, parse_past_moment
from tests.tips.flow import OFFICERS, deliver, label, last_shown, receipt_code, tips_settings

# Friday 4 December 2026, 13:00 in Kiên Giang (UTC+7).
NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
LOCAL_NOW = datetime(2026, 12, 4, 13, 0)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hôm qua", Moment(date(2026, 12, 3))),
        ("Tối qua", Moment(date(2026, 12, 3))),
        ("tối qua 20h", Moment(date(2026, 12, 3), time(20, 0))),
        ("hôm kia lúc 7h sáng", Moment(date(2026, 12, 2), time(7, 0))),
        ("thứ hai", Moment(date(2026, 11, 30))),
        ("thứ 2 8 giờ tối", Moment(date(2026, 11, 30), time(20, 0))),
        ("thu bay", Moment(date(2026, 11, 28))),
        ("chủ nhật 20:30", Moment(date(2026, 11, 29), time(20, 30))),
        ("thứ sáu", Moment(date(2026, 12, 4))),
        ("20h30", Moment(date(2026, 12, 3), time(20, 30))),
        ("9h sáng", Moment(date(2026, 12, 4), time(9, 0))),
        ("25/12 20:30", Moment(date(2025, 12, 25), time(20, 30))),
        ("10.12", Moment(date(2025, 12, 10))),
        ("yesterday", Moment(date(2026, 12, 3))),
        ("last night", Moment(date(2026, 12, 3))),
        ("Yesterday at 8:30 pm", Moment(date(2026, 12, 3), time(20, 30))),
        ("monday 8pm", Moment(date(2026, 11, 30), time(20, 0))),
        ("last friday", Moment(date(2026, 11, 27))),
        ("sunday", Moment(date(2026, 11, 29))),
        ("hôm nay 20h", DateProblem.FUTURE),
        ("25h", DateProblem.MALFORMED),
        ("20:75", DateProblem.MALFORMED),
        ("thứ tám", DateProblem.MALFORMED),
        ("ngày mai", DateProblem.MALFORMED),
        ("", DateProblem.MALFORMED),
        ("z" * 10_000, DateProblem.MALFORMED),
    ],
)
def test_days_and_times_are_read_as_people_say_them(
    typed: str, expected: Moment | DateProblem
) -> None:
    assert parse_past_moment(typed, LOCAL_NOW) == expected


@pytest.fixture
async def bot(database_path: Path) -> AsyncIterator[BotHarness]:
    """A bot whose clock reads Friday 4 December 2026, 13:00 local time."""
    async with BotHarness(tips_settings(database_path), clock=Clock(NOW)) as running:
        yield running


async def _to_when(bot: BotHarness, person: Person, language: str = "vi") -> None:
    if language == "en":
        await bot.say(person, "/language")
        await bot.press(person, "🇬🇧 English")
    await bot.say(person, "/tip")
    await bot.press(person, "💊 Ma túy" if language == "vi" else "💊 Drugs")
    await bot.say(person, "Có người bán ma túy ở đầu hẻm 12 mỗi tối.")
    await bot.press(person, label("tips.button.done", "vi" if language == "vi" else "en"))
    await bot.say(person, "Hẻm 12 đường Nguyễn Trung Trực")


async def _draft(bot: BotHarness, person: Person) -> tuple[str | None, str | None, str | None]:
    record = await bot.app.services.tips.load_draft(person.id)
    assert record is not None
    draft = record.draft
    return draft.occurred_on, draft.occurred_time, record.step


async def test_the_yesterday_button_in_both_languages(
    bot: BotHarness, resident: Person, english: Person
) -> None:
    await _to_when(bot, resident)
    await bot.press(resident, "📅 Hôm qua")
    assert await _draft(bot, resident) == ("2026-12-03", None, steps.EVIDENCE)
    await _to_when(bot, english, "en")
    await bot.press(english, "📅 Yesterday")
    assert await _draft(bot, english) == ("2026-12-03", None, steps.EVIDENCE)


async def test_a_spoken_day_and_time_reach_the_review_and_the_card(
    bot: BotHarness, resident: Person
) -> None:
    await _to_when(bot, resident)
    await bot.press(resident, "🗓 Trước đó (nhập ngày)")
    assert "tối qua 20h" in last_shown(bot, resident.id)
    await bot.say(resident, "tối qua 20h")
    assert await _draft(bot, resident) == ("2026-12-03", "20:00", steps.EVIDENCE)
    await bot.press(resident, "⏭ Không có tệp")
    await bot.press(resident, "🕶 Gửi ẩn danh (khuyên dùng)")
    assert "🗓 Ngày 03/12/2026 lúc 20:00" in last_shown(bot, resident.id)
    await bot.press(resident, "📨 Gửi")
    code = receipt_code(bot, resident)
    tip = await bot.app.services.tips.tip_by_code(code)
    assert tip is not None
    assert (tip.occurred_on, tip.occurred_time) == (date(2026, 12, 3), "20:00")
    await deliver(bot)
    assert "Ngày 03/12/2026 lúc 20:00" in last_shown(bot, OFFICERS)


async def test_english_days_typed_at_the_buttons(bot: BotHarness, english: Person) -> None:
    await _to_when(bot, english, "en")
    await bot.say(english, "last friday 8 pm")
    assert await _draft(bot, english) == ("2026-11-27", "20:00", steps.EVIDENCE)
    await bot.press(english, "⏭ No files")
    await bot.press(english, "🕶 Stay anonymous (recommended)")
    assert "🗓 On 27/11/2026 at 20:00" in last_shown(bot, english.id)


async def test_bad_spoken_days_are_explained(
    bot: BotHarness, resident: Person, english: Person
) -> None:
    await _to_when(bot, resident)
    await bot.press(resident, "🗓 Trước đó (nhập ngày)")
    await bot.say(resident, "hôm nay 20h")
    assert "chưa tới" in last_shown(bot, resident.id)
    await bot.say(resident, "thứ tám")
    assert "Không đọc được ngày «thứ tám»" in last_shown(bot, resident.id)
    await bot.send(bot.updates.sticker(resident))
    assert (await _draft(bot, resident))[2] == steps.WHEN_DATE
    await _to_when(bot, english, "en")
    await bot.press(english, "🗓 Earlier (type the date)")
    await bot.say(english, "25h")
    assert "I could not read the date “25h”" in last_shown(bot, english.id)
    assert await _draft(bot, english) == (None, None, steps.WHEN_DATE)


async def _step(bot: BotHarness, person: Person) -> str | None:
    record = await bot.app.services.tips.load_draft(person.id)
    return None if record is None else record.step


async def test_every_step_goes_back_to_the_one_before(bot: BotHarness, resident: Person) -> None:
    await _to_when(bot, resident)
    await bot.press(resident, "🗓 Trước đó (nhập ngày)")
    assert await _step(bot, resident) == steps.WHEN_DATE
    walked = []
    # Inline «Quay lại» from the typed date to the story; the place step's is a reply button.
    for _ in range(2):
        await bot.press(resident, "⬅️ Quay lại")
        walked.append(await _step(bot, resident))
    await bot.say(resident, "⬅️ Quay lại")
    walked.append(await _step(bot, resident))
    assert "⬅️ Quay lại bước trước." in [
        message.plain_text for message in bot.api.sent_messages(resident.id)[-2:]
    ]
    await bot.press(resident, "⬅️ Quay lại")
    walked.append(await _step(bot, resident))
    assert walked == [steps.WHEN, steps.PLACE, steps.STORY, steps.CATEGORY]
    # The first step has no way back; an old «Quay lại» pressed there changes nothing.
    category = bot.api.last_message(resident.id)
    assert "⬅️ Quay lại" not in str(category.buttons())
    old = next(
        message
        for message in reversed(bot.api.sent_messages(resident.id))
        if "⬅️ Quay lại" in str(message.buttons())
    )
    await bot.send(bot.updates.callback(resident, old, "td:prev"))
    answer = bot.api.calls_for("answerCallbackQuery")[-1].params
    assert answer["show_alert"] is True
    assert await _step(bot, resident) == steps.CATEGORY
    # The answers given are kept: forward again, the story is still there.
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.story_parts == ["Có người bán ma túy ở đầu hẻm 12 mỗi tối."]


async def test_back_from_the_contact_step_in_english(bot: BotHarness, english: Person) -> None:
    await _to_when(bot, english, "en")
    await bot.press(english, "📅 Yesterday")
    await bot.press(english, "⬅️ Back")
    assert await _step(bot, english) == steps.WHEN
    await bot.press(english, "📅 Today")
    await bot.press(english, "⏭ No files")
    await bot.press(english, "📞 Leave a contact")
    assert await _step(bot, english) == steps.CONTACT
    await bot.say(english, "⬅️ Back")
    assert await _step(bot, english) == steps.IDENTITY
    assert "⬅️ Back to the step before." in [
        message.plain_text for message in bot.api.sent_messages(english.id)[-2:]
    ]
    # Not taken as a contact, nor as an address.
    record = await bot.app.services.tips.load_draft(english.id)
    assert record is not None
    assert record.draft.contact is None
    assert record.draft.place_text == "Hẻm 12 đường Nguyễn Trung Trực"
    # Outside a draft the label is just text: no step to go back to.
    await bot.say(english, "/cancel")
    await bot.say(english, "⬅️ Back")
    assert await _step(bot, english) is None
