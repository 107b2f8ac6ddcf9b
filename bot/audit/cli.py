"""`python -m bot audit verify`: walk the chain and name the first broken row."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.audit.log import AuditLog
from bot.config import Settings
from bot.crypto import Keyring
from bot.db import Database

EXIT_OK = 0
EXIT_BROKEN = 1


async def _verify(settings: Settings) -> int:
    db = Database(settings.database_path)
    await db.open()
    try:
        checked, broken = await AuditLog(db, Keyring(settings.secret())).verify()
    finally:
        await db.close()
    if broken is None:
        print(f"audit chain OK: {checked} rows verified")
        return EXIT_OK
    print(
        f"audit chain BROKEN at row {broken.row_id}: {broken.reason} "
        f"({checked} earlier rows verify)"
    )
    return EXIT_BROKEN


def _verify_command(settings: Settings, _args: argparse.Namespace) -> int:
    return asyncio.run(_verify(settings))


def add_audit_commands(commands: Any) -> None:
    """Add the `audit` subcommands to the CLI's subparsers."""
    audit = commands.add_parser("audit", help="check the audit log")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    actions.add_parser(
        "verify", help="verify the hash chain; exit 1 and name the first broken row"
    ).set_defaults(handler=_verify_command)
