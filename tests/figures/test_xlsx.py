"""The report workbook's writer, read back with openpyxl: what a reader of the file sees."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.figures import xlsx
from bot.figures.xlsx import Cell, Workbook, sheet_name


def _written(*rows: list[Cell], bold: bool = False) -> Worksheet:
    """Write the rows into a one-sheet book and return that sheet as openpyxl reads it."""
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        sheet = book.sheet("Sheet")
        for row in rows:
            sheet.append(row, bold=bold)
    return load_workbook(io.BytesIO(buffer.getvalue())).active  # type: ignore[return-value]


def _cells(sheet: Worksheet) -> list[tuple[str, Any, str, str]]:
    """Return each written cell: where, its value, its type and its number format."""
    return [
        (cell.coordinate, cell.value, cell.data_type, cell.number_format)
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_numbers_are_numbers_shown_with_separators() -> None:
    sheet = _written([54307, 2.5, 3.0, -1234.567, 0, True])
    assert _cells(sheet) == [
        ("A1", 54307, "n", "#,##0"),
        ("B1", 2.5, "n", "#,##0.00"),
        # A whole float is the integer it is.
        ("C1", 3, "n", "#,##0"),
        ("D1", -1234.567, "n", "#,##0.00"),
        ("E1", 0, "n", "#,##0"),
        ("F1", 1, "n", "#,##0"),
    ]
    assert isinstance(sheet["C1"].value, int)


@pytest.mark.parametrize(
    "text",
    ["=1+1", "0123", "1e5", "54,307", "http://example.org", "TRUE", " 12 ", "-", "#N/A", "'x"],
)
def test_text_stays_the_text_it_was(text: str) -> None:
    sheet = _written([text])
    assert _cells(sheet) == [("A1", text, "s", "General")]


def test_vietnamese_and_markup_characters_come_back_whole() -> None:
    text = "Tỉnh Kiên Giang <b>&amp;</b> \"quoted\" 'single' 😀"
    assert _written([text])["A1"].value == text


def test_control_characters_are_dropped_and_line_breaks_kept() -> None:
    sheet = _written(["a\x00b\x08c\x0bd\x1fe\ufffef", "tab\there\nnewline", "crlf\r\nand\rcr"])
    assert [cell.value for cell in sheet[1]] == [
        "abcdef",
        "tab\there\nnewline",
        "crlf\nand\ncr",
    ]


def test_empty_cells_and_rows_stay_empty() -> None:
    sheet = _written(["a", None, "", "d"], [], ["below a blank row"])
    assert _cells(sheet) == [
        ("A1", "a", "s", "General"),
        ("D1", "d", "s", "General"),
        ("A3", "below a blank row", "s", "General"),
    ]


def test_a_bold_row_keeps_its_number_formats() -> None:
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        sheet = book.sheet("Sheet")
        sheet.append(["Header", 1000, 0.5], bold=True)
        sheet.append(["Plain", 1000, 0.5])
        assert sheet.rows == 2
    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert read is not None
    assert [cell.font.b for cell in read[1]] == [True, True, True]
    assert [cell.font.b for cell in read[2]] == [False, False, False]
    assert [cell.number_format for cell in read[1]] == ["General", "#,##0", "#,##0.00"]
    assert [cell.number_format for cell in read[2]] == ["General", "#,##0", "#,##0.00"]


def test_a_number_excel_cannot_hold_becomes_an_error_not_a_broken_file() -> None:
    sheet = _written([float("nan"), float("inf"), 1])
    assert sheet["A1"].data_type == "f"
    assert sheet["B1"].data_type == "f"
    assert sheet["C1"].value == 1


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("Totals", [], "Totals"),
        ("a/b\\c:d*e?f[g]h", [], "a_b_c_d_e_f_g_h"),
        ("x" * 40, [], "x" * 31),
        ("Totals", ["totals"], "Totals (2)"),
        ("Totals", ["Totals", "Totals (2)"], "Totals (3)"),
        ("y" * 40, ["y" * 31], "y" * 27 + " (2)"),
        ("", [], "Sheet"),
        ("\x00\x01", [], "Sheet"),
        ("'quoted'", [], "quoted"),
        ("History", [], "History_"),
        # Excel counts UTF-16 units: each emoji takes two of the 31.
        ("😀" * 20, [], "😀" * 15),
    ],
)
def test_sheet_names_follow_excels_rules(name: str, taken: list[str], expected: str) -> None:
    assert sheet_name(name, taken) == expected


def test_sheets_come_in_order_with_names_made_valid_and_unique() -> None:
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        for name in ("Tổng hợp", "Theo đơn vị", "a/b", "A/B", "'Số liệu gốc'", "z" * 40):
            book.sheet(name).append([name])
    read = load_workbook(io.BytesIO(buffer.getvalue()))
    assert read.sheetnames == [
        "Tổng hợp",
        "Theo đơn vị",
        "a_b",
        "A_B (2)",
        "Số liệu gốc",
        "z" * 31,
    ]
    assert read["A_B (2)"]["A1"].value == "A/B"


def test_a_book_without_sheets_still_opens() -> None:
    buffer = io.BytesIO()
    Workbook(buffer).close()
    assert load_workbook(io.BytesIO(buffer.getvalue())).sheetnames == ["Sheet"]


def test_rows_stream_into_a_spooled_file_and_leave_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows: list[list[Cell]] = [[n, f"row {n}", n / 4] for n in range(5000)]
    with tempfile.SpooledTemporaryFile(max_size=1024) as spool:
        book = Workbook(spool)
        sheet = book.sheet("Records")
        sheet.extend(rows[:2500])
        sheet.extend(iter(rows[2500:]))
        # The rows wait on disk while the book is open: not in memory, not in the target yet.
        assert any(tmp_path.iterdir())
        book.close()
        book.close()
        spool.seek(0)
        read = load_workbook(io.BytesIO(spool.read()))["Records"]
    assert list(tmp_path.iterdir()) == []
    values = list(read.iter_rows(values_only=True))
    assert len(values) == 5000
    assert values[4999] == (4999, "row 4999", 1249.75)


def test_a_closed_sheet_takes_no_more_rows() -> None:
    with Workbook(io.BytesIO()) as book:
        first = book.sheet("First")
        book.sheet("Second")
        with pytest.raises(ValueError, match="closed"):
            first.append([1])


def test_rows_past_excels_sheet_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    with Workbook(io.BytesIO()) as book:
        sheet = book.sheet("Sheet")
        sheet.extend([[1], [2]])
        with pytest.raises(ValueError, match="past Excel"):
            sheet.append([3])
