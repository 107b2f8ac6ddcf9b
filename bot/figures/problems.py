"""Why an input was refused: a field, a catalog key and its values (a `Refusal`).

Validation collects them (one figure may have several, an import one per bad cell) and the
handlers show them; a single one is answered like any refusal (`bot.ptb.refusals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from bot.figures.numbers import NumberError
from bot.kernel.i18n import N_
from bot.kernel.periods import PeriodError
from bot.kernel.refusal import Refusal

Field = Literal["indicator", "unit", "period", "value", "reason", "file"]

PERIOD_PROBLEMS: Final[dict[str, str]] = {
    "format": N_("figures.period_error.format"),
    "order": N_("figures.period_error.order"),
    "year": N_("figures.period_error.year"),
    "day": N_("figures.period_error.day"),
    "long": N_("figures.period_error.long"),
}
NUMBER_PROBLEMS: Final[dict[str, str]] = {
    "empty": N_("figures.value_error.empty"),
    "format": N_("figures.value_error.format"),
    "negative": N_("figures.value_error.negative"),
    "too_large": N_("figures.value_error.too_large"),
    "not_integer": N_("figures.value_error.not_integer"),
    "long": N_("figures.value_error.long"),
}


class Problem(Refusal):
    """Why one input was refused: the field, a catalog key and the values it formats."""

    def __init__(self, where: Field, key: str, values: Mapping[str, str] | None = None) -> None:
        super().__init__(key)
        # Set, not passed as keywords: a value may be called "key" (figures.indicator_add.*).
        self.values = dict(values or {})
        self.where: Field = where


def period_problem(error: PeriodError) -> Problem:
    """Return the problem for a period that did not parse."""
    return Problem("period", PERIOD_PROBLEMS[error.reason])


def number_problem(error: NumberError) -> Problem:
    """Return the problem for a value that did not parse."""
    return Problem("value", NUMBER_PROBLEMS[error.problem])


@dataclass(frozen=True)
class RowProblem:
    """A bad row of an import: its line, its column and why."""

    line: int
    column: str
    problem: Problem
