"""Figures logic: validate and record figures, corrections with provenance, imports, queries."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Final

from bot.db import Database
from bot.figures.model import (
    DECIMAL_MEASURES,
    KEY_PATTERN,
    MEASURES,
    Catalog,
    Indicator,
    Kind,
    NewFigure,
)
from bot.figures.numbers import Number, NumberError, checked_number, parse_number
from bot.figures.problems import Problem, RowProblem, number_problem, period_problem
from bot.figures.repository import (
    FiguresRepository,
    FigureWrite,
    RawRecord,
    StaleCorrectionError,
)
from bot.figures.resolve import (
    Outcome,
    SeriesAggregate,
    StockValue,
    Subtree,
    complex_units,
    missing_units,
    resolve_flow,
    resolve_stock,
)
from bot.figures.results import (
    Breakdown,
    FiguresAnswer,
    ImportResult,
    ImportRow,
    Line,
    RecordResult,
    RecordStatus,
)
from bot.figures.sources import document_of, stored
from bot.figures.tips_stats import TipsStats
from bot.kernel.clock import Clock
from bot.kernel.i18n import N_
from bot.kernel.periods import Period, PeriodError, parse_period
from bot.tips.stats_repository import TipsStatsRepository
from bot.units import Unit, UnitDirectory

log = logging.getLogger(__name__)

MAX_REASON_LENGTH: Final = 500
# An import's checked rows, keyed by what each records: (line, figure, reason).
CheckedRows = dict[tuple[int, int, int, int], tuple[int, NewFigure, str | None]]


@dataclass(frozen=True)
class Scope:
    """Where a person may read and write: a unit and its subtree, or everything (None)."""

    unit_id: int | None
    # The ids of the unit and everything below it; None for the whole tree.
    unit_ids: frozenset[int] | None = None

    @classmethod
    def everything(cls) -> Scope:
        """Return the scope of an administrator or of the command line."""
        return cls(None, None)


# ---------------------------------------------------------------- the service


class FiguresService:
    """Everything the handlers, the CLI and the reports do with figures."""

    def __init__(self, db: Database, units: UnitDirectory, clock: Clock) -> None:
        self.repo = FiguresRepository(db)
        self.units = units
        # /stats and /export: the tip-derived figures, over the tips feature's own statements.
        self.tips = TipsStats(TipsStatsRepository(db), units)
        self.clock = clock
        self._catalog: Catalog | None = None

    # ------------------------------------------------------------ catalog

    async def catalog(self) -> Catalog:
        """Return the catalog, read once and refreshed when an admin adds an indicator."""
        if self._catalog is None:
            self._catalog = Catalog(await self.repo.indicators())
        return self._catalog

    async def add_indicator(
        self,
        key: str,
        kind: str,
        measure: str,
        name_vi: str,
        name_en: str,
        part_of: str | None = None,
    ) -> Indicator | Problem:
        """Add an indicator to the catalog, or say what is wrong with it."""
        catalog = await self.catalog()
        key = key.strip().lower()
        if not KEY_PATTERN.match(key):
            return Problem("indicator", N_("figures.indicator_add.bad_key"), {"key": key[:48]})
        if key in catalog.by_key:
            return Problem("indicator", N_("figures.indicator_add.exists"), {"key": key})
        if kind not in ("flow", "stock"):
            return Problem("indicator", N_("figures.indicator_add.bad_kind"), {"kind": kind[:20]})
        if measure not in MEASURES:
            return Problem(
                "indicator",
                N_("figures.indicator_add.bad_measure"),
                {"measure": measure[:20], "measures": ", ".join(MEASURES)},
            )
        if not name_vi.strip() or not name_en.strip():
            return Problem("indicator", N_("figures.indicator_add.names"))
        base_id: int | None = None
        if part_of is not None:
            base = catalog.find(part_of)
            if base is None or base.part_of is not None:
                return Problem(
                    "indicator", N_("figures.error.unknown_indicator"), {"name": part_of[:48]}
                )
            if base.kind != kind:
                return Problem("indicator", N_("figures.indicator_add.part_kind"))
            base_id = base.id
        kind_value: Kind = "stock" if kind == "stock" else "flow"
        await self.repo.add_indicator(
            key=key,
            name_vi=name_vi.strip()[:200],
            name_en=name_en.strip()[:200],
            measure=measure,
            kind=kind_value,
            part_of=base_id,
            integer_only=measure not in DECIMAL_MEASURES,
            now=self.clock.now(),
        )
        self._catalog = None
        return (await self.catalog()).by_key[key]

    # ------------------------------------------------------------ units and scope

    async def unit(self, code: str) -> Unit | None:
        """Return the unit with this code, or None."""
        if not code.strip() or len(code) > 64:
            return None
        return await self.units.by_code(code)

    async def unit_by_id(self, unit_id: int) -> Unit | None:
        """Return the unit with this id, or None."""
        return await self.units.by_id(unit_id)

    async def unit_choices(self, unit_id: int | None) -> list[Unit]:
        """Return the units /record offers: the person's own (or each top unit) and below it."""
        choices: list[Unit] = []
        if unit_id is not None:
            own = await self.units.by_id(unit_id)
            if own is not None:
                choices.append(own)
                choices.extend([u for u in await self.units.children(own.id) if u.active][:11])
        else:
            for root in await self.root_units():
                choices.append(root)
                choices.extend([u for u in await self.units.children(root.id) if u.active][:11])
        return choices

    async def subtree(self, unit_id: int) -> Subtree | None:
        """Return a unit and every unit below it, or None when there is no such unit."""
        return await self.repo.subtree(unit_id)

    async def in_scope(self, scope: Scope, unit_id: int) -> bool:
        """Say whether a unit lies inside a person's scope."""
        if scope.unit_id is None:
            return True
        if scope.unit_ids is not None:
            return unit_id in scope.unit_ids
        return await self.units.is_within(unit_id, scope.unit_id)

    async def default_unit(self, scope: Scope) -> Unit | None:
        """Return the unit a person means by default: theirs, or the only province."""
        if scope.unit_id is not None:
            return await self.units.by_id(scope.unit_id)
        roots = await self.repo.root_unit_ids()
        if len(roots) == 1:
            return await self.units.by_id(roots[0])
        return None

    async def root_units(self) -> list[Unit]:
        """Return the top units, for a person who must choose one."""
        units = [await self.units.by_id(unit_id) for unit_id in await self.repo.root_unit_ids()]
        return [unit for unit in units if unit is not None]

    def local_today(self, zone: tzinfo) -> date:
        """Return today's date in a time zone (periods are local calendar days)."""
        return self.clock.now().astimezone(zone).date()

    # ------------------------------------------------------------ validation

    async def prepare(
        self,
        *,
        indicator: str,
        value: object,
        unit: str,
        period: object,
        scope: Scope,
        today: date,
    ) -> NewFigure | list[Problem]:
        """Parse and check one figure; return it, or every problem found."""
        problems: list[Problem] = []
        catalog = await self.catalog()
        found = catalog.find(indicator) if len(indicator) <= 64 else None
        if found is None or not found.active:
            problems.append(
                Problem(
                    "indicator", N_("figures.error.unknown_indicator"), {"name": indicator[:64]}
                )
            )
        unit_found = await self.unit(unit)
        if unit_found is None:
            problems.append(Problem("unit", N_("figures.error.unknown_unit"), {"code": unit[:64]}))
        elif not await self.in_scope(scope, unit_found.id):
            problems.append(
                Problem("unit", N_("figures.error.unit_outside_scope"), {"code": unit_found.code})
            )
        parsed_period = self._period(period, today, problems)
        parsed_value: Number | None = None
        if found is not None:
            parsed_value = self._value(value, found, problems)
        if problems or found is None or unit_found is None:
            return problems
        if parsed_period is None or parsed_value is None:
            return problems
        return NewFigure(found, unit_found.id, parsed_period, parsed_value)

    @staticmethod
    def _period(value: object, today: date, problems: list[Problem]) -> Period | None:
        try:
            if isinstance(value, Period):
                period = value
            elif isinstance(value, bool):
                raise PeriodError("format")
            elif isinstance(value, int):
                period = parse_period(str(value))
            elif isinstance(value, float) and value.is_integer():
                # A spreadsheet cell holding the year 2023 may arrive as 2023.0.
                period = parse_period(str(int(value)))
            elif isinstance(value, datetime):
                period = Period.day(value.date())
            elif isinstance(value, date):
                period = Period.day(value)
            elif isinstance(value, str):
                period = parse_period(value)
            else:
                raise PeriodError("format")
        except PeriodError as error:
            problems.append(period_problem(error))
            return None
        if period.start > today:
            problems.append(
                Problem("period", N_("figures.error.future_period"), {"period": period.label()})
            )
            return None
        return period

    @staticmethod
    def _value(value: object, indicator: Indicator, problems: list[Problem]) -> Number | None:
        try:
            if isinstance(value, str):
                return parse_number(value, integer=indicator.integer_only)
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return checked_number(value, integer=indicator.integer_only)
            if value is None:
                raise NumberError("empty")
            raise NumberError("format")
        except NumberError as error:
            problems.append(number_problem(error))
            return None

    async def cohort_problem(
        self,
        figure: NewFigure,
        pending: Mapping[tuple[int, int, int, int], NewFigure] | None = None,
    ) -> Problem | None:
        """Refuse a cohort part larger than its base (of whom 39 progressed out of 134)."""
        catalog = await self.catalog()
        indicator = figure.indicator
        pairs: list[tuple[Indicator, Indicator, bool]] = []
        if indicator.part_of is not None and indicator.part_of in catalog.by_id:
            pairs.append((catalog.by_id[indicator.part_of], indicator, True))
        pairs.extend((indicator, part, False) for part in catalog.parts_of(indicator.id))
        for base, part, figure_is_part in pairs:
            other = part if figure_is_part is False else base
            other_figure = NewFigure(other, figure.unit_id, figure.period, 0)
            other_value: Number | None = None
            if pending is not None and other_figure.key() in pending:
                other_value = pending[other_figure.key()].value
            else:
                current = await self.repo.current_record(
                    other.id, figure.unit_id, figure.period, stock=other.kind == "stock"
                )
                if current is not None and (
                    other.kind == "stock" or current.period == figure.period
                ):
                    other_value = current.value
            if other_value is None:
                continue
            part_value = figure.value if figure_is_part else other_value
            base_value = other_value if figure_is_part else figure.value
            if part_value > base_value:
                return Problem(
                    "value",
                    N_("figures.error.cohort_exceeds"),
                    {"part": part.key, "base": base.key},
                )
        return None

    # ------------------------------------------------------------ recording

    async def record(
        self, figure: NewFigure, *, by: str, source: str = "bot", reason: str | None = None
    ) -> RecordResult:
        """Record a figure; an existing different value needs a reason and is superseded."""
        for attempt in range(2):
            previous = await self.repo.current_record(
                figure.indicator.id,
                figure.unit_id,
                figure.period,
                stock=figure.indicator.kind == "stock",
            )
            if previous is not None and previous.value == figure.value:
                return RecordResult("unchanged", figure, previous, previous.id)
            if previous is not None and not (reason and reason.strip()):
                return RecordResult("needs_reason", figure, previous)
            write = FigureWrite(
                indicator_id=figure.indicator.id,
                unit_id=figure.unit_id,
                period=figure.period,
                value=figure.value,
                supersedes_id=previous.id if previous else None,
                reason=reason.strip()[:MAX_REASON_LENGTH] if previous and reason else None,
            )
            try:
                (record_id,) = await self.repo.save(
                    [write], by=by, source=source, now=self.clock.now()
                )
            except (StaleCorrectionError, sqlite3.IntegrityError):
                # Someone recorded the same figure between our read and our write: read again
                # (the answer may now be "unchanged" or "needs a reason").
                if attempt:
                    raise
                continue
            status: RecordStatus = "corrected" if previous else "created"
            log.info("figure %s %s", record_id, status)
            return RecordResult(status, figure, previous, record_id)
        raise AssertionError("unreachable")

    async def import_rows(
        self,
        rows: Sequence[ImportRow],
        *,
        scope: Scope,
        by: str,
        source: str,
        default_reason: str,
        today: date,
    ) -> ImportResult:
        """Validate every row; write all of them in one transaction, or none with the reasons."""
        figures, problems = await self._checked_rows(rows, scope=scope, today=today)
        if problems:
            return ImportResult(problems=sorted(problems, key=lambda p: p.line), rows=len(rows))
        writes: list[FigureWrite] = []
        unchanged = corrected = 0
        documents = {row.line: document_of(row.source_title, row.source_date) for row in rows}
        for line, figure, reason in figures.values():
            previous = await self.repo.current_record(
                figure.indicator.id,
                figure.unit_id,
                figure.period,
                stock=figure.indicator.kind == "stock",
            )
            if previous is not None and previous.value == figure.value:
                unchanged += 1
                continue
            if previous is not None:
                corrected += 1
            writes.append(
                FigureWrite(
                    indicator_id=figure.indicator.id,
                    unit_id=figure.unit_id,
                    period=figure.period,
                    value=figure.value,
                    supersedes_id=previous.id if previous else None,
                    reason=(reason or default_reason)[:MAX_REASON_LENGTH] if previous else None,
                    source=stored(source, documents.get(line)),
                )
            )
        if writes:
            try:
                await self.repo.save(writes, by=by, source=source, now=self.clock.now())
            except StaleCorrectionError:
                return ImportResult(
                    problems=[RowProblem(0, "", Problem("file", N_("figures.import.retry")))],
                    rows=len(rows),
                )
        return ImportResult(
            created=len(writes) - corrected,
            corrected=corrected,
            unchanged=unchanged,
            rows=len(rows),
        )

    async def _checked_rows(
        self, rows: Sequence[ImportRow], *, scope: Scope, today: date
    ) -> tuple[CheckedRows, list[RowProblem]]:
        """Check every row alone, then the cohorts together; return the figures and problems.

        The figures are keyed by what they record, each with its line and its reason.
        """
        problems: list[RowProblem] = []
        figures: CheckedRows = {}
        for row in rows:
            prepared = await self.prepare(
                indicator=_text(row.indicator),
                value=row.value,
                unit=_text(row.unit),
                period=row.period,
                scope=scope,
                today=today,
            )
            if isinstance(prepared, list):
                problems.extend(
                    RowProblem(row.line, row.columns.get(problem.where, problem.where), problem)
                    for problem in prepared
                )
                continue
            key = prepared.key()
            if key in figures:
                problems.append(
                    RowProblem(
                        row.line,
                        row.columns.get("period", "period"),
                        Problem(
                            "period",
                            N_("figures.import.duplicate"),
                            {"line": str(figures[key][0])},
                        ),
                    )
                )
                continue
            reason = _text(row.reason).strip() or None
            figures[key] = (row.line, prepared, reason)
        pending = {key: figure for key, (_line, figure, _reason) in figures.items()}
        for line, figure, _reason in figures.values():
            cohort = await self.cohort_problem(figure, pending)
            if cohort is not None:
                problems.append(RowProblem(line, "value", cohort))
        return figures, problems

    # ------------------------------------------------------------ queries

    async def answer(
        self,
        unit_id: int,
        period: Period,
        indicator_keys: Iterable[str] = (),
        *,
        only_root: bool = False,
    ) -> FiguresAnswer | None:
        """Count the figures of a unit's subtree over a period (None: no such unit).

        With no indicators named, every indicator with data in the period is answered.
        With `only_root`, only the unit's own records count (for breakdowns).
        """
        tree = await self.repo.subtree(unit_id)
        if tree is None:
            return None
        if only_root:
            tree = Subtree([tree.root])
        return await self.answer_for(tree, period, indicator_keys)

    async def answer_for(
        self, tree: Subtree, period: Period, indicator_keys: Iterable[str] = ()
    ) -> FiguresAnswer:
        """Count the figures of a subtree already read (breakdowns read the tree once)."""
        catalog = await self.catalog()
        wanted = [catalog.by_key[key] for key in indicator_keys if key in catalog.by_key]
        explicit = bool(wanted)
        if not explicit:
            wanted = catalog.all
        # A part of a cohort is answered with its base, and the base with its parts.
        extended: dict[int, Indicator] = {indicator.id: indicator for indicator in wanted}
        for indicator in wanted:
            if indicator.part_of is not None and indicator.part_of in catalog.by_id:
                extended.setdefault(indicator.part_of, catalog.by_id[indicator.part_of])
            for part in catalog.parts_of(indicator.id):
                extended.setdefault(part.id, part)
        unit_ids = list(tree.nodes)
        aggregates: dict[int, dict[int, SeriesAggregate]] = {}
        overlapping: dict[int, set[int]] = {}
        reported: set[int] = set()
        flow_ids = [key for key, indicator in extended.items() if indicator.kind == "flow"]
        sums, flagged = await self.repo.aggregate(flow_ids, unit_ids, period)
        for indicator_id, aggregate in sums:
            found = aggregates.get(indicator_id)
            if found is None:
                found = aggregates[indicator_id] = {}
            found[aggregate.unit_id] = aggregate
        reported.update(aggregate.unit_id for _indicator, aggregate in sums)
        for indicator_id, unit_id in flagged:
            overlapping.setdefault(indicator_id, set()).add(unit_id)
        stock_ids = [key for key, indicator in extended.items() if indicator.kind == "stock"]
        latest: dict[int, dict[int, StockValue]] = {}
        if stock_ids:
            start_key = period.start_key
            for indicator_id, value in await self.repo.latest_stocks(
                stock_ids, unit_ids, period.end_key
            ):
                values = latest.get(indicator_id)
                if values is None:
                    values = latest[indicator_id] = {}
                values[value.unit_id] = value
                if value.end >= start_key:
                    # A stock value dated inside the period counts as reporting in it.
                    reported.add(value.unit_id)
        outcomes: dict[int, Outcome] = {}
        for indicator_id, indicator in extended.items():
            if indicator.kind == "stock":
                outcomes[indicator_id] = resolve_stock(tree, latest.get(indicator_id, {}))
                continue
            series = aggregates.get(indicator_id, {})
            with_data = [unit for unit, agg in series.items() if agg.inside_count]
            needing = complex_units(tree, with_data, overlapping.get(indicator_id, set()))
            details = await self.repo.spans(indicator_id, needing, period) if needing else {}
            outcomes[indicator_id] = resolve_flow(tree, series, details)
        lines = _lines(catalog, extended, outcomes, explicit=explicit)
        missing = [tree.nodes[unit] for unit in missing_units(tree, reported)]
        return FiguresAnswer(tree, period, lines, missing, reported)

    async def by_child(
        self,
        unit_id: int,
        period: Period,
        indicator_keys: Sequence[str] = (),
        *,
        whole: FiguresAnswer | None = None,
    ) -> Breakdown | None:
        """Split an answer by the unit's direct children, plus the unit's own records.

        `whole` is the unit's answer over the period, when the caller has it already.
        """
        if whole is None:
            whole = await self.answer(unit_id, period, indicator_keys)
        if whole is None:
            return None
        keys = list(indicator_keys) or [line.indicator.key for line in whole.lines]
        rows: list[tuple[str, FiguresAnswer]] = []
        own = await self.answer_for(Subtree([whole.tree.root]), period, keys)
        if any(line.outcome.has_data for line in own.lines):
            rows.append((whole.root.code, own))
        for child_id in whole.tree.children(whole.root.id):
            child = await self.answer_for(whole.tree.below(child_id), period, keys)
            rows.append((whole.tree.nodes[child_id].code, child))
        return Breakdown(rows, {})

    async def by_year(
        self,
        unit_id: int,
        period: Period,
        indicator_keys: Sequence[str] = (),
        *,
        whole: FiguresAnswer | None = None,
    ) -> Breakdown | None:
        """Split an answer by calendar year; say how much of each flow no single year holds.

        `whole` is the unit's answer over the period, when the caller has it already.
        """
        if whole is None:
            whole = await self.answer(unit_id, period, indicator_keys)
        if whole is None:
            return None
        keys = list(indicator_keys) or [line.indicator.key for line in whole.lines]
        rows: list[tuple[str, FiguresAnswer]] = []
        for part in period.year_parts():
            answer = await self.answer_for(whole.tree, part, keys)
            rows.append((str(part.start.year), answer))
        unattributed: dict[str, Number] = {}
        for line in whole.lines:
            if line.indicator.kind != "flow" or not line.outcome.has_data:
                continue
            years_total = sum((answer.value(line.indicator.key) or 0) for _label, answer in rows)
            rest = line.outcome.total - years_total
            if rest:
                unattributed[line.indicator.key] = rest
        return Breakdown(rows, unattributed)

    async def raw_record_chunks(
        self,
        unit_id: int,
        period: Period,
        indicator_keys: Sequence[str] = (),
        *,
        limit: int = -1,
        size: int = 5000,
    ) -> AsyncIterator[list[RawRecord]]:
        """Yield the records of `raw_records` in lists of `size`, straight from the cursor."""
        tree = await self.repo.subtree(unit_id)
        if tree is None:
            return
        catalog = await self.catalog()
        ids = [catalog.by_key[key].id for key in indicator_keys if key in catalog.by_key] or [
            indicator.id for indicator in catalog.all
        ]
        chunk: list[RawRecord] = []
        async for record in self.repo.raw_records(list(tree.nodes), period, ids, limit=limit):
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def raw_records(
        self,
        unit_id: int,
        period: Period,
        indicator_keys: Sequence[str] = (),
        *,
        limit: int = -1,
    ) -> list[RawRecord]:
        """Return the stored records (current and superseded) of the subtree touching a period.

        `limit` caps how many (-1: all), for a report that cannot hold them all anyway.
        """
        chunks = self.raw_record_chunks(unit_id, period, indicator_keys, limit=limit)
        return [record async for chunk in chunks for record in chunk]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lines(
    catalog: Catalog,
    indicators: Mapping[int, Indicator],
    outcomes: Mapping[int, Outcome],
    *,
    explicit: bool,
) -> list[Line]:
    """Order the answered indicators, each cohort part right after its base with its ratio."""

    def shown(indicator: Indicator) -> bool:
        outcome = outcomes[indicator.id]
        return explicit or outcome.has_data or bool(outcome.exclusions)

    lines: list[Line] = []
    for indicator in catalog.all:
        if indicator.id not in indicators or indicator.part_of is not None:
            continue
        parts = [part for part in catalog.parts_of(indicator.id) if part.id in indicators]
        if not (shown(indicator) or any(shown(part) for part in parts)):
            continue
        base_outcome = outcomes[indicator.id]
        lines.append(Line(indicator, base_outcome))
        for part in parts:
            part_outcome = outcomes[part.id]
            ratio = None
            if base_outcome.has_data and base_outcome.total > 0 and part_outcome.has_data:
                ratio = float(part_outcome.total) / float(base_outcome.total)
            lines.append(Line(part, part_outcome, base=indicator, ratio=ratio))
    # Parts whose base is not in the catalog any more still get their own line.
    for indicator in catalog.all:
        if (
            indicator.id in indicators
            and indicator.part_of is not None
            and indicator.part_of not in catalog.by_id
            and shown(indicator)
        ):
            lines.append(Line(indicator, outcomes[indicator.id]))
    return lines
