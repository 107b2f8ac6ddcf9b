"""The workbook's times in local time, and each figure's source as the document it came from."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook

from bot.figures.report import local_time
from bot.figures.sources import Document, Source, document_of, parsed, stored
from bot.kernel.periods import Period
from bot.testing.updates import Person
from tests.figures.conftest import ADMIN, ADMIN_EN, Figures, seen

TITLE = "Kiên Giang: 10 năm phong trào Toàn dân bảo vệ an ninh Tổ quốc"
CSV = (
    "chỉ tiêu,đơn vị,kỳ,giá trị,nguồn,ngày nguồn\n"
    f"disputes_mediated,KG,2013..2023,54307,{TITLE},2023-09-12\n"
    "offenders_surrendered,KG,2013..2023,53,,\n"
).encode()


async def _import(figures: Figures, person: Person, name: str, content: bytes) -> None:
    bot = figures.bot
    await bot.send(bot.updates.document(person, file_name=name, content=content))
    assert not bot.errors
    assert "❌" not in seen(bot, person)


async def _workbook(figures: Figures, person: Person, command: str) -> OpenpyxlWorkbook:
    bot = figures.bot
    await bot.say(person, command)
    document = bot.api.sent_messages(person.id)[-1]
    assert document.method == "sendDocument"
    return load_workbook(io.BytesIO(bot.api.file_content(document.raw["document"]["file_id"])))


def _records(book: OpenpyxlWorkbook, sheet: str) -> dict[str, dict[str, object]]:
    rows = list(book[sheet].iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    return {str(row[1]): dict(zip(header, row, strict=False)) for row in rows[1:] if row[1]}


async def _stored_at(figures: Figures, key: str) -> datetime:
    stamp = await figures.bot.app.services.db.fetch_value(
        "SELECT f.recorded_at FROM figures f JOIN indicators i ON i.id = f.indicator_id "
        "WHERE i.key = ?",
        (key,),
    )
    return datetime.fromisoformat(str(stamp))


async def test_the_records_name_their_document_and_local_time_in_vietnamese(
    figures: Figures,
) -> None:
    await _import(figures, ADMIN, "kg.csv", CSV)
    await figures.put("awards", "KG", "2023", 4)
    book = await _workbook(figures, ADMIN, "/report 2013..2023 KG")
    records = _records(book, "Số liệu gốc")
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    disputes = records["disputes_mediated"]
    assert disputes["Nguồn"] == f"«{TITLE}», 12/9/2023"
    assert str(disputes["Ghi qua"]).startswith("{")  # the stored provenance, kept for audit
    assert "import:kg.csv#" in str(disputes["Ghi qua"])
    recorded = (await _stored_at(figures, "disputes_mediated")).astimezone(zone)
    assert disputes["Thời điểm ghi (giờ Asia/Ho_Chi_Minh)"] == recorded.strftime("%Y-%m-%d %H:%M")
    # A row without a document says where it came from, and that the file named none.
    assert records["offenders_surrendered"]["Nguồn"] == (
        "Tệp nhập «kg.csv» (tệp không ghi tài liệu nguồn)"
    )
    assert records["awards"]["Nguồn"] == "Cán bộ ghi trên bot"
    totals = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if row[0]}
    generated = totals["Lập lúc (giờ Asia/Ho_Chi_Minh)"]
    now = figures.bot.app.services.clock.now().astimezone(zone)
    assert str(generated)[:10] == now.strftime("%Y-%m-%d")
    assert "+00:00" not in str(generated)


async def test_the_records_name_their_document_in_english(figures: Figures) -> None:
    await _import(figures, ADMIN_EN, "kg.csv", CSV)
    book = await _workbook(figures, ADMIN_EN, "/report 2013..2023 KG")
    records = _records(book, "Records")
    assert records["disputes_mediated"]["Source"] == f"“{TITLE}”, 12 September 2023"
    assert records["offenders_surrendered"]["Source"] == (
        "Imported file “kg.csv” (the file names no source document)"
    )
    assert "Recorded at (Asia/Ho_Chi_Minh time)" in records["disputes_mediated"]


async def test_an_excel_file_may_give_the_document_date_as_a_date_cell(
    figures: Figures,
) -> None:
    sheet_book = OpenpyxlWorkbook()
    sheet = sheet_book.active
    assert sheet is not None
    sheet.append(["indicator", "unit", "period", "value", "source", "source date"])
    sheet.append(["awards", "KG", "2022", 7, "Báo cáo tổng kết năm 2022", datetime(2022, 12, 20)])
    sheet["F2"].number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    sheet_book.save(buffer)
    await _import(figures, ADMIN, "tong_ket.xlsx", buffer.getvalue())
    book = await _workbook(figures, ADMIN, "/report 2022 KG")
    assert _records(book, "Số liệu gốc")["awards"]["Nguồn"] == (
        "«Báo cáo tổng kết năm 2022», 20/12/2022"
    )


def test_a_source_keeps_its_way_in_and_its_document() -> None:
    document = document_of("  Bài   báo  ", "2023-09-12")
    assert document == Document("Bài báo", day=date(2023, 9, 12))
    text = stored("import:kg.csv#abc", document)
    assert parsed(text) == Source("import:kg.csv#abc", document)
    assert parsed(text).file == "kg.csv"
    assert document_of("Bài báo", "tháng 9/2023") == Document(
        "Bài báo", written_date="tháng 9/2023"
    )
    assert document_of("Bài báo", Period.month(2023, 9)) == Document(
        "Bài báo", written_date="2023-09"
    )
    assert document_of("", "2023-09-12") is None
    assert document_of(None, None) is None
    assert stored("bot", None) == "bot"


@pytest.mark.parametrize("text", ["bot", "{not json", '{"via": "x"}', "[1, 2]", "sandbox.csv"])
def test_old_and_odd_sources_read_as_they_were(text: str) -> None:
    assert parsed(text) == Source(text)


def test_local_time_is_the_zone_s_clock() -> None:
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    assert local_time("2026-01-01T20:30:00+00:00", zone) == "2026-01-02 03:30"
    assert local_time(datetime(2026, 1, 1, 20, 30, tzinfo=UTC), zone) == "2026-01-02 03:30"
    assert local_time(None, zone) == ""
    assert local_time("not a time", zone) == "not a time"
