"""Fixtures for the sandbox: a started session on a fresh file, and a way to play a script."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.kernel.config import load_settings
from bot.sandbox.people import ADMIN
from bot.sandbox.session import Sandbox
from bot.sandbox.settings import sandbox_settings
from bot.sandbox.terminal import run_script


@dataclass(frozen=True)
class Played:
    """What a script printed and the exit code it would give."""

    transcript: str
    code: int


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """Return a started sandbox on its own database, as `python -m bot sandbox` builds it."""
    settings = sandbox_settings(
        load_settings(_env_file=None),
        database=tmp_path / "sandbox.sqlite3",
        admin_ids=(ADMIN.person.id,),
    )
    running = Sandbox(settings, files_dir=tmp_path / "files")
    await running.start()
    yield running
    await running.stop()


Play = Callable[[str], Awaitable[Played]]


@pytest.fixture
def play(sandbox: Sandbox) -> Play:
    """Return a function that runs the lines of a script through the sandbox, as script mode."""

    async def run(script: str) -> Played:
        out = io.StringIO()
        code = await run_script(sandbox, script.strip().splitlines(), out)
        return Played(out.getvalue(), code)

    return run
