"""Figures as the officer reads them: HTML replies and plain labels, in the person's language."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Final

from babel.dates import format_date

from bot.figures.model import MEASURES, Indicator
from bot.figures.numbers import Number
from bot.figures.resolve import Exclusion, TreeNode
from bot.figures.results import Breakdown, FiguresAnswer, Line
from bot.kernel.i18n import N_, Html, Language, Translator, translator
from bot.kernel.periods import Period, from_day_key
from bot.units.names import in_sentence

_BABEL_LOCALES: Final = {"vi": "vi_VN", "en": "en_US"}
MAX_LISTED_MISSING: Final = 15
MAX_LISTED_EXCLUSIONS: Final = 12


@cache
def _thousands(language: Language) -> str:
    """Return the language's thousands separator, exactly as babel writes it."""
    return translator(language).number(1000)[1:-3]


def number(t: Translator, value: Number) -> str:
    """Write a value the language's way: 54.307 (vi), 54,307 (en); decimals only when needed."""
    if isinstance(value, float) and not value.is_integer():
        return t.number(value, decimals=2)
    # Whole numbers fill every answer: grouping them here is ~50x cheaper than through babel.
    return f"{int(value):,}".replace(",", _thousands(t.language))


def percent(t: Translator, ratio: float) -> str:
    """Write a ratio as a whole percentage (39/134 -> 29)."""
    return t.number(round(ratio * 100))


def day_text(t: Translator, day: date) -> str:
    """Write a date the language's way (29/5/2023, 29 May 2023)."""
    pattern = t.label("figures.format.day")
    return str(format_date(day, pattern, locale=_BABEL_LOCALES[t.language]))


def _month_text(t: Translator, day: date) -> str:
    pattern = t.label("figures.format.month")
    return str(format_date(day, pattern, locale=_BABEL_LOCALES[t.language]))


def _endpoint(t: Translator, day: date, level: str, *, first: bool) -> str:
    if level == "year":
        return str(day.year)
    if level == "quarter":
        month = day.month if first else day.month - 2
        return t.label("figures.period.quarter", quarter=(month - 1) // 3 + 1, year=day.year)
    if level == "month":
        return _month_text(t, day)
    return day_text(t, day)


def period_text(t: Translator, period: Period) -> str:
    """Write a period as words (giai đoạn 2013 - 2023, quý 2/2023, May 2023)."""
    granularity = period.granularity
    start = period.start
    if granularity == "day":
        return t.label("figures.period.day", date=day_text(t, start))
    if granularity == "month":
        return t.label("figures.period.month", month=_month_text(t, start))
    if granularity == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return t.label("figures.period.quarter", quarter=quarter, year=start.year)
    if granularity == "year":
        return t.label("figures.period.year", year=start.year)
    end = period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        level = "year"
    elif start.day == 1 and start.month in (1, 4, 7, 10) and end.month % 3 == 0:
        level = "quarter" if Period.month(end.year, end.month).end == end else "day"
    elif start.day == 1 and Period.month(end.year, end.month).end == end:
        level = "month"
    else:
        level = "day"
    first, last = _endpoint(t, start, level, first=True), _endpoint(t, end, level, first=False)
    # 2013–2023 closed up; endpoints of several words are spaced: quý 1/2023 – quý 3/2023.
    spaced = " " in first or " " in last
    key = N_("figures.period.range_spaced") if spaced else N_("figures.period.range")
    return t.label(key, start=first, end=last)


def measure_text(t: Translator, indicator: Indicator, count: Number | None = None) -> str:
    """Return the unit of measure's name, in the form for `count` (1 case, 2 cases).

    Without a count (a column heading, an axis) it is the form for many: "cases".
    """
    key = MEASURES.get(indicator.measure)
    if key is None:
        return indicator.measure
    return t.plural_label(key, 2 if count is None else count)


def unit_text(t: Translator, node: TreeNode) -> str:
    """Return a unit's name and code, as a label or a list item: «Tỉnh Kiên Giang (KG)»."""
    return t.label("figures.unit_with_code", name=node.name(t.language), code=node.code)


def unit_in_sentence(t: Translator, node: TreeNode) -> str:
    """Return a unit's name and code inside a sentence: «tỉnh Kiên Giang (KG)»."""
    return t.label(
        "figures.unit_with_code", name=in_sentence(node.name(t.language)), code=node.code
    )


def _lowered(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _line_text(t: Translator, line: Line, period: Period) -> str:
    indicator, outcome = line.indicator, line.outcome
    name = indicator.name(t.language)
    value = number(t, outcome.total)
    measure = measure_text(t, indicator, outcome.total)
    if line.base is not None:
        if line.ratio is not None:
            return t(
                "figures.answer.part",
                name=_lowered(name),
                value=value,
                measure=measure,
                ratio=percent(t, line.ratio),
            )
        return t("figures.answer.part_no_ratio", name=_lowered(name), value=value, measure=measure)
    text = t("figures.answer.line", name=name, value=value, measure=measure)
    if indicator.kind == "stock" and outcome.last_as_of is not None:
        last = from_day_key(outcome.last_as_of)
        first = from_day_key(outcome.first_as_of or outcome.last_as_of)
        if first != last:
            text += t(
                "figures.answer.as_of_range",
                first=day_text(t, first),
                last=day_text(t, last),
            )
        elif last != period.end:
            text += t("figures.answer.as_of", date=day_text(t, last))
    return text


def _span_text(t: Translator, exclusion: Exclusion) -> str:
    return period_text(t, Period.from_keys(exclusion.first_start, exclusion.last_end))


def exclusion_text(
    t: Translator, answer: FiguresAnswer, indicator: Indicator, exclusion: Exclusion
) -> str:
    """Return one sentence saying which record was counted and which was not."""
    nodes = answer.tree.nodes
    unit = unit_in_sentence(t, nodes[exclusion.unit_id])
    values = {
        "indicator": indicator.name(t.language),
        "unit": unit,
        "records": t.number(exclusion.records),
        "value": number(t, exclusion.value),
        "period": _span_text(t, exclusion),
    }
    if exclusion.reason == "ancestor" and exclusion.counted_unit_id in nodes:
        counted = unit_in_sentence(t, nodes[exclusion.counted_unit_id])
        return t("figures.overlap.ancestor", counted=counted, **values)
    if exclusion.reason == "self":
        return t("figures.overlap.self", **values)
    return t("figures.overlap.partial", **values)


def answer_text(t: Translator, answer: FiguresAnswer) -> str:
    """Return the /figures reply: totals, overlaps, not-counted records and missing units."""
    root = answer.root
    parts = [
        t(
            "figures.answer.title",
            unit=root.name(t.language),
            code=root.code,
            period=period_text(t, answer.period),
        )
    ]
    if len(answer.tree) > 1:
        below = len(answer.tree) - 1
        parts.append(t.plural("figures.answer.subtree", below, count=t.number(below)))
    if not any(line.outcome.has_data for line in answer.lines):
        parts.append("")
        parts.append(t("figures.answer.empty"))
    else:
        parts.append("")
        for line in answer.lines:
            if not line.outcome.has_data:
                continue
            if line.base is not None and not answer_has(answer, line.base.key):
                # A part whose base has no figure reads as a line of its own.
                line = Line(line.indicator, line.outcome)
            parts.append(_line_text(t, line, answer.period))
    overlaps: list[str] = []
    outside: list[str] = []
    for line in answer.lines:
        for exclusion in line.outcome.exclusions:
            sentence = exclusion_text(t, answer, line.indicator, exclusion)
            (outside if exclusion.reason == "partial" else overlaps).append(sentence)
    if overlaps:
        parts.append("")
        parts.append(t("figures.overlap.title"))
        parts.extend(overlaps[:MAX_LISTED_EXCLUSIONS])
        if len(overlaps) > MAX_LISTED_EXCLUSIONS:
            parts.append(t("figures.more", count=t.number(len(overlaps) - MAX_LISTED_EXCLUSIONS)))
    if outside:
        parts.append("")
        parts.append(t("figures.outside.title"))
        parts.extend(outside[:MAX_LISTED_EXCLUSIONS])
        if len(outside) > MAX_LISTED_EXCLUSIONS:
            parts.append(t("figures.more", count=t.number(len(outside) - MAX_LISTED_EXCLUSIONS)))
    if answer.missing:
        names = ", ".join(unit_text(t, node) for node in answer.missing[:MAX_LISTED_MISSING])
        if len(answer.missing) > MAX_LISTED_MISSING:
            names += t.label(
                "figures.missing.more", count=t.number(len(answer.missing) - MAX_LISTED_MISSING)
            )
        parts.append("")
        parts.append(t("figures.missing", count=t.number(len(answer.missing)), units=names))
    return "\n".join(parts)


def answer_has(answer: FiguresAnswer, key: str) -> bool:
    """Say whether an indicator counted anything in the answer."""
    line = answer.line(key)
    return line is not None and line.outcome.has_data


def breakdown_text(t: Translator, answer: FiguresAnswer, breakdown: Breakdown, *, by: str) -> str:
    """Return a breakdown (by child unit or by year) as one block per indicator."""
    title_key = (
        N_("figures.breakdown.by_child") if by == "child" else N_("figures.breakdown.by_year")
    )
    parts = [
        t(
            title_key,
            unit=answer.root.name(t.language),
            code=answer.root.code,
            period=period_text(t, answer.period),
        )
    ]
    labels: dict[str, str] = {}
    for label, row in breakdown.rows:
        if by == "child":
            node = row.root
            own = label == answer.root.code and row.tree.root.id == answer.root.id
            labels[label] = (
                t.label("figures.breakdown.own", unit=node.name(t.language))
                if own
                else unit_text(t, node)
            )
        else:
            labels[label] = label
    any_line = False
    for line in answer.lines:
        if not line.outcome.has_data:
            continue
        any_line = True
        key = line.indicator.key
        parts.append("")
        parts.append(
            t(
                "figures.breakdown.indicator",
                name=line.indicator.name(t.language),
                value=number(t, line.outcome.total),
                measure=measure_text(t, line.indicator, line.outcome.total),
            )
        )
        for label, row in breakdown.rows:
            value = row.value(key)
            if value is None:
                continue
            parts.append(t("figures.breakdown.row", label=labels[label], value=number(t, value)))
        rest = breakdown.unattributed.get(key, 0)
        if rest > 0:
            parts.append(t("figures.breakdown.unattributed", value=number(t, rest)))
        elif rest < 0:
            parts.append(t("figures.breakdown.rows_exceed", value=number(t, -rest)))
    if not any_line:
        parts.append("")
        parts.append(t("figures.answer.empty"))
    return "\n".join(parts)


def main_lines(answer: FiguresAnswer) -> list[Line]:
    """Return the lines the report leads with: the main indicators, else all with data."""
    with_data = [line for line in answer.lines if line.outcome.has_data]
    main = [line for line in with_data if line.indicator.main]
    return main or with_data


def html_list(items: list[str]) -> Html:
    """Join already-escaped HTML items into one trusted block."""
    return Html("\n".join(items))
