"""The documentation keeps up with the code: every setting is in README and .env.example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.kernel.config import Settings

ROOT = Path(__file__).resolve().parent.parent
KEYS = sorted(name.upper() for name in Settings.model_fields)


@pytest.mark.parametrize("key", KEYS)
def test_every_setting_is_in_the_readme_table(key: str) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert re.search(rf"^\| `{key}` \|", readme, re.MULTILINE), f"{key} missing in README"


@pytest.mark.parametrize("key", KEYS)
def test_every_setting_is_in_env_example_with_a_comment(key: str) -> None:
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    index = next((i for i, line in enumerate(lines) if line.startswith(f"{key}=")), None)
    assert index is not None, f"{key} missing in .env.example"
    above = [line for line in lines[:index] if line.strip()]
    assert above, f"{key} has no comment above it"
    assert above[-1].startswith("#") or above[-1].split("=")[0].isupper()


def test_env_example_names_no_unknown_setting() -> None:
    names = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text("utf-8").splitlines()
        if re.match(r"^[A-Z_]+=", line)
    }
    assert names - set(KEYS) == set()


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "make run" in readme
    assert "make test" in readme
