"""The sandbox's settings: its own database and secret, a fake token, the simulated group."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.kernel.config import ConfigError, load_settings
from bot.sandbox.settings import (
    DEFAULT_DATABASE,
    OFFICERS_CHAT_ID,
    sandbox_settings,
    secret_path,
)


def test_defaults_point_at_the_sandbox_database_and_the_fake_group() -> None:
    settings = sandbox_settings(load_settings(_env_file=None), admin_ids=(42,))
    assert settings.database_path == DEFAULT_DATABASE == Path("data/sandbox.sqlite3")
    assert settings.officer_chat_id == OFFICERS_CHAT_ID
    assert settings.admin_user_ids == (42,)
    assert settings.telegram_bot_token is not None
    assert settings.backup_interval_hours == 0
    assert settings.backup_dir == Path("data/sandbox-backups")


def test_a_secret_is_generated_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "play.sqlite3"
    first = sandbox_settings(load_settings(_env_file=None), database=database)
    path = secret_path(database)
    assert path == tmp_path / "play.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = sandbox_settings(load_settings(_env_file=None), database=database)
    assert first.secret() == again.secret() == path.read_text().strip().encode()


def test_a_configured_secret_and_admins_are_kept(tmp_path: Path) -> None:
    secret = "configured-secret-key-that-is-long-enough-0123456789"
    base = load_settings(_env_file=None, secret_key=secret, admin_user_ids="7,8")
    settings = sandbox_settings(base, database=tmp_path / "s.sqlite3", admin_ids=(8, 9))
    assert settings.secret() == secret.encode()
    assert settings.admin_user_ids == (7, 8, 9)
    assert not secret_path(tmp_path / "s.sqlite3").exists()


def test_the_bots_own_database_is_refused(tmp_path: Path) -> None:
    base = load_settings(_env_file=None, database_path=tmp_path / "tips.sqlite3")
    with pytest.raises(ConfigError, match=r"DATABASE_PATH: .* the bot's own database"):
        sandbox_settings(base, database=tmp_path / "." / "tips.sqlite3")
