"""The one who reads the logs: at LOG_LEVEL=DEBUG they learn no tipster's identity or story."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kernel.logging_setup import configure_logging
from bot.testing.harness import BotHarness
from tests.tips.flow import deliver, tips_settings
from tests.tips.test_anonymity import PEOPLE, _anonymous_tips, needles

STORIES = (
    "Có người giao ma túy bằng xe máy trước cổng chợ.",
    "A fake bank page asks people for their OTP codes by SMS.",
)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Set up the process's logging at DEBUG, as `python -m bot run` does; yield what it writes."""
    root = logging.getLogger()
    names = ("", "bot", "telegram", "telegram.ext", "aiosqlite", "httpx", "httpcore")
    levels = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_whole_anonymous_tip_at_debug_writes_no_identity_to_the_log(
    database_path: Path, debug_log: io.StringIO
) -> None:
    bot = BotHarness(tips_settings(database_path), via_inbox=True)
    await bot.start()
    try:
        await _anonymous_tips(bot)
        await deliver(bot)
    finally:
        await bot.stop()
    written = debug_log.getvalue()
    # The scan sees the bot's own debug lines and the libraries' INFO lines.
    assert " DEBUG bot.inbox.service: handling update " in written
    assert " INFO telegram.ext.Application: Application started" in written
    found = [
        f"{person.id} {name}"
        for person in PEOPLE
        for name, needle in needles(person).items()
        if not name.endswith((":utf16", ":le", ":be")) and needle.decode() in written
    ]
    found += [story for story in STORIES if story in written]
    assert found == []
