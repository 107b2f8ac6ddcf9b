"""Imports: every row checked first, all rows or none, the bad rows named; idempotent re-imports;
CSV and XLSX with Vietnamese or English headers; the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main as cli_main
from bot.db import Database, migrate
from bot.testing.updates import Person
from bot.units import UnitsRepository
from tests.figures.conftest import ADMIN, NOW, OFFICER_RG, SEED_FILE, TREE, Figures, seen


def _csv(rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def _send(figures: Figures, person: Person, name: str, content: bytes) -> str:
    bot = figures.bot
    await bot.send(
        bot.updates.document(person, file_name=name, mime_type="text/csv", content=content)
    )
    return seen(bot, person)


def _seed_rows() -> list[dict[str, str]]:
    with SEED_FILE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_one_bad_row_writes_nothing_and_is_named(figures: Figures) -> None:
    content = _csv(
        [
            ["indicator", "unit", "period", "value"],
            ["disputes_mediated", "KG-RG", "2022", "1.200"],
            ["disputes_mediated", "KG-GQ", "2022", "-4"],
            ["offenders_surrendered", "KG-RG", "2022", "7"],
        ]
    )
    reply = await _send(figures, ADMIN, "quy.csv", content)
    assert "không dòng nào được ghi" in reply
    assert "Dòng 3, cột value: Giá trị không được âm." in reply
    assert "Dòng 2" not in reply
    assert await figures.count("SELECT count(*) FROM figures") == 0


async def test_every_kind_of_bad_row_is_listed_with_line_column_and_reason(
    figures: Figures,
) -> None:
    content = _csv(
        [
            ["Chỉ tiêu", "Đơn vị", "Kỳ", "Giá trị"],
            ["no_such_thing", "KG", "2022", "1"],
            ["disputes_mediated", "XX-99", "2022", "1"],
            ["disputes_mediated", "KG", "2022-13", "1"],
            ["disputes_mediated", "KG", "2022", "2,5"],
            ["disputes_mediated", "KG", "2022", "nhiều"],
            ["disputes_mediated", "KG", "2022", ""],
            ["disputes_mediated", "KG", "2031", "5"],
            ["disputes_mediated", "KG-HT", "2021", "5"],
            ["disputes_mediated", "KG-HT", "2021", "6"],
        ]
    )
    reply = await _send(figures, ADMIN, "loi.csv", content)
    for expected in (
        "Dòng 2, cột Chỉ tiêu: Không có chỉ tiêu «no_such_thing».",
        "Dòng 3, cột Đơn vị: Không có đơn vị mã «XX-99».",
        "Dòng 4, cột Kỳ: Ngày hoặc tháng đó không có thật.",
        "Dòng 5, cột Giá trị: Chỉ tiêu này chỉ nhận số nguyên.",
        "Dòng 6, cột Giá trị: Giá trị không phải là số",
        "Dòng 7, cột Giá trị: Chưa có giá trị.",
        "Dòng 8, cột Kỳ: Kỳ 2031 chưa bắt đầu",
        "Dòng 10, cột Kỳ: trùng chỉ tiêu, đơn vị và kỳ với dòng 9.",
    ):
        assert expected in reply
    assert await figures.count("SELECT count(*) FROM figures") == 0


async def test_the_same_file_twice_changes_nothing(figures: Figures) -> None:
    content = SEED_FILE.read_bytes()
    first = await _send(figures, ADMIN, SEED_FILE.name, content)
    rows = len(_seed_rows())
    assert f"{rows} số liệu mới" in first
    before = [
        tuple(row) for row in await figures.bot.app.services.db.fetch_all("SELECT * FROM figures")
    ]
    second = await _send(figures, ADMIN, SEED_FILE.name, content)
    assert f"0 số liệu mới, 0 đính chính (bản ghi cũ vẫn được lưu), {rows} không đổi" in second
    after = [
        tuple(row) for row in await figures.bot.app.services.db.fetch_all("SELECT * FROM figures")
    ]
    assert after == before


async def test_a_changed_value_in_a_reimport_is_a_correction_citing_the_file(
    figures: Figures,
) -> None:
    header = ["indicator", "unit", "period", "value"]
    await _send(figures, ADMIN, "a.csv", _csv([header, ["awards", "KG", "2022", "12"]]))
    reply = await _send(figures, ADMIN, "b.csv", _csv([header, ["awards", "KG", "2022", "14"]]))
    assert "1 đính chính" in reply
    rows = await figures.bot.app.services.db.fetch_all(
        "SELECT value, reason, superseded_at IS NULL AS current, source FROM figures ORDER BY id"
    )
    assert [(row["value"], bool(row["current"])) for row in rows] == [(12, False), (14, True)]
    assert rows[1]["reason"] == "Nhập từ tệp b.csv"
    assert rows[1]["source"].startswith("import:b.csv#")
    assert await figures.total("KG", "2022", "awards") == 14


async def test_xlsx_with_vietnamese_headers_excel_dates_and_extra_columns(
    figures: Figures,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["STT", "Chỉ tiêu", "Đơn vị", "Kỳ", "Giá trị", "Lý do"])
    sheet.append([1, "weapons_handed_in", "KG-RG", date(2023, 5, 1), "1.234", None])
    sheet.cell(row=2, column=4).number_format = "mm-yyyy"
    sheet.append([2, "weapons_handed_in", "KG-RG", 2022, 17, None])
    sheet.append([3, "weapons_handed_in", "KG-RG", date(2021, 3, 9), 2.0, None])
    sheet.cell(row=4, column=4).number_format = "dd/mm/yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)
    bot = figures.bot
    await bot.send(
        bot.updates.document(
            ADMIN,
            file_name="vu_khi.xlsx",
            mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            content=buffer.getvalue(),
        )
    )
    reply = seen(bot, ADMIN)
    assert "3 số liệu mới" in reply
    assert "Đã bỏ qua các cột: STT." in reply
    assert await figures.total("KG-RG", "2023-05", "weapons_handed_in") == 1234
    assert await figures.total("KG-RG", "2022", "weapons_handed_in") == 17
    assert await figures.total("KG-RG", "2021-03-09", "weapons_handed_in") == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bao_cao.pdf", b"%PDF-1.4", "Chỉ nhận tệp .csv hoặc .xlsx."),
        ("hong.xlsx", b"not a zip at all", "Không đọc được tệp."),
        ("thieu.csv", b"indicator,value\nawards,3\n", "Thiếu cột: unit, period."),
        ("rong.csv", b"indicator,unit,period,value\n", "Tệp không có dòng số liệu nào."),
        ("rong.csv", b"", "Tệp không có dòng số liệu nào."),
    ],
)
async def test_unusable_files_are_refused_with_the_reason(
    figures: Figures, name: str, content: bytes, expected: str
) -> None:
    bot = figures.bot
    await bot.say(ADMIN, "/import")
    assert "Gửi tệp CSV hoặc Excel" in seen(bot, ADMIN)
    await bot.send(bot.updates.document(ADMIN, file_name=name, content=content))
    assert expected in seen(bot, ADMIN)
    assert await figures.count("SELECT count(*) FROM figures") == 0


async def test_import_waits_for_a_file_and_can_be_cancelled(figures: Figures) -> None:
    bot = figures.bot
    await bot.say(ADMIN, "/import")
    await bot.send(bot.updates.sticker(ADMIN))
    assert "Gửi tệp CSV hoặc Excel" in seen(bot, ADMIN)
    await bot.say(ADMIN, "/cancel")
    assert seen(bot, ADMIN) == "Đã hủy. Không có gì được ghi."


async def test_semicolon_csv_with_a_caption_command_is_imported(figures: Figures) -> None:
    content = _csv(
        [["indicator", "unit", "period", "value"], ["awards", "KG", "2023", "5"]], delimiter=";"
    )
    bot = figures.bot
    await bot.send(
        bot.updates.document(ADMIN, file_name="khen.txt", content=content, caption="/import")
    )
    assert "1 số liệu mới" in seen(bot, ADMIN)
    assert await figures.total("KG", "2023", "awards") == 5


async def test_an_officer_imports_only_inside_their_scope(figures: Figures) -> None:
    content = _csv(
        [
            ["indicator", "unit", "period", "value"],
            ["awards", "KG-RG-VT", "2023", "2"],
            ["awards", "KG-GQ", "2023", "3"],
        ]
    )
    reply = await _send(figures, OFFICER_RG, "khen.csv", content)
    assert "Dòng 3, cột unit: Đơn vị KG-GQ nằm ngoài phạm vi phụ trách" in reply
    assert await figures.count("SELECT count(*) FROM figures") == 0


def _prepare_database(path: Path) -> None:
    async def work() -> None:
        db = Database(path)
        await db.open()
        try:
            await migrate(db)
            await UnitsRepository(db).save_all(TREE, NOW)
        finally:
            await db.close()

    asyncio.run(work())


def test_cli_imports_the_seed_file_and_shows_it_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    _prepare_database(database)

    assert cli_main(["figures", "import", str(SEED_FILE), "--by", "tester"]) == 0
    rows = _seed_rows()
    assert f"{len(rows)} new" in capsys.readouterr().out
    assert cli_main(["figures", "import", str(SEED_FILE)]) == 0
    assert f"{len(rows)} unchanged" in capsys.readouterr().out

    assert cli_main(["figures", "show", "--period", "2013..2023", "--unit", "KG", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    values = {item["key"]: item["value"] for item in shown["indicators"]}
    assert values == {row["indicator"]: int(row["value"]) for row in rows}
    assert shown["period"] == {"label": "2013..2023", "start": "2013-01-01", "end": "2023-12-31"}
    assert shown["missing"] == []

    assert cli_main(["figures", "show", "--period", "2013..2023", "--unit", "KG"]) == 0
    text = capsys.readouterr().out
    assert "Disputes mediated successfully: 54,307 cases" in text
    assert "<b>" not in text


def test_cli_rejects_a_bad_file_and_bad_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    _prepare_database(database)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        _csv([["indicator", "unit", "period", "value"], ["awards", "KG", "2023", "-1"]])
    )
    assert cli_main(["figures", "import", str(bad)]) == 1
    assert "line 2, column value: The value cannot be negative." in capsys.readouterr().out
    assert cli_main(["figures", "show", "--period", "2023-13", "--unit", "KG"]) == 1
    assert "--period: That day or month does not exist." in capsys.readouterr().err
    assert cli_main(["figures", "show", "--period", "2023", "--unit", "NOPE"]) == 1
    assert "--unit:" in capsys.readouterr().err
    assert cli_main(["figures", "import", str(tmp_path / "missing.csv")]) == 1
