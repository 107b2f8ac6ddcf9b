"""The report's PNG chart: by year when the figures are yearly, totals when they are not.

A province's ten-year review is often one record per indicator for 2013..2023: drawn by year it
would be ten empty years and a "not split by year" column, so such figures get a totals chart
(one bar per indicator) instead; figures recorded year by year get a panel per indicator.

Drawn with Pillow, which the bot already carries, not matplotlib: BENCHMARKS.md measured
matplotlib at about 30 MB of memory and 0.8 s a chart (1.7 s the first time), most of a report
pack's 2 s budget, for a few bars and labels that Pillow draws in milliseconds. matplotlib stays
a dependency only for the DejaVu Sans font it ships (never imported).
"""

from __future__ import annotations

import importlib.util
import io
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont

from bot.figures.render import main_lines, measure_text, number, percent, period_text
from bot.figures.results import Breakdown, FiguresAnswer, Line
from bot.kernel.i18n import Translator

MAX_CHART_PANELS: Final = 8
BAR_COLOR: Final = "#1f5fa8"
UNSPLIT_COLOR: Final = "#b0b7c3"
BACKGROUND: Final = "white"
_PANEL_WIDTH: Final = 600
_PANEL_HEIGHT: Final = 340
_TITLE_HEIGHT: Final = 80
_INK: Final = "#222222"
_GRID: Final = "#e3e6eb"
# The totals chart: a row per indicator, its name wrapped in the left column.
_TOTALS_WIDTH: Final = 1000
_TOTALS_LABEL_WIDTH: Final = 360
_TOTALS_VALUE_WIDTH: Final = 190
_TOTALS_ROW_MIN: Final = 46
_LINE_HEIGHT: Final = 16


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


def is_yearly(answer: FiguresAnswer, by_year: Breakdown) -> bool:
    """Say whether the chart's figures fall in two years or more, so years can be compared.

    A decade's flows recorded once for 2013..2023 fall in no single year, and a stock recorded
    at its end falls in the last year only: neither is yearly, nor is a period of one year.
    """
    keys = [line.indicator.key for line in chart_lines(answer)]
    years = {
        label for label, row in by_year.rows if any(row.value(key) is not None for key in keys)
    }
    return len(years) >= 2


def chart_lines(answer: FiguresAnswer) -> list[Line]:
    """Return the lines the chart draws: the report's leading ones, at most MAX_CHART_PANELS."""
    lines = [line for line in main_lines(answer) if line.indicator.kind in ("flow", "stock")]
    return lines[:MAX_CHART_PANELS]


def wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float) -> list[str]:
    """Break a text into lines of at most `width` pixels, between words; never cut a word.

    A single word wider than `width` gets a line of its own (it overflows rather than lose
    letters: «Chưa…» told nobody what the column was).
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


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


def _centered(
    draw: ImageDraw.ImageDraw, lines: list[str], font: Any, center: float, top: float
) -> None:
    for index, text in enumerate(lines):
        x = center - draw.textlength(text, font=font) / 2
        draw.text((x, top + index * _LINE_HEIGHT), text, font=font, fill=_INK)


def _line_title(t: Translator, line: Line) -> str:
    title = line.indicator.name(t.language)
    if line.ratio is not None:
        title += t.label("figures.report.ratio", ratio=percent(t, line.ratio))
    return title


def _panel(
    image: Image.Image, origin: tuple[int, int], t: Translator, line: Line, by_year: Breakdown
) -> None:
    """Draw one indicator's bars by year into the panel at `origin`."""
    draw = ImageDraw.Draw(image)
    left, top = origin
    key = line.indicator.key
    labels = [label for label, _answer in by_year.rows]
    values: list[float] = [float(row.value(key) or 0) for _label, row in by_year.rows]
    colors = [BAR_COLOR] * len(values)
    rest = by_year.unattributed.get(key, 0)
    if rest > 0:
        labels.append(t.label("figures.chart.unsplit"))
        values.append(float(rest))
        colors.append(UNSPLIT_COLOR)
    title_font = _font(13)
    title_lines = wrap(draw, _line_title(t, line), title_font, _PANEL_WIDTH - 30)[:2]
    _centered(draw, title_lines, title_font, left + _PANEL_WIDTH / 2, top + 8)
    # The plot area, with room for the value axis on the left and wrapped labels below.
    plot_left, plot_right = left + 78, left + _PANEL_WIDTH - 18
    plot_top, plot_bottom = top + 58, top + _PANEL_HEIGHT - 58
    small = _font(10)
    step = _nice_step(max(values, default=0))
    steps = max(1, math.ceil(max(values, default=0) / step))
    scale = (plot_bottom - plot_top) / (steps * step)
    for tick in range(steps + 1):
        tick_y = plot_bottom - tick * step * scale
        draw.line([(plot_left, tick_y), (plot_right, tick_y)], fill=_GRID)
        label = number(t, tick * step)
        x = plot_left - 6 - draw.textlength(label, font=small)
        draw.text((x, tick_y - 6), label, font=small, fill=_INK)
    draw.line([(plot_left, plot_top - 4), (plot_left, plot_bottom)], fill=_INK)
    draw.line([(plot_left, plot_bottom), (plot_right, plot_bottom)], fill=_INK)
    _axis_label(image, measure_text(t, line.indicator), (left + 4, plot_top, plot_bottom))
    if values:
        plot = (plot_left, plot_right, plot_bottom)
        _bars(draw, t, plot, scale, labels, values, colors)


def _axis_label(image: Image.Image, text: str, where: tuple[int, int, int]) -> None:
    """Write the measure up the value axis."""
    left, plot_top, plot_bottom = where
    font = _font(11)
    probe = ImageDraw.Draw(image)
    size = (int(probe.textlength(text, font=font)) + 4, 16)
    label_image = Image.new("RGB", size, BACKGROUND)
    ImageDraw.Draw(label_image).text((2, 1), text, font=font, fill=_INK)
    rotated = label_image.rotate(90, expand=True)
    image.paste(rotated, (left, int((plot_top + plot_bottom - rotated.height) / 2)))


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
                _centered(draw, [number(t, value)], small, center, bar_top - 14)
        # A label wraps onto up to three lines below its bar rather than being cut.
        _centered(draw, wrap(draw, label, small, slot - 2)[:3], small, center, plot_bottom + 6)


def _totals(image: Image.Image, t: Translator, lines: list[Line], top: int) -> None:
    """Draw one horizontal bar per indicator, its total at the end.

    Indicators of the same measure share a scale (134 drug users managed, 39 progressed); bars
    of different measures are not compared, so each measure's largest bar is full length.
    """
    draw = ImageDraw.Draw(image)
    font, bold = _font(13), _font(13, bold=True)
    longest: dict[str, float] = {}
    for line in lines:
        measure = line.indicator.measure
        longest[measure] = max(longest.get(measure, 0.0), float(line.outcome.total))
    bar_left = _TOTALS_LABEL_WIDTH + 30
    bar_room = _TOTALS_WIDTH - bar_left - _TOTALS_VALUE_WIDTH
    y = top
    for line in lines:
        label = wrap(draw, _line_title(t, line), font, _TOTALS_LABEL_WIDTH)
        height = _row_height(len(label))
        middle = y + height / 2
        label_top = middle - len(label) * _LINE_HEIGHT / 2
        for index, text in enumerate(label):
            draw.text((20, label_top + index * _LINE_HEIGHT), text, font=font, fill=_INK)
        total = float(line.outcome.total)
        top_value = longest[line.indicator.measure]
        length = bar_room * total / top_value if top_value > 0 else 0
        if length > 0:
            draw.rectangle(
                [(bar_left, middle - 13), (bar_left + max(length, 2), middle + 13)],
                fill=BAR_COLOR,
            )
        value = number(t, line.outcome.total)
        measure = measure_text(t, line.indicator, line.outcome.total)
        x = bar_left + length + 8
        draw.text((x, middle - 9), value, font=bold, fill=_INK)
        x += draw.textlength(value + " ", font=bold)
        draw.text((x, middle - 8), measure, font=_font(11), fill=_INK)
        draw.line([(20, y + height), (_TOTALS_WIDTH - 20, y + height)], fill=_GRID)
        y += height


def _row_height(label_lines: int) -> int:
    return max(_TOTALS_ROW_MIN, label_lines * _LINE_HEIGHT + 14)


def _totals_height(t: Translator, lines: list[Line]) -> int:
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    font = _font(13)
    return sum(
        _row_height(len(wrap(probe, _line_title(t, line), font, _TOTALS_LABEL_WIDTH)))
        for line in lines
    )


def chart_png(t: Translator, answer: FiguresAnswer, by_year: Breakdown) -> bytes:
    """Draw the main indicators (by year, or their totals) and return the PNG bytes."""
    lines = chart_lines(answer)
    yearly = is_yearly(answer, by_year)
    if lines and not yearly:
        size = (_TOTALS_WIDTH, _TITLE_HEIGHT + _totals_height(t, lines) + 30)
    else:
        columns = 2 if len(lines) > 1 else 1
        rows = max(1, math.ceil(len(lines) / columns))
        size = (_PANEL_WIDTH * columns, _PANEL_HEIGHT * rows + _TITLE_HEIGHT)
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    title = t.label(
        "figures.chart.title",
        unit=answer.root.name(t.language),
        period=period_text(t, answer.period),
    )
    title_font = _font(18, bold=True)
    title_lines = wrap(draw, title, title_font, image.width - 20)[:2]
    top = 24 if len(title_lines) == 1 else 10
    for index, text in enumerate(title_lines):
        x = (image.width - draw.textlength(text, font=title_font)) / 2
        draw.text((x, top + index * 24), text, font=title_font, fill=_INK)
    if not lines:
        empty = t.label("figures.chart.empty")
        font = _font(14)
        x = (image.width - draw.textlength(empty, font=font)) / 2
        draw.text((x, image.height / 2), empty, font=font, fill=_INK)
    elif not yearly:
        _totals(image, t, lines, _TITLE_HEIGHT)
    else:
        columns = 2 if len(lines) > 1 else 1
        for index, line in enumerate(lines):
            origin = (
                (index % columns) * _PANEL_WIDTH,
                _TITLE_HEIGHT + (index // columns) * _PANEL_HEIGHT,
            )
            _panel(image, origin, t, line, by_year)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
