"""Cancelling an answer gives back the person's own menu: an officer who is also a tipster gets
the officers' keyboard, a resident the residents' one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.i18n import Language, translator
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.officers.conftest import OFFICER_GQ, OFFICER_RG
from tests.triage.conftest import TIPSTER, card, deliver, open_desk, plant, press

REPLY = {"vi": "✍️ Trả lời", "en": "✍️ Reply"}


@pytest.fixture
async def desk(database_path: Path) -> AsyncIterator[BotHarness]:
    harness = await open_desk(database_path)
    yield harness
    await harness.stop()


def menu_of(harness: BotHarness, language: Language, audience: str) -> list[list[str]]:
    keyboard = harness.app.services.menu.keyboard(translator(language), audience)
    return [[button.text for button in row] for row in keyboard.keyboard]


async def cancel_an_answer(
    desk: BotHarness, tipster: Person, language: Language
) -> list[list[str]]:
    if language == "en":
        await desk.say(tipster, "/language")
        await desk.press(tipster, "🇬🇧 English")
    tip = await plant(desk, tipster)
    await card(desk, tip)
    await desk.say(OFFICER_RG, f"/ask {tip.code} Người bán thường đi xe gì?")
    await deliver(desk)
    question = desk.api.last_message(tipster.id)
    await press(desk, tipster, question, REPLY[language])
    await desk.say(tipster, "/cancel")
    cancelled = desk.api.last_message(tipster.id)
    assert cancelled.plain_text == translator(language).label("triage.reply.cancelled")
    return cancelled.reply_keyboard()


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_an_officer_who_cancels_an_answer_gets_the_officers_menu_back(
    desk: BotHarness, language: Language
) -> None:
    shown = await cancel_an_answer(desk, OFFICER_GQ, language)
    assert shown == menu_of(desk, language, "officer")
    assert shown != menu_of(desk, language, "resident")


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_resident_who_cancels_an_answer_gets_the_residents_menu_back(
    desk: BotHarness, language: Language
) -> None:
    assert await cancel_an_answer(desk, TIPSTER, language) == menu_of(desk, language, "resident")
