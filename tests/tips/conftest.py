"""Fixtures for the tips tests: a bot with an officers' chat, an English-speaking resident."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.tips.flow import tips_settings


@pytest.fixture
async def bot(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot with an officers' chat configured."""
    async with BotHarness(tips_settings(database_path)) as running:
        yield running


@pytest.fixture
def english() -> Person:
    """Return a resident who writes in English."""
    return Person(id=5550777, first_name="Mary", last_name="Major", username="mary_m")
