"""`python -m bot figures import FILE` and `python -m bot figures show --period P --unit U`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import html
import json
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.db import Database, migrate
from bot.figures.importer import FileError, parse_file
from bot.figures.problems import RowProblem, period_problem
from bot.figures.render import answer_text
from bot.figures.results import FiguresAnswer
from bot.figures.service import FiguresService, Scope
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import Translator, translator
from bot.kernel.periods import PeriodError, parse_period
from bot.units import UnitDirectory, UnitsRepository

EXIT_OK = 0
EXIT_FAILURE = 1

_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """Turn the bot's HTML into console text."""
    return html.unescape(_TAG.sub("", text))


async def _with_service(
    settings: Settings, work: Callable[[FiguresService, Translator], Awaitable[int]]
) -> int:
    db = Database(settings.database_path)
    await db.open()
    try:
        await migrate(db)
        service = FiguresService(db, UnitDirectory(UnitsRepository(db)), Clock())
        return await work(service, translator("en"))
    finally:
        await db.close()


def _print_problems(t: Translator, name: str, problems: list[RowProblem]) -> None:
    print(
        _plain(
            t.plural(
                "figures.import.rejected", len(problems), file=name, count=t.number(len(problems))
            )
        )
    )
    for problem in problems:
        reason = _plain(problem.problem.text(t))
        where = []
        if problem.line:
            where.append(f"line {problem.line}")
        if problem.column:
            where.append(f"column {problem.column}")
        print(f"  {', '.join(where)}: {reason}" if where else f"  {reason}")


def _import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"Error: {path}: no such file", file=sys.stderr)
        return EXIT_FAILURE
    content = path.read_bytes()

    async def work(service: FiguresService, t: Translator) -> int:
        try:
            parsed = parse_file(path.name, content)
        except FileError as error:
            print(f"Error: {path}: {_plain(error.problem.text(t))}", file=sys.stderr)
            return EXIT_FAILURE
        if parsed.problems:
            _print_problems(t, path.name, parsed.problems)
            return EXIT_FAILURE
        digest = hashlib.sha256(content).hexdigest()[:12]
        result = await service.import_rows(
            parsed.rows,
            scope=Scope.everything(),
            by=f"cli:{args.by or getpass.getuser()}",
            source=f"cli-import:{path.name[:100]}#{digest}",
            default_reason=t.label("figures.import.reason", file=path.name[:100]),
            today=service.local_today(settings.zone),
        )
        if not result.ok:
            _print_problems(t, path.name, result.problems)
            return EXIT_FAILURE
        print(
            _plain(
                t(
                    "figures.import.done",
                    file=path.name,
                    rows=t.number(result.rows),
                    created=t.number(result.created),
                    corrected=t.number(result.corrected),
                    unchanged=t.number(result.unchanged),
                )
            )
        )
        return EXIT_OK

    return asyncio.run(_with_service(settings, work))


def answer_json(answer: FiguresAnswer) -> dict[str, Any]:
    """Return an answer as plain data (the --json output and a stable API for scripts)."""
    nodes = answer.tree.nodes
    indicators: list[dict[str, Any]] = []
    for line in answer.lines:
        outcome = line.outcome
        indicators.append(
            {
                "key": line.indicator.key,
                "name_vi": line.indicator.name_vi,
                "name_en": line.indicator.name_en,
                "kind": line.indicator.kind,
                "measure": line.indicator.measure,
                "part_of": line.base.key if line.base is not None else None,
                "value": outcome.total if outcome.has_data else None,
                "ratio": line.ratio,
                "records": outcome.records,
                "units": sorted(nodes[unit].code for unit in outcome.units),
                "as_of": outcome.last_as_of,
                "not_counted": [
                    {
                        "unit": nodes[exclusion.unit_id].code,
                        "reason": exclusion.reason,
                        "counted_unit": (
                            nodes[exclusion.counted_unit_id].code
                            if exclusion.counted_unit_id in nodes
                            else None
                        ),
                        "records": exclusion.records,
                        "value": exclusion.value,
                        "period": f"{exclusion.first_start}..{exclusion.last_end}",
                    }
                    for exclusion in outcome.exclusions
                ],
            }
        )
    return {
        "unit": {"code": answer.root.code, "name_vi": answer.root.name_vi},
        "period": {
            "label": answer.period.label(),
            "start": answer.period.start.isoformat(),
            "end": answer.period.end.isoformat(),
        },
        "units_in_subtree": len(answer.tree),
        "indicators": indicators,
        "missing": [node.code for node in answer.missing],
    }


def _show(settings: Settings, args: argparse.Namespace) -> int:
    t = translator("en")
    try:
        period = parse_period(args.period)
    except PeriodError as error:
        print(f"Error: --period: {_plain(period_problem(error).text(t))}", file=sys.stderr)
        return EXIT_FAILURE

    async def work(service: FiguresService, t: Translator) -> int:
        unit = await service.unit(args.unit)
        if unit is None:
            print(f"Error: --unit: {_plain(t('figures.error.unknown_unit', code=args.unit))}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_FAILURE
        catalog = await service.catalog()
        unknown = [key for key in args.indicator or [] if catalog.find(key) is None]
        if unknown:
            message = _plain(t("figures.error.unknown_indicator", name=unknown[0]))
            print(f"Error: --indicator: {message}", file=sys.stderr)
            return EXIT_FAILURE
        keys = [key.strip().lower() for key in args.indicator or []]
        answer = await service.answer(unit.id, period, keys)
        if answer is None:
            return EXIT_FAILURE
        if args.json:
            print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
        else:
            print(_plain(answer_text(t, answer)))
        return EXIT_OK

    return asyncio.run(_with_service(settings, work))


def add_figures_commands(commands: Any) -> None:
    """Add the `figures` subcommands to the CLI's subparsers."""
    figures = commands.add_parser("figures", help="import and query the campaign figures")
    actions = figures.add_subparsers(dest="figures_command", metavar="ACTION", required=True)
    importing = actions.add_parser(
        "import", help="import a CSV or XLSX file of figures (all rows or none)"
    )
    importing.add_argument("file", help="the .csv or .xlsx file: indicator, unit, period, value")
    importing.add_argument("--by", help="who is importing (default: your login name)")
    importing.set_defaults(handler=_import)
    show = actions.add_parser("show", help="print the figures of a unit's subtree for a period")
    show.add_argument("--period", required=True, help="2023-05-29, 2023-05, 2023-Q2, 2013..2023")
    show.add_argument("--unit", required=True, help="the unit's code, e.g. KG")
    show.add_argument(
        "--indicator", action="append", help="an indicator key (repeat for several; default all)"
    )
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(handler=_show)
