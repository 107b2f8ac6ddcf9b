"""`python -m bot audit verify`: walk the chain, name the first broken row, check the anchors.

`python -m bot audit anchor [--accept]` writes the anchor beside the database now; `--accept`
replaces one the chain does not extend (after a restore the administrator meant).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.audit.anchor import anchor_path, compare_with_anchors, update_anchor
from bot.audit.log import AuditLog
from bot.db import Database
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring

EXIT_OK = 0
EXIT_BROKEN = 1


async def _verify(settings: Settings) -> int:
    keyring = Keyring(settings.secret())
    db = Database(settings.database_path)
    await db.open()
    try:
        checked, broken = await AuditLog(db, keyring).verify()
        verdict = await compare_with_anchors(
            db, keyring, settings.database_path, settings.backup_dir
        )
    finally:
        await db.close()
    if broken is not None:
        print(
            f"audit chain BROKEN at row {broken.row_id}: {broken.reason} "
            f"({checked} earlier rows verify)"
        )
        return EXIT_BROKEN
    if not verdict.ok:
        # Every row that is there verifies; what the anchor says is missing is the news.
        print(f"audit chain CUT: {checked} rows verify, but {verdict.detail}")
        return EXIT_BROKEN
    print(f"audit chain OK: {checked} rows verified")
    return EXIT_OK


def _verify_command(settings: Settings, _args: argparse.Namespace) -> int:
    return asyncio.run(_verify(settings))


async def _anchor(settings: Settings, *, accept: bool) -> int:
    keyring = Keyring(settings.secret())
    db = Database(settings.database_path)
    await db.open()
    try:
        checked, broken = await AuditLog(db, keyring).verify()
        if broken is not None:
            print(f"audit chain BROKEN at row {broken.row_id}: {broken.reason}; not anchoring it")
            return EXIT_BROKEN
        anchor = await update_anchor(
            db, keyring, settings.database_path, datetime.now(UTC), accept=accept
        )
    finally:
        await db.close()
    if anchor is None:
        print(
            f"the chain ({checked} rows) does not extend the anchor beside the database; "
            "python -m bot check says why. Run again with --accept to replace it."
        )
        return EXIT_BROKEN
    print(f"anchored {anchor.count} rows, head {anchor.head[:16]}, in {anchor_path(db.path)}")
    return EXIT_OK


def _anchor_command(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_anchor(settings, accept=args.accept))


def add_audit_commands(commands: Any) -> None:
    """Add the `audit` subcommands to the CLI's subparsers."""
    audit = commands.add_parser("audit", help="check the audit log")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    actions.add_parser(
        "verify", help="verify the hash chain; exit 1 and name the first broken row"
    ).set_defaults(handler=_verify_command)
    anchor = actions.add_parser("anchor", help="write the chain's anchor beside the database")
    anchor.add_argument(
        "--accept",
        action="store_true",
        help="replace an anchor the chain does not extend (after a restore you meant)",
    )
    anchor.set_defaults(handler=_anchor_command)
