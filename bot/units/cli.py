"""`python -m bot units import FILE` / `units export [FILE]`, and `officers list`.

Import checks every row first and writes nothing unless all are valid; problems are printed one
a line as `FILE:LINE: reason`, so an editor or a terminal can jump to them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.db import Database, migrate
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import translator
from bot.units.csvio import check_units_csv, export_units_csv, import_units_csv
from bot.units.repository import UnitsRepository

EXIT_OK = 0
EXIT_INVALID = 1
# The CLI speaks English, like the logs; the bot speaks each person's language.
_T = translator("en")
_R = TypeVar("_R")

if TYPE_CHECKING:
    # argparse's class is generic only to type checkers; subscripting it at run time fails.
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]


def _on_database(settings: Settings, work: Callable[[Database], Awaitable[_R]]) -> _R:
    async def run() -> _R:
        db = Database(settings.database_path)
        await db.open()
        try:
            # An import into a new or older database needs the current tables first.
            await migrate(db)
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return EXIT_INVALID


def _import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        return _fail(f"cannot read {path}: {error.strerror or error}")

    async def work(db: Database) -> Any:
        units = UnitsRepository(db)
        if args.check:
            return await check_units_csv(units, data)
        return await import_units_csv(units, data, Clock().now())

    plan = _on_database(settings, work)
    if not plan.ok:
        for problem in plan.errors:
            print(f"{path}:{problem.line}: {problem.plain(_T)}", file=sys.stderr)
        print(
            f"Error: {len(plan.errors)} problem(s) in {path}; nothing was imported",
            file=sys.stderr,
        )
        return EXIT_INVALID
    verb = "would import" if args.check else "imported"
    print(
        f"{verb} {len(plan.records)} units from {path}: {plan.created} new, {plan.updated} updated"
    )
    return EXIT_OK


def _export(settings: Settings, args: argparse.Namespace) -> int:
    target = Path(args.file) if args.file else None
    if target is not None and target.exists() and not args.force:
        return _fail(f"{target} exists; pass --force to replace it")

    async def work(db: Database) -> str:
        # A file gets a byte order mark so Excel reads the accents; a pipe gets plain UTF-8.
        return await export_units_csv(UnitsRepository(db), bom=target is not None)

    text = _on_database(settings, work)
    if target is None:
        sys.stdout.write(text)
        return EXIT_OK
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"exported {text.count(chr(10)) - 1} units to {target}")
    return EXIT_OK


def _officers_list(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.officers.repository import OfficersRepository

    async def work(db: Database) -> list[str]:
        rows = await OfficersRepository(db).all(active_only=False)
        return [
            f"{row.user_id}\t{row.role}\t{row.unit_code or '*'}\t"
            f"{'active' if row.active else 'revoked'}\t{row.display_name}"
            for row in rows
        ]

    lines = _on_database(settings, work)
    for user_id in settings.admin_user_ids:
        print(f"{user_id}\tadmin\t*\tADMIN_USER_IDS\t")
    for line in lines:
        print(line)
    return EXIT_OK


def add_units_commands(commands: Subcommands) -> None:
    """Add the `units` and `officers` subcommands to the CLI."""
    units = commands.add_parser("units", help="import or export the unit tree as CSV")
    actions = units.add_subparsers(dest="units_command", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import", help="check a CSV file and, if every row is valid, write all of it"
    )
    importing.add_argument("file", help="CSV with columns code,parent_code,level,name_vi,...")
    importing.add_argument("--check", action="store_true", help="only check; write nothing")
    importing.set_defaults(handler=_import)
    exporting = actions.add_parser("export", help="write every unit as CSV (stdout by default)")
    exporting.add_argument("file", nargs="?", help="where to write; omit for stdout")
    exporting.add_argument("--force", action="store_true", help="replace an existing file")
    exporting.set_defaults(handler=_export)

    officers = commands.add_parser("officers", help="show the officers' registry")
    officer_actions = officers.add_subparsers(
        dest="officers_command", metavar="ACTION", required=True
    )
    officer_actions.add_parser(
        "list", help="print id, role, unit, state and name, one officer a line"
    ).set_defaults(handler=_officers_list)
