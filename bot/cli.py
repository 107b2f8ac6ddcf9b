"""`python -m bot`: run the bot, migrate, check the configuration, back up, print the version."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot import __version__
from bot.audit.cli import add_audit_commands
from bot.db import Database, SchemaTooNewError, migrate
from bot.db.migrations import LATEST_VERSION, SchemaMismatchError, current_version
from bot.figures.cli import add_figures_commands
from bot.inbox.cli import add_inbox_commands
from bot.kernel.config import ConfigError, Settings, load_settings
from bot.kernel.crypto import Keyring
from bot.kernel.logging_setup import configure_logging
from bot.maintenance.backups import backup_with_anchor
from bot.maintenance.cli import add_maintenance_commands
from bot.sandbox import add_sandbox_command, run_without_token
from bot.units.cli import add_units_commands

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


class CliError(Exception):
    """A failure to report as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.telegram_bot_token is None:
        # No token yet: show the whole bot in a terminal chat instead of stopping.
        return run_without_token(settings)
    settings.require_for_run()
    # Imported late: `version` needs no Telegram stack.
    from bot.app import build_application
    from bot.inbox.runner import Runner, StartupError
    from bot.ptb.application import freeze_startup_heap

    application = build_application(settings)
    application.startup_hooks.append(freeze_startup_heap)
    try:
        asyncio.run(Runner(application, settings).run())
    except StartupError as error:
        raise CliError(str(error), EXIT_CONFIG if error.config else EXIT_FAILURE) from None
    return EXIT_OK


async def _with_database(settings: Settings, work: Callable[[Database], object]) -> object:
    db = Database(settings.database_path)
    await db.open()
    try:
        result = work(db)
        if asyncio.iscoroutine(result):
            return await result
        return result
    finally:
        await db.close()


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(db: Database) -> None:
        applied = await migrate(db)
        for step in applied:
            print(f"applied {step.version:04d}_{step.name}")
        print(f"database {db.path} is at schema version {await current_version(db)}")

    asyncio.run(_with_database(settings, work))
    return EXIT_OK


def _check_config(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require_for_run()
    print("configuration OK")
    for name, value in settings.model_dump().items():
        shown = "***" if name in {"telegram_bot_token", "secret_key", "webhook_secret"} else value
        print(f"  {name.upper()}={'' if shown is None else shown}")
    return EXIT_OK


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.database_path.exists():
        raise CliError(f"DATABASE_PATH: no database at {settings.database_path}", EXIT_CONFIG)
    target = Path(args.path)
    if target.exists() and not args.force:
        raise CliError(f"{target} exists; pass --force to replace it")

    # With the key, the backup gets its audit anchor beside it (bot/audit/anchor.py).
    keyring = Keyring(settings.secret()) if settings.secret_key is not None else None

    async def work(db: Database) -> None:
        await backup_with_anchor(db, target, datetime.now(UTC), keyring)

    asyncio.run(_with_database(settings, work))
    print(f"backed up {settings.database_path} to {target}")
    return EXIT_OK


def _version(_settings: Settings, _args: argparse.Namespace) -> int:
    print(f"tinbao-bot {__version__} (schema {LATEST_VERSION})")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Community security tips bot (Telegram)."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (the default)").set_defaults(handler=_run)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler=_migrate
    )
    commands.add_parser(
        "check-config", help="validate the configuration and print it (secrets hidden)"
    ).set_defaults(handler=_check_config)
    backup = commands.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument("path", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    backup.set_defaults(handler=_backup)
    commands.add_parser("version", help="print the version").set_defaults(handler=_version)
    add_audit_commands(commands)
    add_figures_commands(commands)
    add_inbox_commands(commands)
    add_maintenance_commands(commands)
    add_sandbox_command(commands)
    add_units_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand, and turn known failures into one line."""
    args = _parser().parse_args(argv)
    handler: Callable[[Settings, argparse.Namespace], int] = getattr(args, "handler", _run)
    if handler is _version:
        return _version(Settings.model_construct(), args)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        return handler(settings, args)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (SchemaTooNewError, SchemaMismatchError) as error:
        print(f"Database error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except CliError as error:
        print(f"Error: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return EXIT_OK
