"""The report pack: a summary in the style of the provincial reviews, a PNG chart, an XLSX book.

The chart and the workbook are built from the same `FiguresAnswer` and `Breakdown` objects as
the text, so the three never disagree. Both are CPU work: handlers run them in a thread. The
workbook is written by `bot.figures.xlsx`, its raw sheet streamed from the database cursor in
chunks (`RecordRows`), so a province's decade of records never sits in memory at once.
"""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont

from bot.figures.numbers import Number
from bot.figures.render import measure_text, number, percent, period_text, unit_text
from bot.figures.repository import RawRecord
from bot.figures.results import Breakdown, FiguresAnswer, Line
from bot.figures.xlsx import Sheet, Workbook
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import Period
from bot.units.names import in_sentence

MAX_CHART_PANELS: Final = 8
# Past this the raw sheet stops with a note; the CLI exports everything. Each 10,000 rows cost
# about 0.45 s of a pack that must arrive within 2 s (BENCHMARKS.md); a province's decade has
# half a million records, which no sheet would make readable anyway.
MAX_RAW_ROWS: Final = 20_000
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
        measure=measure_text(t, line.indicator, line.outcome.total),
    )


def summary_text(t: Translator, answer: FiguresAnswer) -> str:
    """Return a short summary in the style of the seed article, in the person's language."""
    lines = main_lines(answer)
    period = _capitalized(period_text(t, answer.period))
    unit = answer.root.name(t.language)
    # The summary names the unit mid-sentence («…, tại tỉnh Kiên Giang: …»), the title as is.
    in_text = in_sentence(unit)
    if not lines:
        return t("figures.report.empty", unit=in_text, period=period_text(t, answer.period))
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
        t("figures.report.summary", period=period, unit=in_text, clauses="; ".join(clauses)),
    ]
    overlaps = sum(
        1
        for line in answer.lines
        for exclusion in line.outcome.exclusions
        if exclusion.reason != "partial"
    )
    notes: list[str] = []
    if overlaps:
        notes.append(t.plural("figures.report.note_overlaps", overlaps, count=t.number(overlaps)))
    if answer.missing:
        missing = len(answer.missing)
        notes.append(t.plural("figures.report.note_missing", missing, count=t.number(missing)))
    if notes:
        parts.append("")
        parts.extend(notes)
    return "\n".join(parts)


# ---------------------------------------------------------------- chart


# The chart is drawn with Pillow, which the bot already carries: matplotlib cost about 30 MB
# of memory and 0.8 s a chart (1.7 s the first time), most of a report pack's budget.
_PANEL_WIDTH: Final = 600
_PANEL_HEIGHT: Final = 320
_TITLE_HEIGHT: Final = 80
_BACKGROUND: Final = "white"
_INK: Final = "#222222"
_GRID: Final = "#e3e6eb"


@lru_cache(maxsize=16)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return DejaVu Sans (every Vietnamese letter), or Pillow's own font if it is missing."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _font_folders():
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _font_folders() -> list[Path]:
    """Return where DejaVu Sans may be: matplotlib's data (not imported), then the system's."""
    folders: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        folders.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    folders.append(Path("/usr/share/fonts/truetype/dejavu"))
    return folders


def _nice_step(top: float, ticks: int = 4) -> float:
    """Return a round tick step (1, 2, 2.5 or 5 times a power of ten) covering `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float) -> str:
    """Shorten a text with an ellipsis until it fits in `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _panel(
    image: Image.Image,
    origin: tuple[int, int],
    t: Translator,
    line: Line,
    by_year: Breakdown,
) -> None:
    """Draw one indicator's bars by year into the panel at `origin`."""
    draw = ImageDraw.Draw(image)
    left, top = origin
    key = line.indicator.key
    labels = [label for label, _answer in by_year.rows]
    values: list[float] = [float(row.value(key) or 0) for _label, row in by_year.rows]
    colors = [_BAR_COLOR] * len(values)
    rest = by_year.unattributed.get(key, 0)
    if rest > 0:
        labels.append(t.label("figures.chart.unsplit"))
        values.append(float(rest))
        colors.append(_UNSPLIT_COLOR)
    title = line.indicator.name(t.language)
    if line.ratio is not None:
        title += t.label("figures.report.ratio", ratio=percent(t, line.ratio))
    title_font = _font(13)
    y = top + 8
    for title_line in _wrapped(title, 62).splitlines()[:2]:
        width = draw.textlength(title_line, font=title_font)
        draw.text((left + (_PANEL_WIDTH - width) / 2, y), title_line, font=title_font, fill=_INK)
        y += 17
    # The plot area, with room for the value axis on the left and the years below.
    plot_left, plot_right = left + 78, left + _PANEL_WIDTH - 18
    plot_top, plot_bottom = top + 58, top + _PANEL_HEIGHT - 38
    small = _font(10)
    step = _nice_step(max(values, default=0))
    steps = max(1, math.ceil(max(values, default=0) / step))
    scale = (plot_bottom - plot_top) / (steps * step)
    for tick in range(steps + 1):
        tick_y = plot_bottom - tick * step * scale
        draw.line([(plot_left, tick_y), (plot_right, tick_y)], fill=_GRID)
        label = number(t, tick * step)
        draw.text(
            (plot_left - 6 - draw.textlength(label, font=small), tick_y - 6),
            label,
            font=small,
            fill=_INK,
        )
    draw.line([(plot_left, plot_top - 4), (plot_left, plot_bottom)], fill=_INK)
    draw.line([(plot_left, plot_bottom), (plot_right, plot_bottom)], fill=_INK)
    # The measure, written up the value axis.
    measure = measure_text(t, line.indicator)
    measure_font = _font(11)
    size = (int(draw.textlength(measure, font=measure_font)) + 4, 16)
    label_image = Image.new("RGB", size, _BACKGROUND)
    ImageDraw.Draw(label_image).text((2, 1), measure, font=measure_font, fill=_INK)
    rotated = label_image.rotate(90, expand=True)
    image.paste(rotated, (left + 4, int((plot_top + plot_bottom - rotated.height) / 2)))
    if not values:
        return
    _bars(draw, t, (plot_left, plot_right, plot_bottom), scale, labels, values, colors)


def _bars(
    draw: ImageDraw.ImageDraw,
    t: Translator,
    plot: tuple[float, float, float],
    scale: float,
    labels: list[str],
    values: list[float],
    colors: list[str],
) -> None:
    """Draw the bars from the axis at `plot` (left, right, bottom), with values and labels."""
    plot_left, plot_right, plot_bottom = plot
    small = _font(10)
    slot = (plot_right - plot_left) / len(values)
    bar_width = slot * 0.7
    for index, (label, value, color) in enumerate(zip(labels, values, colors, strict=True)):
        center = plot_left + slot * (index + 0.5)
        bar_top = plot_bottom - value * scale
        if value > 0:
            draw.rectangle(
                [(center - bar_width / 2, bar_top), (center + bar_width / 2, plot_bottom - 1)],
                fill=color,
            )
            if len(values) <= 12:
                text = _fit(draw, number(t, value), small, slot)
                draw.text(
                    (center - draw.textlength(text, font=small) / 2, bar_top - 14),
                    text,
                    font=small,
                    fill=_INK,
                )
        text = _fit(draw, label, small, slot - 2)
        draw.text(
            (center - draw.textlength(text, font=small) / 2, plot_bottom + 6),
            text,
            font=small,
            fill=_INK,
        )


def chart_png(t: Translator, answer: FiguresAnswer, by_year: Breakdown) -> bytes:
    """Draw the main indicators by year as small multiples and return the PNG bytes."""
    lines = [line for line in main_lines(answer) if line.indicator.kind in ("flow", "stock")]
    lines = lines[:MAX_CHART_PANELS]
    columns = 2 if len(lines) > 1 else 1
    rows = max(1, math.ceil(len(lines) / columns))
    image = Image.new(
        "RGB", (_PANEL_WIDTH * columns, _PANEL_HEIGHT * rows + _TITLE_HEIGHT), _BACKGROUND
    )
    draw = ImageDraw.Draw(image)
    title = t.label(
        "figures.chart.title",
        unit=answer.root.name(t.language),
        period=period_text(t, answer.period),
    )
    title_font = _font(18, bold=True)
    title = _fit(draw, title, title_font, image.width - 20)
    draw.text(
        ((image.width - draw.textlength(title, font=title_font)) / 2, 24),
        title,
        font=title_font,
        fill=_INK,
    )
    if not lines:
        empty = t.label("figures.chart.empty")
        font = _font(14)
        draw.text(
            ((image.width - draw.textlength(empty, font=font)) / 2, image.height / 2),
            empty,
            font=font,
            fill=_INK,
        )
    for index, line in enumerate(lines):
        origin = (
            (index % columns) * _PANEL_WIDTH,
            _TITLE_HEIGHT + (index // columns) * _PANEL_HEIGHT,
        )
        _panel(image, origin, t, line, by_year)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
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


def _as_of(line: Line) -> str:
    outcome = line.outcome
    if line.indicator.kind != "stock" or outcome.last_as_of is None:
        return ""
    last = str(outcome.last_as_of)
    return f"{last[:4]}-{last[4:6]}-{last[6:]}"


def summary_sheets(
    book: Workbook,
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    by_year: Breakdown,
    *,
    generated_at: datetime,
) -> Sheet:
    """Write the totals, by unit and by year sheets; start the raw sheet and return it."""
    lines = [line for line in answer.lines if line.outcome.has_data]

    _totals_sheet(book, t, answer, lines, generated_at)
    keys = [line.indicator.key for line in lines]
    headers = [line.indicator.name(t.language) for line in lines]

    _units_sheet(book, t, answer, by_child, keys, headers)
    _years_sheet(book, t, by_year, keys, headers)
    return _raw_sheet(book, t)


def _totals_sheet(
    book: Workbook, t: Translator, answer: FiguresAnswer, lines: list[Line], generated_at: datetime
) -> None:
    """Write the totals sheet: what was asked, then one row per indicator with data."""
    totals = book.sheet(t.label("figures.xlsx.sheet_totals"))
    totals.append([t.label("figures.xlsx.title")], bold=True)
    totals.append([t.label("figures.xlsx.unit"), unit_text(t, answer.root)])
    totals.append([t.label("figures.xlsx.period"), period_text(t, answer.period)])
    totals.append([t.label("figures.xlsx.period_code"), answer.period.label()])
    totals.append([t.label("figures.xlsx.generated"), generated_at.isoformat(timespec="seconds")])
    totals.append([])
    totals.append(
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
        totals.append(
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
        totals.append([])
        totals.append(
            [t.label("figures.xlsx.missing"), ", ".join(unit_text(t, n) for n in answer.missing)],
        )


def _units_sheet(
    book: Workbook,
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    keys: list[str],
    headers: list[str],
) -> None:
    """Write the by-unit sheet: the unit's own records, then each child unit."""
    by_unit = book.sheet(t.label("figures.xlsx.sheet_units"))
    by_unit.append(
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
        by_unit.append([label, name, *values])


def _years_sheet(
    book: Workbook, t: Translator, by_year: Breakdown, keys: list[str], headers: list[str]
) -> None:
    """Write the by-year sheet, with the difference no single year holds."""
    by_years = book.sheet(t.label("figures.xlsx.sheet_years"))
    by_years.append([t.label("figures.xlsx.col_year"), *headers], bold=True)
    for label, row in by_year.rows:
        year_values: list[Number | str] = [
            "" if (value := row.value(key)) is None else value for key in keys
        ]
        by_years.append([int(label), *year_values])
    if by_year.unattributed:
        by_years.append(
            [
                t.label("figures.xlsx.difference"),
                *[by_year.unattributed.get(key, "") for key in keys],
            ],
        )


def _raw_sheet(book: Workbook, t: Translator) -> Sheet:
    """Start the records sheet with its header row, and return it."""
    raw = book.sheet(t.label("figures.xlsx.sheet_records"))
    raw.append(
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
    return raw


class RecordRows:
    """The raw sheet's rows, added chunk by chunk, stopping with a note at MAX_RAW_ROWS."""

    def __init__(self, t: Translator, sheet: Sheet) -> None:
        self.t = t
        self.sheet = sheet
        self.count = 0
        self.stopped = False
        self._status = {
            True: t.label(_STATUS_KEYS[True]),
            False: t.label(_STATUS_KEYS[False]),
        }

    def add(self, records: Iterable[RawRecord]) -> None:
        """Write records until the cap; past it, write the note once and ignore the rest."""
        if not self.stopped:
            self.sheet.extend(self._rows(records))
            self._note_the_stop()

    def _note_the_stop(self) -> None:
        if self.stopped:
            limit = self.t.number(MAX_RAW_ROWS)
            self.sheet.append([self.t.label("figures.xlsx.truncated", limit=limit)])

    def _rows(self, records: Iterable[RawRecord]) -> Iterator[list[Any]]:
        """Yield the cells of each record, one row at a time, up to the cap."""
        limit = MAX_RAW_ROWS
        status = self._status
        for record in records:
            if self.count >= limit:
                self.stopped = True
                return
            self.count += 1
            yield [
                record.id,
                record.indicator_key,
                record.unit_code,
                period_label(record.period),
                record.value,
                status[record.superseded_at is None],
                record.recorded_by,
                record.recorded_at,
                record.source,
                record.supersedes_id,
                record.reason,
                record.superseded_at,
            ]


@lru_cache(maxsize=4096)
def period_label(period: Period) -> str:
    """Return a period's label; the raw sheet repeats the same few thousand periods."""
    return period.label()


def workbook_xlsx(
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    by_year: Breakdown,
    records: Iterable[RawRecord],
    *,
    generated_at: datetime,
) -> bytes:
    """Build the report workbook: totals, by unit, by year and the raw records."""
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        raw = summary_sheets(book, t, answer, by_child, by_year, generated_at=generated_at)
        RecordRows(t, raw).add(records)
    return buffer.getvalue()
