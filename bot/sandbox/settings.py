"""The sandbox's settings: the real ones, on a database of its own and a fake token."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from bot.kernel.config import MIN_SECRET_KEY_LENGTH, ConfigError, Settings

DEFAULT_DATABASE = Path("data/sandbox.sqlite3")
# A well-formed token nobody owns: the in-memory Bot API accepts any token, Telegram none.
SANDBOX_TOKEN = "1000000001:SANDBOX-in-memory-bot-api-no-telegram"
# The simulated officers' group; supergroup ids are negative and start with -100.
OFFICERS_CHAT_ID = -1000000000001
# The in-memory API has no flood limits; Telegram's would only make the sandbox sluggish.
_UNLIMITED_PER_SECOND = 100_000.0
_UNLIMITED_PER_MINUTE = 1_000_000.0


def secret_path(database: Path) -> Path:
    """Return where the sandbox keeps its generated SECRET_KEY: beside its database."""
    return database.with_suffix(".secret")


def file_store_path(database: Path) -> Path:
    """Return the folder of the files the sandbox's chats carry: beside its database.

    Its database keeps evidence by file id; the files must last as long as it does.
    """
    return database.with_suffix(".files")


def _same_file(first: Path, second: Path) -> bool:
    return first.expanduser().resolve() == second.expanduser().resolve()


def _stored_secret(path: Path) -> str:
    """Return the secret kept at `path`, creating it (readable by its owner only) if missing."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    else:
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError("SECRET_KEY", f"{path} is damaged; delete it to make a new one")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: never overwrite a secret another sandbox wrote a moment ago.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def sandbox_settings(
    base: Settings, *, database: Path | None = None, admin_ids: tuple[int, ...] = ()
) -> Settings:
    """Return `base` pointed at the sandbox database, the in-memory API and the fake group.

    Raises ConfigError if `database` is the production database: the sandbox never writes there.
    """
    path = database or DEFAULT_DATABASE
    if _same_file(path, base.database_path):
        raise ConfigError(
            "DATABASE_PATH",
            f"{path} is the bot's own database; the sandbox needs a file of its own "
            f"(the default is {DEFAULT_DATABASE})",
        )
    secret = base.secret_key or SecretStr(_stored_secret(secret_path(path)))
    admins = tuple(dict.fromkeys((*base.admin_user_ids, *admin_ids)))
    update: dict[str, object] = {
        "telegram_bot_token": SecretStr(SANDBOX_TOKEN),
        "secret_key": secret,
        "database_path": path,
        "officer_chat_id": OFFICERS_CHAT_ID,
        "admin_user_ids": admins,
        "bot_mode": "polling",
        "rate_limit_per_second": _UNLIMITED_PER_SECOND,
        "rate_limit_group_per_minute": _UNLIMITED_PER_MINUTE,
        # Scheduled backups would copy the sandbox into the bot's own backup folder, where
        # pruning counts them among the real ones: a sandbox keeps no backups, and any that a
        # person takes land beside the sandbox database.
        "backup_interval_hours": 0,
        "backup_dir": path.parent / "sandbox-backups",
    }
    return base.model_copy(
        update={key: value for key, value in update.items() if key in Settings.model_fields}
    )
