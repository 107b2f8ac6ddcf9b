"""The report chart as a real PNG: totals when the figures are not yearly, years when they are."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from bot.figures import chart
from bot.figures.results import Breakdown, FiguresAnswer
from bot.kernel.i18n import Language, translator
from bot.kernel.periods import parse_period
from tests.figures.conftest import ADMIN, ADMIN_EN, SEED_FILE, Figures

BAR = (0x1F, 0x5F, 0xA8)
UNSPLIT = (0xB0, 0xB7, 0xC3)


async def _figures_of(figures: Figures, unit: str, period: str) -> tuple[FiguresAnswer, Breakdown]:
    service = figures.service
    unit_id, parsed = await figures.unit_id(unit), parse_period(period)
    answer = await service.answer(unit_id, parsed)
    by_year = await service.by_year(unit_id, parsed)
    assert answer is not None
    assert by_year is not None
    return answer, by_year


def _colors(image: Image.Image) -> dict[object, int]:
    colors = image.getcolors(image.width * image.height)
    assert colors is not None
    return {pixel: count for count, pixel in colors}


def _pixels(png: bytes, color: tuple[int, int, int]) -> tuple[int, int]:
    """Return (pixels of `color`, all pixels) of a PNG that Pillow can open."""
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        rgb = image.convert("RGB")
        counts = _colors(rgb)
        return counts.get(color, 0), rgb.width * rgb.height


def _ink_share(png: bytes, box: tuple[int, int, int, int]) -> float:
    """Return the share of non-background pixels inside `box` (left, top, right, bottom)."""
    with Image.open(io.BytesIO(png)) as image:
        area = image.convert("RGB").crop(box)
        white = _colors(area).get((255, 255, 255), 0)
        return 1 - white / (area.width * area.height)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_decade_total_is_drawn_as_one_bar_per_indicator(
    figures: Figures, language: Language
) -> None:
    await figures.bot.send(
        figures.bot.updates.document(
            ADMIN, file_name=SEED_FILE.name, content=SEED_FILE.read_bytes()
        )
    )
    answer, by_year = await _figures_of(figures, "KG", "2013..2023")
    assert not chart.is_yearly(answer, by_year)
    png = chart.chart_png(translator(language), answer, by_year)
    bars, total = _pixels(png, BAR)
    # Before: ten empty years and grey "not split" columns, no blue bar at all.
    assert bars > total * 0.03
    assert _pixels(png, UNSPLIT)[0] == 0
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    lines = chart.chart_lines(answer)
    assert len(lines) >= 4
    # Every indicator's row, below the title, holds a bar: the plot area is not mostly empty.
    row = (height - 110) / len(lines)
    for index in range(len(lines)):
        top = int(80 + index * row)
        assert _ink_share(png, (390, top, width - 20, int(top + row))) > 0.1, index


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_yearly_figures_get_a_panel_of_years_with_bars(
    figures: Figures, language: Language
) -> None:
    for year, value in (("2021", 5), ("2022", 9), ("2023", 7)):
        await figures.put("disputes_mediated", "KG", year, value)
    # A record over the whole period cannot be split: it is the grey column, labelled in full.
    await figures.put("awards", "KG", "2021..2023", 4)
    answer, by_year = await _figures_of(figures, "KG", "2021..2023")
    assert chart.is_yearly(answer, by_year)
    png = chart.chart_png(translator(language), answer, by_year)
    bars, total = _pixels(png, BAR)
    assert bars > total * 0.01
    assert _pixels(png, UNSPLIT)[0] > 0


def test_labels_wrap_onto_lines_and_keep_every_word() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    font = chart._font(10)
    for text in ("Chưa chia năm", "Not split by year"):
        lines = chart.wrap(draw, text, font, 40)
        assert len(lines) > 1
        assert " ".join(lines) == text
        assert not any("…" in line for line in lines)
        assert all(draw.textlength(line, font=font) <= 40 for line in lines if " " in line)
    assert chart.wrap(draw, "2023", font, 40) == ["2023"]


async def test_the_report_captions_the_chart_it_drew(figures: Figures) -> None:
    bot = figures.bot
    await figures.put("disputes_mediated", "KG", "2013..2023", 54307)
    await bot.say(ADMIN, "/report 2013..2023 KG")
    photo = bot.api.sent_messages(ADMIN.id)[-2]
    assert photo.method == "sendPhoto"
    assert photo.plain_text == ("Các chỉ tiêu chính: tổng số giai đoạn 2013–2023.")
    await bot.say(ADMIN_EN, "/report 2013..2023 KG")
    assert bot.api.sent_messages(ADMIN_EN.id)[-2].plain_text == (
        "Main indicators: totals for 2013–2023."
    )
    for year in ("2021", "2022"):
        await figures.put("awards", "KG", year, 10)
    await bot.say(ADMIN_EN, "/report 2021..2022 KG")
    assert (
        bot.api.sent_messages(ADMIN_EN.id)[-2].plain_text == "Main indicators by year, 2021–2022."
    )
    await bot.say(ADMIN_EN, "/report 2022 KG")
    assert bot.api.sent_messages(ADMIN_EN.id)[-2].plain_text == "Main indicators: totals for 2022."
