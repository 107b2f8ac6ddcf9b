"""The counting rules, as pure functions over a unit subtree and the records of one indicator.

- A **flow** is summed over the period. Only records lying entirely inside the period count; a
  record that straddles its edge cannot be split and is reported as not counted.
- A **stock** is the latest value at or before the period's end, per unit, never summed across
  time; values of different units are added.
- When a unit and one of its descendants both report an indicator for overlapping periods, the
  higher unit's record is counted (it is the consolidated figure) and the lower one's is listed
  as an overlap instead of being added. Within one unit, overlapping records (a decade total and
  the yearly figures inside it) count the longest record and list the others.
- A unit is **missing** when neither it, nor a unit above it in the subtree, nor a unit below it
  reported anything for the period.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from bot.figures.numbers import Number
from bot.kernel.i18n import Language

OverlapReason = Literal["ancestor", "self", "partial"]


@dataclass(frozen=True)
class TreeNode:
    """One unit of the queried subtree."""

    id: int
    parent_id: int | None
    code: str
    name_vi: str
    name_en: str | None
    active: bool
    depth: int

    def name(self, language: Language) -> str:
        """Return the unit's name in a language (the Vietnamese one when there is no other)."""
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_vi


class Subtree:
    """A unit and everything below it, parents before children."""

    def __init__(self, nodes: Sequence[TreeNode]) -> None:
        if not nodes:
            raise ValueError("a subtree has at least its root")
        self.root = nodes[0]
        self.nodes: dict[int, TreeNode] = {node.id: node for node in nodes}
        # Each unit's place in the subtree's order (parents first), for sorting.
        self.position: dict[int, int] = {node.id: index for index, node in enumerate(nodes)}
        self._children: dict[int, list[int]] = {}
        # Every node's ancestors inside the subtree, nearest first; nodes come parents first.
        self._ancestors: dict[int, tuple[int, ...]] = {self.root.id: ()}
        for node in nodes[1:]:
            parent = node.parent_id
            if parent is not None and parent in self._ancestors:
                self._children.setdefault(parent, []).append(node.id)
                self._ancestors[node.id] = (parent, *self._ancestors[parent])
            else:
                self._ancestors[node.id] = ()

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def parent(self, unit_id: int) -> int | None:
        """Return the parent inside the subtree, or None for the root."""
        if unit_id == self.root.id:
            return None
        return self.nodes[unit_id].parent_id

    def ancestors(self, unit_id: int) -> tuple[int, ...]:
        """Return the unit's ancestors inside the subtree, nearest first."""
        return self._ancestors.get(unit_id, ())

    def children(self, unit_id: int) -> list[int]:
        """Return the direct children of a unit."""
        return list(self._children.get(unit_id, []))

    def below(self, unit_id: int) -> Subtree:
        """Return the subtree of one unit of this one (its nodes, parents first)."""
        return Subtree(
            [
                node
                for node in self.nodes.values()
                if node.id == unit_id or unit_id in self._ancestors.get(node.id, ())
            ]
        )

    def ordered(self, unit_ids: Iterable[int]) -> list[int]:
        """Return the given units parents-first (the subtree's order)."""
        wanted = set(unit_ids)
        return [unit_id for unit_id in self.nodes if unit_id in wanted]


# The three below are NamedTuples rather than frozen dataclasses: a province's answer makes
# thousands of them, and a frozen dataclass costs a setattr call per field to build.


class Span(NamedTuple):
    """One record's period (YYYYMMDD keys) and value."""

    id: int
    start: int
    end: int
    value: Number


class SeriesAggregate(NamedTuple):
    """What SQL summed for one (indicator, unit) over the period."""

    unit_id: int
    inside_sum: Number
    inside_count: int
    partial_count: int = 0
    partial_sum: Number = 0
    # The span of the records that straddle the period's edge (for the not-counted note).
    partial_first: int | None = None
    partial_last: int | None = None


class StockValue(NamedTuple):
    """A unit's latest stock record at or before the period's end."""

    unit_id: int
    start: int
    end: int
    value: Number


@dataclass
class Exclusion:
    """Records of one unit that were not counted, grouped by why and instead of whom."""

    unit_id: int
    reason: OverlapReason
    counted_unit_id: int | None
    records: int = 0
    value: Number = 0
    first_start: int = 99999999
    last_end: int = 0

    def add(self, start: int, end: int, value: Number, count: int = 1) -> None:
        """Add records to the group."""
        self.records += count
        self.value += value
        self.first_start = min(self.first_start, start)
        self.last_end = max(self.last_end, end)


@dataclass
class Outcome:
    """The counted total of one indicator over the subtree, and what was left out."""

    total: Number = 0
    records: int = 0
    units: set[int] = field(default_factory=set)
    exclusions: list[Exclusion] = field(default_factory=list)
    # Stocks: the earliest and latest "as of" day among the counted values.
    first_as_of: int | None = None
    last_as_of: int | None = None

    @property
    def has_data(self) -> bool:
        """Say whether any record counted."""
        return self.records > 0


class _Exclusions:
    def __init__(self) -> None:
        self.groups: dict[tuple[int, str, int | None], Exclusion] = {}

    def add(
        self,
        unit_id: int,
        reason: OverlapReason,
        counted_unit_id: int | None,
        start: int,
        end: int,
        value: Number,
        count: int = 1,
    ) -> None:
        key = (unit_id, reason, counted_unit_id)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Exclusion(unit_id, reason, counted_unit_id)
        group.add(start, end, value, count)


def complex_units(tree: Subtree, data_units: Iterable[int], overlapping: Iterable[int]) -> set[int]:
    """Return the units whose single records are needed to count a flow exactly.

    Those are the units with records whose series overlaps itself, and every unit with records
    that has an ancestor or a descendant with records too. The others are summed by SQL.
    """
    units = set(data_units)
    result = units & set(overlapping)
    for unit_id in units:
        for ancestor in tree.ancestors(unit_id):
            if ancestor in units:
                result.add(unit_id)
                result.add(ancestor)
    return result


class _Coverage:
    """Sorted, disjoint periods already counted, each with the unit that counted it."""

    def __init__(self, items: Iterable[tuple[int, int, int]] = ()) -> None:
        self.items = sorted(items)
        self._starts = [item[0] for item in self.items]

    def owner_of_overlap(self, start: int, end: int) -> int | None:
        index = bisect.bisect_right(self._starts, end) - 1
        if index >= 0 and self.items[index][1] >= start:
            return self.items[index][2]
        return None

    def add(self, start: int, end: int, owner: int) -> None:
        index = bisect.bisect_right(self._starts, start)
        self.items.insert(index, (start, end, owner))
        self._starts.insert(index, start)


def resolve_flow(
    tree: Subtree,
    aggregates: Mapping[int, SeriesAggregate],
    details: Mapping[int, Sequence[Span]],
) -> Outcome:
    """Count a flow: SQL sums for simple units, the overlap rules for `details` units.

    `details` holds, for each complex unit, its records lying inside the period.
    """
    outcome = Outcome()
    excluded = _Exclusions()
    for unit_id, aggregate in aggregates.items():
        if aggregate.partial_count:
            excluded.add(
                unit_id,
                "partial",
                None,
                aggregate.partial_first or 99999999,
                aggregate.partial_last or 0,
                aggregate.partial_sum,
                aggregate.partial_count,
            )
        if unit_id in details or not aggregate.inside_count:
            continue
        outcome.total += aggregate.inside_sum
        outcome.records += aggregate.inside_count
        outcome.units.add(unit_id)
    coverage: dict[int, _Coverage] = {}
    for unit_id in tree.ordered(details):
        inherited = next(
            (coverage[ancestor] for ancestor in tree.ancestors(unit_id) if ancestor in coverage),
            _Coverage(),
        )
        own = _Coverage()
        # The longest record first: a decade total wins over the years inside it.
        for span in sorted(details[unit_id], key=lambda s: (s.start - s.end, s.start, s.id)):
            owner = inherited.owner_of_overlap(span.start, span.end)
            if owner is not None:
                excluded.add(unit_id, "ancestor", owner, span.start, span.end, span.value)
            elif own.owner_of_overlap(span.start, span.end) is not None:
                excluded.add(unit_id, "self", unit_id, span.start, span.end, span.value)
            else:
                own.add(span.start, span.end, unit_id)
                outcome.total += span.value
                outcome.records += 1
                outcome.units.add(unit_id)
        coverage[unit_id] = _Coverage([*inherited.items, *own.items])
    outcome.exclusions = _sorted_exclusions(tree, excluded)
    return outcome


def resolve_stock(tree: Subtree, latest: Mapping[int, StockValue]) -> Outcome:
    """Count a stock: each unit's latest value, the highest reporting unit of a branch winning."""
    outcome = Outcome()
    excluded = _Exclusions()
    ancestors = tree.ancestors
    total: Number = 0
    ends: list[int] = []
    for unit_id in tree.ordered(latest):
        value = latest[unit_id]
        reporting = [ancestor for ancestor in ancestors(unit_id) if ancestor in latest]
        if reporting:
            excluded.add(unit_id, "ancestor", reporting[-1], value.start, value.end, value.value)
            continue
        total += value.value
        ends.append(value.end)
        outcome.units.add(unit_id)
    outcome.total = total
    outcome.records = len(ends)
    if ends:
        outcome.first_as_of, outcome.last_as_of = min(ends), max(ends)
    outcome.exclusions = _sorted_exclusions(tree, excluded)
    return outcome


def _sorted_exclusions(tree: Subtree, excluded: _Exclusions) -> list[Exclusion]:
    if not excluded.groups:
        return []
    order = tree.position
    reason_order = {"ancestor": 0, "self": 1, "partial": 2}
    return sorted(
        excluded.groups.values(),
        key=lambda group: (reason_order[group.reason], order.get(group.unit_id, 0)),
    )


def missing_units(tree: Subtree, reported: Iterable[int]) -> list[int]:
    """Return the highest active units for which nothing above, at or below them reported."""
    reported_set = set(reported) & set(tree.nodes)
    covered: set[int] = set()
    for unit_id in reported_set:
        covered.add(unit_id)
        covered.update(tree.ancestors(unit_id))
    below_reporting: set[int] = set()
    listed_branch: set[int] = set()
    missing: list[int] = []
    for unit_id, node in tree.nodes.items():
        parent = tree.parent(unit_id)
        if unit_id in reported_set or (parent is not None and parent in below_reporting):
            below_reporting.add(unit_id)
        if parent is not None and parent in listed_branch:
            listed_branch.add(unit_id)
            continue
        if node.active and unit_id not in covered and unit_id not in below_reporting:
            missing.append(unit_id)
            listed_branch.add(unit_id)
    return missing
