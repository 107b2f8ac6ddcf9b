"""`python -m bot officers list`: the officers' registry, one officer a line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.db import Database
from bot.kernel.config import Settings
from bot.officers.repository import OfficersRepository
from bot.units.cli import EXIT_OK, on_database

if TYPE_CHECKING:
    from bot.units.cli import Subcommands


def _officers_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(db: Database) -> list[str]:
        rows = await OfficersRepository(db).all(active_only=False)
        return [
            f"{row.user_id}\t{row.role}\t{row.unit_code or '*'}\t"
            f"{'active' if row.active else 'revoked'}\t{row.display_name}"
            for row in rows
        ]

    lines = on_database(settings, work)
    for user_id in settings.admin_user_ids:
        print(f"{user_id}\tadmin\t*\tADMIN_USER_IDS\t")
    for line in lines:
        print(line)
    return EXIT_OK


def add_officers_commands(commands: Subcommands) -> None:
    """Add the `officers` subcommand to the CLI."""
    officers = commands.add_parser("officers", help="show the officers' registry")
    officer_actions = officers.add_subparsers(
        dest="officers_command", metavar="ACTION", required=True
    )
    officer_actions.add_parser(
        "list", help="print id, role, unit, state and name, one officer a line"
    ).set_defaults(handler=_officers_list)
