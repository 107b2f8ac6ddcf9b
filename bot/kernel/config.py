"""Typed settings read from the environment and `.env`; one clear line for every bad value."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.kernel.status import Status

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_API_FILE_URL = "https://api.telegram.org/file/bot"

# @BotFather hands out "<bot id>:<35 url-safe characters>"; we accept any length >= 20 after the
# colon so self-hosted Bot API servers with shorter test tokens still work.
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
# Telegram's alphabet for the X-Telegram-Bot-Api-Secret-Token header (up to 256 characters). The
# header is all that tells a forged webhook post from Telegram's, so it must be long enough not to
# be guessed: at least 32 characters, like SECRET_KEY.
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MIN_WEBHOOK_SECRET_LENGTH = 32
_CLOCK_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message is one line naming the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class Settings(BaseSettings):
    """Every setting of the bot; field names are the environment keys in lower case."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    telegram_api_file_url: str = TELEGRAM_API_FILE_URL
    database_path: Path = Path("data/tips.sqlite3")
    officer_chat_id: int | None = None
    admin_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    secret_key: SecretStr | None = None
    # Telegram allows about 30 messages a second overall and 20 a minute into one group; the
    # rate limiter queues sends to stay under those instead of collecting 429 errors.
    rate_limit_per_second: float = Field(default=30.0, gt=0)
    rate_limit_group_per_minute: float = Field(default=20.0, gt=0)
    # How many updates are handled at once (bot/ptb/concurrency.py): each person's and each group's
    # still in order; 1 handles one update at a time, as python-telegram-bot does by default.
    concurrent_updates: int = Field(default=64, ge=1, le=1024)
    # The durable inbox (bot/inbox): an update whose handling keeps failing is set aside (and
    # the administrators told) after INBOX_MAX_ATTEMPTS runs; handled updates are remembered
    # INBOX_KEEP_DONE_HOURS so that Telegram's redelivery of one is recognised (it keeps an
    # unconfirmed update for 24 hours).
    inbox_max_attempts: int = Field(default=5, ge=1, le=100)
    inbox_keep_done_hours: float = Field(default=48.0, ge=24)
    # Start-up when the Bot API cannot be reached: tried again with a growing wait (up to a
    # minute) this many times; 0 tries for ever (a router restarting must not leave residents
    # without a bot).
    startup_max_attempts: int = Field(default=0, ge=0)
    # Tips (bot/tips): an unfinished draft is discarded, with a notice, after this idle time;
    # per-resident limits; whether evidence is downloaded (to strip EXIF/GPS) before it is
    # passed on; how often the outbox to the officers' chats is retried.
    tip_draft_idle_minutes: int = Field(default=60, ge=1)
    tip_limit_per_hour: int = Field(default=5, ge=1)
    tip_limit_per_day: int = Field(default=20, ge=1)
    # The unit's own target, in days from receipt, to answer a «phản ánh, kiến nghị» (no statute
    # sets one; a crime report runs on art. 147's 20 days instead): docs/legal.md.
    service_target_days: int = Field(default=15, ge=1, le=365)
    evidence_download: bool = False
    outbox_interval_seconds: float = Field(default=5.0, gt=0)
    # A delivery Telegram refuses for good (a 400 such as a text it cannot parse) is tried this many
    # times, then kept as a dead letter and the administrators are told; a transient failure
    # (429, 5xx, a timeout) never counts: an officers' chat that is down must not lose a tip.
    outbox_max_permanent_failures: int = Field(default=5, ge=1)
    # Where alerts to the administrators go (bot/outbox/alerts.py): this chat (e.g. a group of the
    # admins) if set, else each admin's private chat (ADMIN_USER_IDS and registry admins).
    admin_chat_id: int | None = None
    # Triage (bot/triage): a tip nobody has taken for UNTAKEN_ALERT_HOURS shows in /overdue and
    # in the daily digest, sent to the officers' chats at DIGEST_TIME (local, TIMEZONE); the
    # tipster is told when their tip reaches one of NOTIFY_STATUSES; questions relayed to a
    # tipster name the asking officer only if RELAY_SHOW_OFFICER_NAME.
    untaken_alert_hours: float = Field(default=24.0, gt=0)
    digest_time: str = "07:30"
    notify_statuses: Annotated[tuple[str, ...], NoDecode] = (
        "taken",
        "verified",
        "unfounded",
        "transferred",
        "closed",
    )
    relay_show_officer_name: bool = False
    # Routing (bot/units/routing.py): a tip whose place is a map pin, and no unit chosen, goes to
    # the deepest active unit whose centroid is within ROUTING_RADIUS_KM of the pin; 0 turns it off.
    routing_radius_km: float = Field(default=15.0, ge=0, le=500)

    # Online backups: every BACKUP_INTERVAL_HOURS (0 turns them off), newest BACKUP_KEEP kept.
    backup_dir: Path = Path("data/backups")
    backup_interval_hours: float = Field(default=24.0, ge=0)
    backup_keep: int = Field(default=7, ge=1)
    # Retention (bot/maintenance/retention.py): RETENTION_DAYS after a tip is closed, its links to
    # the tipster and its file references are purged (the tip itself stays); 0 keeps them for ever.
    retention_days: int = Field(default=365, ge=0)

    @field_validator("telegram_bot_token", "webhook_secret", "secret_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("officer_chat_id", "admin_chat_id", "webhook_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError(
                "not a bot token; @BotFather gives one like 123456789:AAH... (digits, a colon, "
                "then letters)"
            )
        return value

    @field_validator("telegram_api_base_url", "telegram_api_file_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            bad = [part for part in parts if not re.fullmatch(r"-?\d+", part)]
            if bad:
                raise ValueError(
                    f"must be comma-separated numeric Telegram user ids, got {bad[0]!r}"
                )
            return tuple(int(part) for part in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("digest_time")
    @classmethod
    def _local_time(cls, value: str) -> str:
        if not _CLOCK_TIME_RE.match(value.strip()):
            raise ValueError(f"must be a local time HH:MM from 00:00 to 23:59, got {value!r}")
        hours, minutes = value.strip().split(":")
        return f"{int(hours):02d}:{minutes}"

    @field_validator("notify_statuses", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            known = [status.value for status in Status]
            bad = [part for part in value if part not in known]
            if bad:
                raise ValueError(f"unknown status {bad[0]!r}; use some of {', '.join(known)}")
            return tuple(dict.fromkeys(value))
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("default_language", "bot_mode", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (expected e.g. Asia/Ho_Chi_Minh)"
            ) from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"too short: use at least {MIN_SECRET_KEY_LENGTH} random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        secret = value.get_secret_value()
        if not _WEBHOOK_SECRET_RE.match(secret):
            raise ValueError("only A-Z, a-z, 0-9, _ and - are allowed, 32 to 256 characters")
        if len(secret) < MIN_WEBHOOK_SECRET_LENGTH:
            raise ValueError(
                f"too short: use at least {MIN_WEBHOOK_SECRET_LENGTH} characters of A-Z, a-z, "
                '0-9, _ and - (python -c "import secrets; print(secrets.token_urlsafe(32))")'
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> Settings:
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                raise ConfigError("WEBHOOK_URL", "required when BOT_MODE=webhook")
            if self.webhook_secret is None:
                raise ConfigError("WEBHOOK_SECRET", "required when BOT_MODE=webhook")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """Return the configured local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def digest_at(self) -> time:
        """Return DIGEST_TIME as a local time of day, in TIMEZONE."""
        hours, minutes = self.digest_time.split(":")
        return time(int(hours), int(minutes), tzinfo=self.zone)

    def token(self) -> str:
        """Return the bot token or raise the one-line error that says how to get one."""
        if self.telegram_bot_token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN",
                "not set. Create a bot with @BotFather in Telegram (/newbot), then put "
                "TELEGRAM_BOT_TOKEN=<token> in .env (see .env.example)",
            )
        return self.telegram_bot_token.get_secret_value().strip()

    def secret(self) -> bytes:
        """Return SECRET_KEY as bytes or raise the one-line error that says how to make one."""
        if self.secret_key is None:
            raise ConfigError(
                "SECRET_KEY",
                "not set. It keys the pseudonyms that keep tipsters anonymous; generate one with "
                'python -c "import secrets; print(secrets.token_urlsafe(48))" and put it in .env',
            )
        return self.secret_key.get_secret_value().encode("utf-8")

    def require_for_run(self) -> None:
        """Raise ConfigError unless everything the live bot needs is present."""
        self.token()
        self.secret()


def _first_error_line(error: ValidationError) -> ConfigError:
    """Turn pydantic's multi-line report into one line naming the environment key."""
    first = error.errors()[0]
    key = str(first["loc"][0]).upper() if first["loc"] else "CONFIG"
    message = str(first["msg"])
    message = message.removeprefix("Value error, ")
    if first["type"] == "literal_error":
        message = f"{message}, got {first.get('input')!r}"
    elif first["type"] in {"int_parsing", "float_parsing"}:
        message = f"must be a number, got {first.get('input')!r}"
    return ConfigError(key, message)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and `.env`, raising ConfigError with one line on error."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        # ConfigError from the model validator is not a ValueError, so pydantic lets it through.
        raise _first_error_line(error) from None
