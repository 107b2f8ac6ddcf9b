"""What the figures service returns: record and import results, answers and breakdowns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.figures.model import Indicator, NewFigure
from bot.figures.numbers import Number
from bot.figures.problems import RowProblem
from bot.figures.repository import CurrentRecord
from bot.figures.resolve import Outcome, Subtree, TreeNode
from bot.kernel.periods import Period

RecordStatus = Literal["created", "unchanged", "needs_reason", "corrected"]


@dataclass(frozen=True)
class RecordResult:
    """What recording one figure did."""

    status: RecordStatus
    figure: NewFigure
    previous: CurrentRecord | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class ImportRow:
    """One data row of an import file, its cells as read (text or typed spreadsheet values)."""

    line: int
    indicator: object
    unit: object
    period: object
    value: object
    reason: object = None
    # The document the figure was read in (optional columns): its title and its date.
    source_title: object = None
    source_date: object = None
    # The column names as the file spelled them, for error messages.
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """An import's outcome: bad rows (nothing written) or what was written."""

    problems: list[RowProblem] = field(default_factory=list)
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        """Say whether the import was written."""
        return not self.problems


@dataclass(frozen=True)
class Line:
    """One indicator's counted figure in an answer."""

    indicator: Indicator
    outcome: Outcome
    base: Indicator | None = None
    ratio: float | None = None


@dataclass
class FiguresAnswer:
    """The figures of a unit's subtree over a period."""

    tree: Subtree
    period: Period
    lines: list[Line]
    missing: list[TreeNode]
    reported_units: set[int]

    @property
    def root(self) -> TreeNode:
        """Return the queried unit."""
        return self.tree.root

    def line(self, key: str) -> Line | None:
        """Return the line of an indicator by key."""
        return next((line for line in self.lines if line.indicator.key == key), None)

    def value(self, key: str) -> Number | None:
        """Return the counted total of an indicator, or None when nothing counted."""
        line = self.line(key)
        return line.outcome.total if line is not None and line.outcome.has_data else None


@dataclass(frozen=True)
class Breakdown:
    """An answer split into rows (child units or years), with what no row can hold."""

    rows: list[tuple[str, FiguresAnswer]]
    # Flows: the period's total minus the rows' sum, when they differ. Positive: records that
    # span several years (a decade total cannot be split by year). Negative: the period's total
    # comes from a higher unit or a longer record that overrides the yearly ones.
    unattributed: dict[str, Number]
