"""The report pack's pieces on their own: the workbook's cap and the chart's layout."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.figures import report
from bot.kernel.i18n import translator
from bot.kernel.periods import parse_period
from tests.figures.conftest import Figures


async def test_the_raw_sheet_stops_with_a_note_past_its_cap(
    figures: Figures, monkeypatch: pytest.MonkeyPatch
) -> None:
    for year in ("2020", "2021", "2022"):
        await figures.put("awards", "KG", year, 1)
    service = figures.service
    unit, period = await figures.unit_id("KG"), parse_period("2020..2022")
    answer = await service.answer(unit, period)
    by_child = await service.by_child(unit, period)
    by_year = await service.by_year(unit, period)
    assert answer is not None
    assert by_child is not None
    assert by_year is not None
    records = await service.raw_records(unit, period)
    monkeypatch.setattr(report, "MAX_RAW_ROWS", len(records) - 1)
    t = translator("en")
    book = report.workbook_xlsx(
        t,
        answer,
        by_child,
        by_year,
        records,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        zone=UTC,
    )
    sheet = load_workbook(io.BytesIO(book))["Records"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(records)
    assert str(rows[-1][0]).startswith(f"… stopped at {len(records) - 1} rows")


async def test_the_chart_is_a_png_with_a_panel_per_main_indicator(figures: Figures) -> None:
    await figures.put("awards", "KG", "2021", 3)
    await figures.put("awards", "KG", "2022", 4)
    service = figures.service
    unit, period = await figures.unit_id("KG"), parse_period("2020..2022")
    answer = await service.answer(unit, period)
    by_year = await service.by_year(unit, period)
    assert answer is not None
    assert by_year is not None
    png = report.chart_png(translator("vi"), answer, by_year)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        one_panel = image.size
    await figures.put("disputes_mediated", "KG", "2021", 30)
    answer = await service.answer(unit, period)
    by_year = await service.by_year(unit, period)
    assert answer is not None
    assert by_year is not None
    with Image.open(io.BytesIO(report.chart_png(translator("vi"), answer, by_year))) as image:
        assert image.width > one_panel[0]
