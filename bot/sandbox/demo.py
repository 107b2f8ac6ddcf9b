"""`--demo`: the sample units, the demo officer and analyst, and the seed article's figures.

Also what the plain sandbox uses when `:as officer` or `:as analyst` makes the role real
(`register`), so both ways register the same people the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Final, Protocol

from bot.figures.importer import parse_csv
from bot.figures.problems import RowProblem
from bot.figures.service import FiguresService, Scope
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.officers.model import Role
from bot.officers.service import Actor, OfficerError, OfficersService
from bot.sandbox.people import ADMIN, ANALYST, OFFICER, Identity
from bot.units import Unit, UnitDirectory

UNITS_CSV: Final = "kien_giang_units.csv"
FIGURES_CSV: Final = "kien_giang_figures_2013_2023.csv"
# The demo officer and analyst act for the whole province, so every sample tip reaches them.
DEMO_UNIT_CODE: Final = "AG"
_SHOWN_PROBLEMS: Final = 3


class DemoNeeds(Protocol):
    """What the loaders use of the running bot's services."""

    @property
    def settings(self) -> Settings:
        """The configuration (the time zone of "today")."""
        ...

    @property
    def clock(self) -> Clock:
        """The bot's clock."""
        ...

    @property
    def units(self) -> UnitDirectory:
        """The unit tree the sample units go into."""
        ...

    @property
    def officers(self) -> OfficersService:
        """The officers' registry the demo officer and analyst go into."""
        ...

    @property
    def figures(self) -> FiguresService:
        """The figures the seed article's numbers go into."""
        ...


@dataclass
class DemoReport:
    """What the demo loader did, one line each, and whether something present failed."""

    notes: list[str] = field(default_factory=list)
    failed: bool = False

    def note(self, text: str) -> None:
        """Record a line to show."""
        self.notes.append(f"demo: {text}")

    def fail(self, text: str) -> None:
        """Record a failure of a feature that is present."""
        self.note(text)
        self.failed = True


def _sample(name: str) -> bytes | None:
    """Return a sample file shipped in `bot/data/`, or None while it is missing."""
    path = resources.files("bot") / "data" / name
    return path.read_bytes() if path.is_file() else None


def _today(services: DemoNeeds) -> date:
    return services.clock.now().astimezone(services.settings.zone).date()


async def load_units(services: DemoNeeds, report: DemoReport) -> None:
    """Import the sample unit tree with the units importer."""
    data = _sample(UNITS_CSV)
    if data is None:
        report.note(f"no {UNITS_CSV}: units skipped")
        return
    plan = await services.units.import_csv(data, services.clock.now())
    if not plan.ok:
        reasons = "; ".join(f"line {error.line}: {error.key}" for error in plan.errors)
        report.fail(f"{UNITS_CSV} was refused: {reasons}")
        return
    report.note(f"{len(plan.records)} units from {UNITS_CSV} ({plan.created} new)")


async def load_officers(services: DemoNeeds, report: DemoReport) -> None:
    """Register the demo officer and analyst in the officers' registry."""
    report.note(f"{ADMIN.name} (:as admin) is an administrator through ADMIN_USER_IDS")
    unit = await services.units.by_code(DEMO_UNIT_CODE)
    if unit is None:
        report.note(f"no unit {DEMO_UNIT_CODE}: officer and analyst need a unit; skipped")
        return
    for identity in (OFFICER, ANALYST):
        report.note(await register(services.officers, identity, unit))


async def register(officers: OfficersService, identity: Identity, unit: Unit) -> str:
    """Register a sandbox officer or analyst for `unit`; return the line that says so."""
    person = identity.person
    # Family name first, as the bot writes Vietnamese names.
    name = " ".join(filter(None, (person.last_name, person.first_name)))
    who = f"{identity.name} (:as {identity.role}) is the {identity.role} of {unit.code}"
    role: Role = "analyst" if identity.role == "analyst" else "officer"
    try:
        await officers.add(Actor.cli(), person.id, role, unit, display_name=name)
    except OfficerError as error:
        # A sandbox database kept from an earlier run already has them.
        if not error.key.endswith(".already"):
            raise
        return f"{who} (already registered)"
    return who


async def load_figures(services: DemoNeeds, report: DemoReport) -> None:
    """Import the Kiên Giang 2013–2023 figures with the figures importer."""
    data = _sample(FIGURES_CSV)
    if data is None:
        report.note(f"no {FIGURES_CSV}: figures skipped")
        return
    parsed = parse_csv(data)
    if parsed.problems:
        report.fail(_refused(FIGURES_CSV, parsed.problems))
        return
    result = await services.figures.import_rows(
        parsed.rows,
        scope=Scope(None),
        by="sandbox --demo",
        source=FIGURES_CSV,
        default_reason="sandbox demo data",
        today=_today(services),
    )
    if result.problems:
        report.fail(_refused(FIGURES_CSV, result.problems))
        return
    report.note(
        f"{result.created + result.corrected} figures from {FIGURES_CSV} "
        f"({result.unchanged} already there)"
    )


class RoleSetupError(Exception):
    """A sandbox role that cannot be made real; the message says why, in one line."""


async def make_role_real(services: DemoNeeds, identity: Identity) -> str:
    """Register an officer or analyst on first use (the sample units too, if there are none).

    Return the line that says what was set up, or "" when nothing was needed. Without it,
    `:as officer` in the plain sandbox only claimed the role: the bot knew no such officer
    (issue 15). The admin is real already, through ADMIN_USER_IDS; a resident needs nothing.
    """
    if identity.role not in ("officer", "analyst"):
        return ""
    known = await services.officers.record(identity.person.id)
    if known is not None:
        # Someone removed them (an admin trying /officers): the sandbox does not undo that.
        return "" if known.active else f"({identity.name} was removed from the officers' registry)"
    done: list[str] = []
    if await services.units.count() == 0:
        report = DemoReport()
        await load_units(services, report)
        if report.failed:
            raise RoleSetupError("; ".join(report.notes))
        done.append(f"the sample units ({UNITS_CSV})")
    unit = await services.units.by_code(DEMO_UNIT_CODE)
    if unit is None:
        raise RoleSetupError(
            f"there is no unit {DEMO_UNIT_CODE} for the {identity.role}; "
            "import the units (python -m bot units import) or start with --demo"
        )
    await register(services.officers, identity, unit)
    what = " and ".join([*done, f"{identity.name} as {identity.role} of {unit.code}"])
    return f"(set up for you: {what})"


def _refused(name: str, problems: Sequence[RowProblem]) -> str:
    shown = "; ".join(
        f"line {problem.line}: {problem.problem.key}" for problem in problems[:_SHOWN_PROBLEMS]
    )
    return f"{name} was refused: {shown}"


async def load_demo(services: DemoNeeds) -> DemoReport:
    """Load everything `--demo` promises that the bot can hold today; units come first."""
    report = DemoReport()
    for loader in (load_units, load_officers, load_figures):
        try:
            await loader(services, report)
        except Exception as error:
            report.fail(f"{loader.__name__} failed: {type(error).__name__}: {error}")
    return report
