"""The arguments of /figures, /report, /stats and /export, and the indicator mask of buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram import Update

from bot.figures._access import Officer
from bot.figures.handlers.common import (
    MAX_TOKEN,
    scope_of,
    service_of,
    today,
    too_long,
)
from bot.figures.model import Indicator
from bot.figures.needs import Context
from bot.figures.problems import period_problem
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import Period, PeriodError, parse_period
from bot.kernel.refusal import Refusal
from bot.units import Unit


@dataclass
class QueryArgs:
    """What a /figures, /report, /stats or /export command asked for."""

    unit: Unit
    period: Period
    indicators: list[Indicator] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


class WithUsage(Refusal):
    """A refusal of a command's arguments, followed by how to type the command."""

    def __init__(self, reason: Refusal, usage_key: str) -> None:
        super().__init__(reason.key)
        # Set, not passed as keywords: a value may be called "key".
        self.values = dict(reason.values)
        self.reason = reason
        self.usage_key = usage_key

    def text(self, t: Translator) -> str:
        """Return the reason, a blank line and the command's usage."""
        return self.reason.text(t) + "\n\n" + t(self.usage_key)

    def label(self, t: Translator) -> str:
        """Return the reason alone (a button's alert has no room for the usage)."""
        return self.reason.label(t)


async def query_args(
    context: Context,
    officer: Officer,
    args: Sequence[str],
    *,
    indicators: bool,
    words: Sequence[str] = (),
) -> QueryArgs:
    """Sort the arguments into a period, a unit and indicators; raise a `Refusal` if any is bad."""
    service = service_of(context)
    period: Period | None = None
    unit: Unit | None = None
    chosen: list[Indicator] = []
    found_words: list[str] = []
    catalog = await service.catalog()
    for token in args:
        if len(token) > MAX_TOKEN:
            raise Refusal("figures.error.token_too_long", limit=MAX_TOKEN)
        if token.lower() in words:
            found_words.append(token.lower())
            continue
        try:
            parsed = parse_period(token)
        except PeriodError as error:
            if error.reason != "format":
                raise period_problem(error) from None
        else:
            if period is not None:
                raise Refusal("figures.error.two_periods")
            period = parsed
            continue
        indicator = catalog.find(token) if indicators else None
        if indicator is not None:
            chosen.append(indicator)
            continue
        found = await service.unit(token)
        if found is not None:
            if unit is not None:
                raise Refusal("figures.error.two_units")
            unit = found
            continue
        key = (
            N_("figures.error.unknown_token")
            if indicators
            else N_("figures.error.unknown_token_short")
        )
        raise Refusal(key, token=token)
    if unit is None:
        unit = await service.default_unit(scope_of(officer))
        if unit is None:
            roots = ", ".join(root.code for root in await service.root_units())
            raise Refusal("figures.error.choose_unit", units=roots or "—")
    if not await service.in_scope(scope_of(officer), unit.id):
        raise Refusal("figures.error.unit_outside_scope", code=unit.code)
    if period is None:
        period = Period.year(today(context).year)
    return QueryArgs(unit, period, chosen, found_words)


async def command_query(
    update: Update,
    context: Context,
    officer: Officer,
    usage_key: str,
    *,
    indicators: bool,
    words: Sequence[str] = (),
) -> QueryArgs:
    """Return what a query command asked for; on bad input, raise a refusal with the usage.

    The command answers it with `bot.ptb.refusals.answers_refusals`.
    """
    if too_long(update):
        raise Refusal("figures.error.too_long")
    try:
        return await query_args(
            context, officer, context.args or [], indicators=indicators, words=words
        )
    except Refusal as refusal:
        raise WithUsage(refusal, usage_key) from None


def mask(indicators: Sequence[Indicator]) -> str:
    """Encode indicator ids as a base-36 bit mask, to fit a query in 64 bytes of callback data."""
    bits = 0
    for indicator in indicators:
        bits |= 1 << indicator.id
    return _base36(bits) if bits else ""


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while value:
        value, remainder = divmod(value, 36)
        text = digits[remainder] + text
    return text or "0"


def unmask(text: str) -> list[int]:
    """Decode the indicator ids of a `mask`."""
    if not text:
        return []
    bits = int(text, 36)
    return [index for index in range(bits.bit_length()) if bits >> index & 1]
