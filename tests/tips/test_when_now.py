"""A resident who says it is happening now is reminded, once, that an emergency is for 113."""

from __future__ import annotations

import pytest

from bot.kernel.i18n import Language
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.tips.flow import OFFICERS, Answers, deliver, reach_review, shown, submit

REMINDERS = {
    "vi": (
        "🚨 Nếu có người đang gặp nguy hiểm, hãy gọi ngay 113: "
        "tin báo ở đây không được xử lý tức thì."
    ),
    "en": (
        "🚨 If someone is in danger right now, call 113 at once: "
        "a tip here is not handled instantly."
    ),
}
URGENT = {"vi": "🚨 ĐANG DIỄN RA · Tin báo", "en": "🚨 HAPPENING NOW · Tip"}
RESIDENT = Person(id=5550321, first_name="Bảo", last_name="Trịnh")


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_happening_now_gets_the_113_reminder_and_an_urgent_card(
    bot: BotHarness, language: Language
) -> None:
    await bot.app.services.set_language(RESIDENT.id, language)
    code = await submit(bot, RESIDENT, Answers(when="now"), language=language)
    said = shown(bot, RESIDENT.id)
    assert said.count(REMINDERS[language]) == 1
    # The reminder comes right after the answer, before the next question.
    assert said.index(REMINDERS[language]) < len(said) - 2
    await deliver(bot)
    cards = [text for text in shown(bot, OFFICERS) if code in text]
    # The officers' chat speaks the default language (Vietnamese), whatever the tipster's.
    assert cards[0].startswith(f"🆕 {URGENT['vi']} {code}")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("when", ["today", "skip"])
async def test_other_answers_get_no_reminder(
    bot: BotHarness, language: Language, when: str
) -> None:
    await bot.app.services.set_language(RESIDENT.id, language)
    await reach_review(bot, RESIDENT, Answers(when=when), language=language)
    assert REMINDERS[language] not in shown(bot, RESIDENT.id)
