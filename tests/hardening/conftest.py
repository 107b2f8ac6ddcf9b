"""Fixtures of the hardening tests: a started bot with an officers' chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import BotHarness
from bot.tips.conversation import send as conversation_send
from bot.tips.handlers import EXPIRY_JOB
from bot.tips.outbox import JOB_NAME
from tests.tips.flow import tips_settings


@pytest.fixture
async def bot(database_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotHarness]:
    """Return a started bot with an officers' chat, whose outbox runs only when a test says.

    The outbox's repeating job, its run right after each tip and the draft expiry would race
    the faults a test injects and the runs it counts, so they are left to the test.
    """
    monkeypatch.setattr(conversation_send, "kick_outbox", lambda _context: None)
    async with BotHarness(tips_settings(database_path)) as running:
        assert running.app.job_queue is not None
        for name in (JOB_NAME, EXPIRY_JOB):
            for job in running.app.job_queue.get_jobs_by_name(name):
                job.schedule_removal()
        yield running
