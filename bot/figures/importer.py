"""Read figure files (CSV or XLSX) into rows; the service validates and writes them.

Columns are found by their header, in Vietnamese or English, in any order and case, with or
without diacritics: indicator / chỉ tiêu, unit / đơn vị, period / kỳ, value / giá trị, and an
optional reason / lý do for corrections, and the document each figure was read in: source /
nguồn (an article's or a report's title) and source date / ngày nguồn. Other columns (a row
number, notes) are ignored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from bot.figures.problems import Problem, RowProblem
from bot.figures.results import ImportRow
from bot.kernel.i18n import N_
from bot.kernel.periods import Period
from bot.kernel.text import fold

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_ROWS: Final = 100_000
SUPPORTED_EXTENSIONS: Final = (".csv", ".xlsx")

REQUIRED: Final = ("indicator", "unit", "period", "value")
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "indicator": (
        "indicator",
        "indicator key",
        "key",
        "chi tieu",
        "ma chi tieu",
        "chi so",
    ),
    "unit": ("unit", "unit code", "don vi", "ma don vi"),
    "period": ("period", "ky", "ky bao cao", "thoi gian", "thoi ky", "giai doan"),
    "value": ("value", "gia tri", "so lieu", "so luong"),
    "reason": ("reason", "ly do", "ly do dieu chinh"),
    "source_title": (
        "source",
        "source title",
        "source document",
        "document",
        "nguon",
        "nguon so lieu",
        "tai lieu",
        "tai lieu nguon",
    ),
    "source_date": (
        "source date",
        "document date",
        "date of source",
        "ngay nguon",
        "ngay tai lieu",
        "ngay ban hanh",
    ),
}
_HEADER_NOISE = re.compile(r"[^a-z0-9 ]+")


class FileError(Exception):
    """The file cannot be read at all; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem


@dataclass
class ParsedFile:
    """The rows of a file, and the problems found before looking at any value."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _field_of(header: str) -> str | None:
    cleaned = " ".join(_HEADER_NOISE.sub(" ", fold(header)).split())
    for name, aliases in _ALIASES.items():
        if cleaned in aliases:
            return name
    return None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _mapping(
    headers: Sequence[object], *, letters: bool
) -> tuple[dict[str, int], dict[str, str], list[str], list[RowProblem]]:
    """Return {field: column index}, {field: column label}, ignored headers and problems."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[RowProblem] = []
    for index, raw in enumerate(headers):
        header = "" if raw is None else str(raw).strip()
        if not header:
            continue
        name = _field_of(header)
        label = f"{_column_letter(index)} ({header})" if letters else header
        if name is None:
            ignored.append(header[:40])
        elif name in positions:
            problems.append(
                RowProblem(
                    1,
                    label,
                    Problem("file", N_("figures.import.duplicate_column"), {"column": header[:40]}),
                )
            )
        else:
            positions[name] = index
            labels[name] = label
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        problems.append(
            RowProblem(
                1,
                "",
                Problem(
                    "file", N_("figures.import.missing_columns"), {"columns": ", ".join(missing)}
                ),
            )
        )
    return positions, labels, ignored, problems


def _rows(lines: Iterable[tuple[int, Sequence[object]]], *, letters: bool) -> ParsedFile:
    parsed = ParsedFile()
    iterator = iter(lines)
    header: Sequence[object] | None = None
    for _line, cells in iterator:
        if any(cell not in (None, "") for cell in cells):
            header = cells
            break
    if header is None:
        parsed.problems.append(RowProblem(1, "", Problem("file", N_("figures.import.empty"))))
        return parsed
    positions, labels, parsed.ignored_columns, parsed.problems = _mapping(header, letters=letters)
    if parsed.problems:
        return parsed

    def cell(cells: Sequence[object], name: str) -> object:
        index = positions.get(name)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    for line, cells in iterator:
        if not any(value not in (None, "") and str(value).strip() for value in cells):
            continue
        if len(parsed.rows) >= MAX_ROWS:
            parsed.problems.append(
                RowProblem(
                    line,
                    "",
                    Problem("file", N_("figures.import.too_many_rows"), {"limit": str(MAX_ROWS)}),
                )
            )
            break
        parsed.rows.append(
            ImportRow(
                line=line,
                indicator=cell(cells, "indicator"),
                unit=cell(cells, "unit"),
                period=cell(cells, "period"),
                value=cell(cells, "value"),
                reason=cell(cells, "reason"),
                source_title=cell(cells, "source_title"),
                source_date=cell(cells, "source_date"),
                columns=labels,
            )
        )
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(RowProblem(1, "", Problem("file", N_("figures.import.empty"))))
    return parsed


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Vietnamese Windows saves "CSV" in the ANSI code page 1258.
        return content.decode("cp1258", errors="replace")


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise FileError(Problem("file", N_("figures.import.unreadable"))) from error


def parse_csv(content: bytes) -> ParsedFile:
    """Read a CSV file (comma, semicolon or tab separated; UTF-8, UTF-16 or Windows-1258)."""
    text = _decode(content)
    if "\x00" in text:
        raise FileError(Problem("file", N_("figures.import.unreadable")))
    return _rows(_csv_lines(text), letters=False)


def _xlsx_value(cell: object) -> object:
    """Return a cell's value, turning Excel dates into the period the officer meant."""
    value = getattr(cell, "value", None)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        number_format = str(getattr(cell, "number_format", "") or "").lower()
        # Excel turns "2023-05" into 1 May 2023 shown as "mmm-yy": without a day in the
        # format, the officer meant the month.
        if "d" not in number_format.replace("[$-", ""):
            return Period.month(value.year, value.month)
        return value
    return value


def parse_xlsx(content: bytes) -> ParsedFile:
    """Read the first sheet of an XLSX workbook."""
    from openpyxl import load_workbook  # imported late: only imports need it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileError(Problem("file", N_("figures.import.unreadable"))) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileError(Problem("file", N_("figures.import.empty")))

        def lines() -> Iterator[tuple[int, list[object]]]:
            for number, row in enumerate(sheet.iter_rows(), start=1):
                yield number, [_xlsx_value(cell) for cell in row]

        return _rows(lines(), letters=True)
    finally:
        workbook.close()


def parse_file(name: str, content: bytes) -> ParsedFile:
    """Read a CSV or XLSX file by its extension; raise FileError if it cannot be read."""
    lowered = name.lower()
    if len(content) > MAX_FILE_BYTES:
        raise FileError(
            Problem(
                "file",
                N_("figures.import.too_big"),
                {"limit": str(MAX_FILE_BYTES // (1024 * 1024))},
            )
        )
    if lowered.endswith(".xlsx"):
        return parse_xlsx(content)
    if lowered.endswith((".csv", ".txt")):
        return parse_csv(content)
    raise FileError(Problem("file", N_("figures.import.unsupported")))
