"""`python -m bot inbox`: what the durable inbox holds, and putting parked updates back."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.db import Database, migrate
from bot.inbox.repository import InboxRepository
from bot.kernel.config import Settings

EXIT_OK = 0


async def _show(settings: Settings) -> None:
    db = Database(settings.database_path)
    await db.open()
    try:
        await migrate(db)
        repository = InboxRepository(db)
        counts = await repository.counts()
        print(
            "inbox: "
            + ", ".join(
                f"{state} {counts.get(state, 0)}" for state in ("pending", "done", "parked")
            )
        )
        for row in await repository.parked():
            print(
                f"  parked update {row.update_id} (received {row.received_at}, "
                f"{row.attempts} attempts): {row.last_error or 'no error recorded'}"
            )
    finally:
        await db.close()


async def _requeue(settings: Settings) -> None:
    db = Database(settings.database_path)
    await db.open()
    try:
        await migrate(db)
        count = await InboxRepository(db).requeue_parked()
        print(f"{count} parked updates put back; the bot handles them when it next starts")
    finally:
        await db.close()


def _inbox_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.requeue:
        asyncio.run(_requeue(settings))
    else:
        asyncio.run(_show(settings))
    return EXIT_OK


def add_inbox_commands(commands: Any) -> None:
    """Add `inbox` to the command line."""
    inbox = commands.add_parser(
        "inbox", help="show the durable inbox (pending, done, parked updates)"
    )
    inbox.add_argument(
        "--requeue",
        action="store_true",
        help="put parked updates back (stop the bot first; they are handled at its next start)",
    )
    inbox.set_defaults(handler=_inbox_command)
