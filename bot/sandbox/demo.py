"""`--demo`: the sample units, the demo officer and analyst, and the seed article's figures.

The features loaded here were built alongside the sandbox. Each loader probes for its feature
(`importlib.util.find_spec`, `hasattr`) and, while the feature is missing, skips with a note
instead of failing; that probing lives in this module only. Once every feature has landed, the
probes can become direct calls.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from types import ModuleType
from typing import Any, Final, Protocol

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.sandbox.people import ADMIN, ANALYST, OFFICER, Identity
from bot.units import UnitDirectory

UNITS_CSV: Final = "kien_giang_units.csv"
FIGURES_CSV: Final = "kien_giang_figures_2013_2023.csv"
# The demo officer and analyst act for the whole province, so every sample tip reaches them.
DEMO_UNIT_CODE: Final = "AG"
_SHOWN_PROBLEMS: Final = 3


class DemoNeeds(Protocol):
    """What the loaders use of the running bot's services (the rest is probed by name)."""

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


def _module(name: str) -> ModuleType | None:
    """Return the module if it exists, without failing when its package does not."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return None if spec is None else importlib.import_module(name)


def _attribute(module_name: str, name: str) -> Any:
    module = _module(module_name)
    return getattr(module, name, None) if module is not None else None


def _sample(name: str) -> bytes | None:
    """Return a sample file shipped in `bot/data/`, or None while it is missing."""
    path = resources.files("bot") / "data" / name
    return path.read_bytes() if path.is_file() else None


def _today(services: DemoNeeds) -> date:
    return services.clock.now().astimezone(services.settings.zone).date()


async def load_units(services: DemoNeeds, report: DemoReport) -> None:
    """Import the sample unit tree with the units importer (issue 3)."""
    data = _sample(UNITS_CSV)
    if data is None:
        report.note(f"no {UNITS_CSV} yet (issue 3): units skipped")
        return
    plan = await services.units.import_csv(data, services.clock.now())
    if not plan.ok:
        reasons = "; ".join(f"line {error.line}: {error.key}" for error in plan.errors)
        report.fail(f"{UNITS_CSV} was refused: {reasons}")
        return
    report.note(f"{len(plan.records)} units from {UNITS_CSV} ({plan.created} new)")


async def load_officers(services: DemoNeeds, report: DemoReport) -> None:
    """Register the demo officer and analyst in the officers' registry (issue 3)."""
    report.note(f"{ADMIN.name} (:as admin) is an administrator through ADMIN_USER_IDS")
    registry = getattr(services, "officers", None)
    actor_class = _attribute("bot.officers.service", "Actor")
    error_class = _attribute("bot.officers.service", "OfficerError")
    if registry is None or not hasattr(registry, "add") or actor_class is None:
        report.note("no officers' registry yet (issue 3): officer and analyst skipped")
        return
    unit = await services.units.by_code(DEMO_UNIT_CODE)
    if unit is None:
        report.note(f"no unit {DEMO_UNIT_CODE}: officer and analyst need a unit; skipped")
        return
    for identity in (OFFICER, ANALYST):
        await _register(registry, actor_class, error_class, identity, unit, report)


async def _register(
    registry: Any,
    actor_class: Any,
    error_class: Any,
    identity: Identity,
    unit: Any,
    report: DemoReport,
) -> None:
    person = identity.person
    name = " ".join(filter(None, (person.last_name, person.first_name)))
    who = f"{identity.name} (:as {identity.role}) is the {identity.role} of {unit.code}"
    try:
        await registry.add(actor_class.cli(), person.id, identity.role, unit, display_name=name)
    except Exception as error:
        # A sandbox database kept from an earlier --demo run already has them.
        already = str(getattr(error, "key", "")).endswith(".already")
        if error_class is None or not isinstance(error, error_class) or not already:
            raise
        report.note(f"{who} (already registered)")
        return
    report.note(who)


async def load_figures(services: DemoNeeds, report: DemoReport) -> None:
    """Import the Kiên Giang 2013–2023 figures with the figures importer (issue 6)."""
    parse_csv = _attribute("bot.figures.importer", "parse_csv")
    scope_class = _attribute("bot.figures.service", "Scope")
    figures: Any = getattr(services, "figures", None)
    data = _sample(FIGURES_CSV)
    if parse_csv is None or scope_class is None or not hasattr(figures, "import_rows"):
        report.note("no figures importer yet (issue 6): figures skipped")
        return
    if data is None:
        report.note(f"no {FIGURES_CSV} yet (issue 6): figures skipped")
        return
    parsed = parse_csv(data)
    if parsed.problems:
        report.fail(_refused(FIGURES_CSV, parsed.problems))
        return
    result = await figures.import_rows(
        parsed.rows,
        scope=scope_class(None),
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


def _refused(name: str, problems: Any) -> str:
    shown = "; ".join(
        f"line {problem.line}: {problem.problem.key}"
        for problem in list(problems)[:_SHOWN_PROBLEMS]
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
