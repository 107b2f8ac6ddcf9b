"""The figures' words: unit names in sentences, year ranges, English plurals, both languages."""

from __future__ import annotations

import pytest

from bot.testing.updates import Person
from bot.units.names import in_sentence
from tests.figures.conftest import ADMIN, ADMIN_EN, Figures, seen


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Tỉnh Kiên Giang", "tỉnh Kiên Giang"),
        ("Thành phố Rạch Giá", "thành phố Rạch Giá"),
        ("Huyện Gò Quao", "huyện Gò Quao"),
        ("Quận Ninh Kiều", "quận Ninh Kiều"),
        ("Thị xã Hà Tiên", "thị xã Hà Tiên"),
        ("Phường Vĩnh Thanh", "phường Vĩnh Thanh"),
        ("Xã Định An", "xã Định An"),
        ("Thị trấn Minh Lương", "thị trấn Minh Lương"),
        ("Đặc khu Phú Quốc", "đặc khu Phú Quốc"),
        # English names, and names that do not start with a level word, stay as they are.
        ("Kien Giang Province", "Kien Giang Province"),
        ("Công an tỉnh Kiên Giang", "Công an tỉnh Kiên Giang"),
        ("Xãhội", "Xãhội"),
        ("Tỉnh", "Tỉnh"),
    ],
)
def test_a_unit_name_inside_a_sentence_lowers_only_its_level_word(name: str, expected: str) -> None:
    assert in_sentence(name) == expected


async def _ask(figures: Figures, person: Person, text: str) -> str:
    await figures.bot.say(person, text)
    return seen(figures.bot, person)


async def test_a_title_keeps_the_capital_and_a_sentence_lowers_it(figures: Figures) -> None:
    # A province record and a district record for the same year: the district's is not counted.
    await figures.put("disputes_mediated", "KG", "2022", 100)
    await figures.put("disputes_mediated", "KG-RG", "2022", 30)
    vi = await _ask(figures, ADMIN, "/figures 2022 KG")
    assert vi.startswith("📊 Tỉnh Kiên Giang (KG) — năm 2022")
    assert "tính số của tỉnh Kiên Giang (KG)" in vi
    assert "bản ghi của thành phố Rạch Giá (KG-RG)" in vi
    en = await _ask(figures, ADMIN_EN, "/figures 2022 KG")
    assert en.startswith("📊 Kien Giang Province (KG) — 2022")
    assert "Rach Gia City (KG-RG)" in en


async def test_year_ranges_are_written_with_an_en_dash_in_both_languages(
    figures: Figures,
) -> None:
    await figures.put("disputes_mediated", "KG", "2013..2023", 54307)
    vi = await _ask(figures, ADMIN, "/figures 2013..2023 KG")
    assert "Tỉnh Kiên Giang (KG) — giai đoạn 2013–2023" in vi
    assert " - " not in vi
    en = await _ask(figures, ADMIN_EN, "/figures 2013..2023 KG")
    assert "Kien Giang Province (KG) — 2013–2023" in en
    # Endpoints of several words are spaced, so the dash still reads as a range.
    vi = await _ask(figures, ADMIN, "/figures 2023-Q1..2023-Q3 KG")
    assert "giai đoạn quý 1/2023 – quý 3/2023" in vi
    en = await _ask(figures, ADMIN_EN, "/figures 2023-Q1..2023-Q3 KG")
    assert "Q1 2023 – Q3 2023" in en


async def test_english_counts_take_the_singular_for_one(figures: Figures) -> None:
    en = await _ask(figures, ADMIN_EN, "/figures 2022 KG-GQ")
    assert "Including the 1 unit below it." in en
    en = await _ask(figures, ADMIN_EN, "/figures 2022 KG-RG")
    assert "Including the 2 units below it." in en
    vi = await _ask(figures, ADMIN, "/figures 2022 KG-GQ")
    assert "Tính cả 1 đơn vị trực thuộc." in vi

    en = await _ask(figures, ADMIN_EN, "/record models_effective 1 KG 2022")
    assert "1 model —" in en
    en = await _ask(figures, ADMIN_EN, "/record models_effective 2 KG 2023")
    assert "2 models —" in en
    en = await _ask(figures, ADMIN_EN, "/figures 2022 KG")
    assert ": 1 model" in en
    vi = await _ask(figures, ADMIN, "/figures 2022 KG")
    assert ": 1 mô hình" in vi


async def test_the_report_notes_count_units_in_the_right_form(figures: Figures) -> None:
    await figures.put("awards", "KG-RG-VT", "2022", 2)
    bot = figures.bot
    await bot.say(ADMIN_EN, "/report 2022 KG-RG")
    summary = bot.api.sent_messages(ADMIN_EN.id)[-3].plain_text
    assert "Note: 1 unit reported nothing for the period." in summary
    await bot.say(ADMIN, "/report 2022 KG-RG")
    summary = bot.api.sent_messages(ADMIN.id)[-3].plain_text
    assert "Ghi chú: 1 đơn vị chưa báo cáo trong kỳ." in summary
    await bot.say(ADMIN_EN, "/report 2022 KG")
    summary = bot.api.sent_messages(ADMIN_EN.id)[-3].plain_text
    assert "units reported nothing for the period." in summary
