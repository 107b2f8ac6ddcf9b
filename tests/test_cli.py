"""`python -m bot` as a real process: one clear line and exit code 2 for every bad setting."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot import __version__
from bot.db.migrations import LATEST_VERSION
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, run_bot_cli


def _one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    # Without a token, `run` starts the local sandbox; with nothing on stdin it ends at once.
    result = run_bot_cli("run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = _one_clear_line(result)
    assert "TELEGRAM_BOT_TOKEN" in line
    assert "sandbox" in line
    assert "@BotFather" in line
    assert ".env" in line
    assert not (tmp_path / "data" / "tips.sqlite3").exists()


def test_default_command_is_run(tmp_path: Path) -> None:
    result = run_bot_cli(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in _one_clear_line(result)


def test_garbage_token_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run_bot_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN="garbage")
    assert result.returncode == 2
    assert _one_clear_line(result).startswith(
        "Configuration error: TELEGRAM_BOT_TOKEN: not a bot token"
    )


def test_missing_secret_key_is_named(tmp_path: Path) -> None:
    result = run_bot_cli("run", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN)
    assert result.returncode == 2
    assert "SECRET_KEY: not set" in _one_clear_line(result)


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TIMEZONE=Nowhere/Land\n")
    result = run_bot_cli("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "TIMEZONE: unknown time zone 'Nowhere/Land'" in _one_clear_line(result)


def test_check_config_hides_secrets(tmp_path: Path) -> None:
    result = run_bot_cli(
        "check-config", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, SECRET_KEY=TEST_SECRET
    )
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert TEST_TOKEN not in result.stdout
    assert TEST_SECRET not in result.stdout
    assert "TIMEZONE=Asia/Ho_Chi_Minh" in result.stdout


def test_version(tmp_path: Path) -> None:
    result = run_bot_cli("version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"tinbao-bot {__version__} (schema {LATEST_VERSION})"


def test_migrate_then_backup(tmp_path: Path) -> None:
    result = run_bot_cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"schema version {LATEST_VERSION}" in result.stdout
    database = tmp_path / "data" / "tips.sqlite3"
    assert database.exists()

    result = run_bot_cli("backup", "backups/copy.sqlite3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "backups" / "copy.sqlite3") as copy:
        assert copy.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == (
            LATEST_VERSION
        )

    result = run_bot_cli("backup", "backups/copy.sqlite3", cwd=tmp_path)
    assert result.returncode == 1
    assert "--force" in _one_clear_line(result)


def test_backup_of_a_missing_database_names_the_key(tmp_path: Path) -> None:
    result = run_bot_cli("backup", "x.sqlite3", cwd=tmp_path, DATABASE_PATH="nowhere.sqlite3")
    assert result.returncode == 2
    assert "DATABASE_PATH: no database at nowhere.sqlite3" in _one_clear_line(result)


def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    assert run_bot_cli("migrate", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "tips.sqlite3") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01')")
    result = run_bot_cli("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "newer than this bot knows" in _one_clear_line(result)


@pytest.mark.parametrize(
    ("webhook_url", "missing_key"),
    [("", "WEBHOOK_URL"), ("https://example.org/hook", "WEBHOOK_SECRET")],
)
def test_incomplete_webhook_settings_stop_start_up(
    tmp_path: Path, webhook_url: str, missing_key: str
) -> None:
    result = run_bot_cli(
        "run",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        SECRET_KEY=TEST_SECRET,
        BOT_MODE="webhook",
        WEBHOOK_URL=webhook_url,
    )
    assert result.returncode == 2
    assert f"{missing_key}: required" in _one_clear_line(result)
