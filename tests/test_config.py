"""Settings: defaults, parsing, and one clear line naming the key for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kernel.config import ConfigError, load_settings

GOOD_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
GOOD_SECRET = "s" * 40


def test_defaults_follow_the_design_card() -> None:
    settings = load_settings(_env_file=None)
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_api_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("data/tips.sqlite3")
    assert settings.default_language == "vi"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.bot_mode == "polling"
    assert settings.admin_user_ids == ()


def test_environment_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ADMIN_USER_IDS", "111, 222,333")
    monkeypatch.setenv("OFFICER_CHAT_ID", "-1001234567890")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "EN")
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    settings = load_settings(_env_file=None)
    assert settings.token() == GOOD_TOKEN
    assert settings.admin_user_ids == (111, 222, 333)
    assert settings.officer_chat_id == -1001234567890
    assert settings.log_level == "DEBUG"
    assert settings.default_language == "en"
    assert settings.secret() == GOOD_SECRET.encode()


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\nDATABASE_PATH=/tmp/x.sqlite3\n")
    settings = load_settings(_env_file=env_file)
    assert settings.token() == GOOD_TOKEN
    assert settings.database_path == Path("/tmp/x.sqlite3")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("TELEGRAM_BOT_TOKEN", "garbage", "not a bot token"),
        ("TELEGRAM_API_BASE_URL", "ftp://example", "http:// or https://"),
        ("ADMIN_USER_IDS", "12,abc", "numeric Telegram user ids"),
        ("OFFICER_CHAT_ID", "officers", "must be a number"),
        ("DEFAULT_LANGUAGE", "fr", "'fr'"),
        ("TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("LOG_LEVEL", "chatty", "'CHATTY'"),
        ("BOT_MODE", "push", "'push'"),
        ("WEBHOOK_PORT", "70000", "less than or equal to 65535"),
        ("SECRET_KEY", "short", "too short"),
    ],
)
def test_malformed_value_names_its_key_in_one_line(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"{key}: ")
    assert expected in message
    assert "\n" not in message


def test_webhook_mode_requires_url_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_URL: required"):
        load_settings(_env_file=None)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET: required"):
        load_settings(_env_file=None)
    monkeypatch.setenv("WEBHOOK_SECRET", "has spaces in it")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET: only"):
        load_settings(_env_file=None)
    monkeypatch.setenv("WEBHOOK_SECRET", "abc_DEF-123-0123456789-abcdefghijklmnop")
    assert load_settings(_env_file=None).bot_mode == "webhook"


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("abc_DEF-123", "too short"),
        ("a" * 31, "too short"),
        ("a" * 31 + "!", "only A-Z"),
        ("a" * 31 + "\u00e9", "only A-Z"),
        ("a" * 257, "only A-Z"),
    ],
)
def test_a_short_or_bad_alphabet_webhook_secret_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, secret: str, expected: str
) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith("WEBHOOK_SECRET: ")
    assert expected in message
    assert "\n" not in message
    assert secret not in message
    monkeypatch.setenv("WEBHOOK_SECRET", "a" * 32)
    assert load_settings(_env_file=None).webhook_secret is not None


def test_running_needs_a_token_and_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN: not set.*@BotFather"):
        settings.require_for_run()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    with pytest.raises(ConfigError, match=r"^SECRET_KEY: not set"):
        load_settings(_env_file=None).require_for_run()


def test_blank_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "  ")
    monkeypatch.setenv("OFFICER_CHAT_ID", "")
    settings = load_settings(_env_file=None)
    assert settings.telegram_bot_token is None
    assert settings.officer_chat_id is None
