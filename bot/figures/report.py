"""The report pack: a summary in the style of the provincial reviews, a PNG chart, an XLSX book.

The chart and the workbook are built from the same `FiguresAnswer` and `Breakdown` objects as
the text, so the three never disagree. Both are CPU work: handlers run them in a thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from bot.figures.numbers import Number
from bot.figures.render import measure_text, number, percent, period_text, unit_text
from bot.figures.repository import RawRecord
from bot.figures.service import Breakdown, FiguresAnswer, Line
from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MAX_CHART_PANELS: Final = 8
# Past this the raw sheet stops with a note; the CLI exports everything.
MAX_RAW_ROWS: Final = 100_000
_KIND_KEYS: Final = {"flow": N_("figures.kind.flow"), "stock": N_("figures.kind.stock")}
_STATUS_KEYS: Final = {
    True: N_("figures.xlsx.status_current"),
    False: N_("figures.xlsx.status_superseded"),
}
_BAR_COLOR: Final = "#1f5fa8"
_UNSPLIT_COLOR: Final = "#b0b7c3"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def main_lines(answer: FiguresAnswer) -> list[Line]:
    """Return the lines the report leads with: the main indicators, else all with data."""
    with_data = [line for line in answer.lines if line.outcome.has_data]
    main = [line for line in with_data if line.indicator.main]
    return main or with_data


def _clause(t: Translator, line: Line) -> str:
    phrase = line.indicator.phrase(t.language)
    value = number(t, line.outcome.total)
    if phrase and "{value}" in phrase:
        return phrase.replace("{value}", value)
    name = line.indicator.name(t.language)
    return t.label(
        "figures.report.clause",
        name=name[:1].lower() + name[1:],
        value=value,
        measure=measure_text(t, line.indicator),
    )


def summary_text(t: Translator, answer: FiguresAnswer) -> str:
    """Return a short summary in the style of the seed article, in the person's language."""
    lines = main_lines(answer)
    period = _capitalized(period_text(t, answer.period))
    unit = answer.root.name(t.language)
    if not lines:
        return t("figures.report.empty", unit=unit, period=period_text(t, answer.period))
    clauses: list[str] = []
    keys = {line.indicator.key for line in lines}
    for line in lines:
        if line.base is not None and line.base.key in keys and clauses:
            clause = _clause(t, line)
            if line.ratio is not None:
                clause += t.label("figures.report.ratio", ratio=percent(t, line.ratio))
            clauses[-1] += ", " + clause
            continue
        clauses.append(_clause(t, line))
    parts = [
        t("figures.report.title", unit=unit, period=period_text(t, answer.period)),
        "",
        t("figures.report.summary", period=period, unit=unit, clauses="; ".join(clauses)),
    ]
    overlaps = sum(
        1
        for line in answer.lines
        for exclusion in line.outcome.exclusions
        if exclusion.reason != "partial"
    )
    notes: list[str] = []
    if overlaps:
        notes.append(t("figures.report.note_overlaps", count=t.number(overlaps)))
    if answer.missing:
        notes.append(t("figures.report.note_missing", count=t.number(len(answer.missing))))
    if notes:
        parts.append("")
        parts.extend(notes)
    return "\n".join(parts)


# ---------------------------------------------------------------- chart


def chart_png(t: Translator, answer: FiguresAnswer, by_year: Breakdown) -> bytes:
    """Draw the main indicators by year as small multiples and return the PNG bytes."""
    # Imported late and without pyplot: no GUI backend, no global state, safe in a thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    lines = [line for line in main_lines(answer) if line.indicator.kind in ("flow", "stock")]
    lines = lines[:MAX_CHART_PANELS]
    columns = 2 if len(lines) > 1 else 1
    rows = max(1, math.ceil(len(lines) / columns))
    figure = Figure(figsize=(6.0 * columns, 3.2 * rows + 0.8), dpi=100)
    FigureCanvasAgg(figure)
    figure.suptitle(
        t.label(
            "figures.chart.title",
            unit=answer.root.name(t.language),
            period=period_text(t, answer.period),
        ),
        fontsize=13,
    )
    formatter = FuncFormatter(lambda value, _position: number(t, value))
    if not lines:
        axes = figure.add_subplot(1, 1, 1)
        axes.axis("off")
        axes.text(0.5, 0.5, t.label("figures.chart.empty"), ha="center", va="center")
    for index, line in enumerate(lines, start=1):
        axes = figure.add_subplot(rows, columns, index)
        key = line.indicator.key
        labels = [label for label, _answer in by_year.rows]
        values: list[float] = [float(row.value(key) or 0) for _label, row in by_year.rows]
        colors = [_BAR_COLOR] * len(values)
        rest = by_year.unattributed.get(key, 0)
        if rest > 0:
            labels.append(t.label("figures.chart.unsplit"))
            values.append(float(rest))
            colors.append(_UNSPLIT_COLOR)
        positions = list(range(len(values)))
        bars = axes.bar(positions, values, color=colors)
        if len(values) <= 12:
            axes.bar_label(bars, labels=[number(t, v) if v else "" for v in values], fontsize=7)
        axes.set_xticks(positions)
        axes.set_xticklabels(labels, rotation=45 if len(labels) > 6 else 0, fontsize=8)
        axes.yaxis.set_major_formatter(formatter)
        title = line.indicator.name(t.language)
        if line.ratio is not None:
            title += t.label("figures.report.ratio", ratio=percent(t, line.ratio))
        axes.set_title(_wrapped(title), fontsize=9)
        axes.set_ylabel(measure_text(t, line.indicator), fontsize=8)
        axes.spines["top"].set_visible(False)
        axes.spines["right"].set_visible(False)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _wrapped(text: str, width: int = 48) -> str:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "\n".join(lines)


# ---------------------------------------------------------------- workbook


def _append(sheet: WriteOnlyWorksheet, values: Sequence[Any], *, bold: bool = False) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells: list[Any] = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = "#,##0" if float(value).is_integer() else "#,##0.00"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _as_of(line: Line) -> str:
    outcome = line.outcome
    if line.indicator.kind != "stock" or outcome.last_as_of is None:
        return ""
    last = str(outcome.last_as_of)
    return f"{last[:4]}-{last[4:6]}-{last[6:]}"


def workbook_xlsx(
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    by_year: Breakdown,
    records: Sequence[RawRecord],
    *,
    generated_at: datetime,
) -> bytes:
    """Build the report workbook: totals, by unit, by year and the raw records."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    lines = [line for line in answer.lines if line.outcome.has_data]

    totals = workbook.create_sheet(t.label("figures.xlsx.sheet_totals"))
    _append(totals, [t.label("figures.xlsx.title")], bold=True)
    _append(totals, [t.label("figures.xlsx.unit"), unit_text(t, answer.root)])
    _append(totals, [t.label("figures.xlsx.period"), period_text(t, answer.period)])
    _append(totals, [t.label("figures.xlsx.period_code"), answer.period.label()])
    _append(totals, [t.label("figures.xlsx.generated"), generated_at.isoformat(timespec="seconds")])
    _append(totals, [])
    _append(
        totals,
        [
            t.label("figures.xlsx.col_key"),
            t.label("figures.xlsx.col_indicator"),
            t.label("figures.xlsx.col_measure"),
            t.label("figures.xlsx.col_kind"),
            t.label("figures.xlsx.col_value"),
            t.label("figures.xlsx.col_ratio"),
            t.label("figures.xlsx.col_as_of"),
            t.label("figures.xlsx.col_records"),
        ],
        bold=True,
    )
    for line in lines:
        ratio: float | str = round(line.ratio * 100, 1) if line.ratio is not None else ""
        _append(
            totals,
            [
                line.indicator.key,
                line.indicator.name(t.language),
                measure_text(t, line.indicator),
                t.label(_KIND_KEYS[line.indicator.kind]),
                line.outcome.total,
                ratio,
                _as_of(line),
                line.outcome.records,
            ],
        )
    if answer.missing:
        _append(totals, [])
        _append(
            totals,
            [t.label("figures.xlsx.missing"), ", ".join(unit_text(t, n) for n in answer.missing)],
        )

    keys = [line.indicator.key for line in lines]
    headers = [line.indicator.name(t.language) for line in lines]

    by_unit = workbook.create_sheet(t.label("figures.xlsx.sheet_units"))
    _append(
        by_unit,
        [t.label("figures.xlsx.col_unit_code"), t.label("figures.xlsx.col_unit"), *headers],
        bold=True,
    )
    for label, row in by_child.rows:
        values: list[Number | str] = [
            "" if (value := row.value(key)) is None else value for key in keys
        ]
        own = row.tree.root.id == answer.root.id
        name = (
            t.label("figures.breakdown.own", unit=row.root.name(t.language))
            if own
            else row.root.name(t.language)
        )
        _append(by_unit, [label, name, *values])

    by_years = workbook.create_sheet(t.label("figures.xlsx.sheet_years"))
    _append(by_years, [t.label("figures.xlsx.col_year"), *headers], bold=True)
    for label, row in by_year.rows:
        year_values: list[Number | str] = [
            "" if (value := row.value(key)) is None else value for key in keys
        ]
        _append(by_years, [int(label), *year_values])
    if by_year.unattributed:
        _append(
            by_years,
            [
                t.label("figures.xlsx.difference"),
                *[by_year.unattributed.get(key, "") for key in keys],
            ],
        )

    raw = workbook.create_sheet(t.label("figures.xlsx.sheet_records"))
    _append(
        raw,
        [
            "id",
            t.label("figures.xlsx.col_key"),
            t.label("figures.xlsx.col_unit_code"),
            t.label("figures.xlsx.period_code"),
            t.label("figures.xlsx.col_value"),
            t.label("figures.xlsx.col_status"),
            t.label("figures.xlsx.col_recorded_by"),
            t.label("figures.xlsx.col_recorded_at"),
            t.label("figures.xlsx.col_source"),
            t.label("figures.xlsx.col_supersedes"),
            t.label("figures.xlsx.col_reason"),
            t.label("figures.xlsx.col_superseded_at"),
        ],
        bold=True,
    )
    for count, record in enumerate(records):
        if count >= MAX_RAW_ROWS:
            _append(raw, [t.label("figures.xlsx.truncated", limit=t.number(MAX_RAW_ROWS))])
            break
        _append(
            raw,
            [
                record.id,
                record.indicator_key,
                record.unit_code,
                record.period.label(),
                record.value,
                t.label(_STATUS_KEYS[record.superseded_at is None]),
                record.recorded_by,
                record.recorded_at,
                record.source,
                record.supersedes_id if record.supersedes_id is not None else "",
                record.reason or "",
                record.superseded_at or "",
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
