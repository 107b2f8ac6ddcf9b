"""Shared fixtures: an environment free of the developer's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.config import Settings
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's environment and `.env` out of every test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    # pydantic-settings reads `.env` from the working directory; run each test elsewhere.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Return a fresh SQLite file path for one test."""
    return tmp_path / "tips.sqlite3"


@pytest.fixture
async def harness(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot over the in-memory Bot API, stopped after the test."""
    async with BotHarness(settings_for_tests(database_path)) as running:
        yield running


@pytest.fixture
def resident() -> Person:
    """Return a resident with distinctive identity values."""
    return Person(id=5550001, first_name="Lan", last_name="Nguyễn", username="lan_ng")
