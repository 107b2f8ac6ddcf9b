"""Indicators, figure records and the kinds of aggregation, as the rest of the bot sees them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from bot.figures.numbers import Number
from bot.kernel.i18n import N_, Language
from bot.kernel.periods import Period

Kind = Literal["flow", "stock"]
KINDS: Final[tuple[Kind, ...]] = ("flow", "stock")

# Units of measure: code -> catalog key of its name. Every measure but the last is a count of
# whole things (VND has no smaller coin in use), so its values must be integers.
MEASURES: Final[dict[str, str]] = {
    "cases": N_("figures.measure.cases"),
    "people": N_("figures.measure.people"),
    "tips": N_("figures.measure.tips"),
    "models": N_("figures.measure.models"),
    "gangs": N_("figures.measure.gangs"),
    "items": N_("figures.measure.items"),
    "places": N_("figures.measure.places"),
    "sessions": N_("figures.measure.sessions"),
    "teams": N_("figures.measure.teams"),
    "awards": N_("figures.measure.awards"),
    "vnd": N_("figures.measure.vnd"),
    "vnd_million": N_("figures.measure.vnd_million"),
}
DECIMAL_MEASURES: Final = frozenset({"vnd_million"})

KEY_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


@dataclass(frozen=True)
class Indicator:
    """One line of the catalog."""

    id: int
    key: str
    name_vi: str
    name_en: str
    measure: str
    kind: Kind
    part_of: int | None
    integer_only: bool
    main: bool
    sort_order: int
    phrase_vi: str | None
    phrase_en: str | None
    active: bool

    def name(self, language: Language) -> str:
        """Return the indicator's name in a language."""
        return self.name_en if language == "en" else self.name_vi

    def phrase(self, language: Language) -> str | None:
        """Return the summary phrase (with {value}) in a language, if the catalog has one."""
        return self.phrase_en if language == "en" else self.phrase_vi


@dataclass(frozen=True)
class FigureRecord:
    """One stored figure: a value of an indicator for a unit over a period, with provenance."""

    id: int
    indicator_id: int
    unit_id: int
    period: Period
    value: Number
    recorded_by: str
    recorded_at: datetime
    source: str
    supersedes_id: int | None
    reason: str | None
    superseded_at: datetime | None

    @property
    def current(self) -> bool:
        """Say whether no correction has replaced this record."""
        return self.superseded_at is None


@dataclass(frozen=True)
class NewFigure:
    """A figure to record: already parsed and validated against the catalog and the units."""

    indicator: Indicator
    unit_id: int
    period: Period
    value: Number

    def key(self) -> tuple[int, int, int, int]:
        """Return what identifies 'the same figure': a correction replaces the record with it.

        A flow is identified by its whole period; a stock is a value at a date, its period's
        last day, so two stock records ending on the same day are one figure.
        """
        start = 0 if self.indicator.kind == "stock" else self.period.start_key
        return (self.indicator.id, self.unit_id, start, self.period.end_key)


class Catalog:
    """The indicators, indexed by id and key."""

    def __init__(self, indicators: Sequence[Indicator]) -> None:
        self.all = list(indicators)
        self.by_id = {indicator.id: indicator for indicator in indicators}
        self.by_key = {indicator.key: indicator for indicator in indicators}
        self._parts: dict[int, list[Indicator]] = {}
        for indicator in self.all:
            if indicator.part_of is not None:
                self._parts.setdefault(indicator.part_of, []).append(indicator)

    def find(self, text: str) -> Indicator | None:
        """Return the indicator whose key is `text` (case and spaces ignored)."""
        return self.by_key.get(text.strip().lower())

    def parts_of(self, base_id: int) -> list[Indicator]:
        """Return the cohort parts of an indicator."""
        return list(self._parts.get(base_id, ()))

    def active(self) -> list[Indicator]:
        """Return the indicators in use, in display order."""
        return [indicator for indicator in self.all if indicator.active]
