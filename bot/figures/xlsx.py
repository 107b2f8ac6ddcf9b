"""The report workbook's writer: sheets one after another, rows as they come, little memory.

A thin layer over XlsxWriter, a library made for writing XLSX, in its `constant_memory` mode:
XlsxWriter then keeps only the row being written; each finished row goes to a temporary file
of its sheet, and the sheets are copied into the zip when the workbook closes. So a report's
raw sheet costs disk, not RAM, however many records it lists. The temporary files live in a
folder of the workbook's own, removed when it closes. A cell costs about 5 µs, zip included (the
hand-written writer this replaced took under 1 µs, openpyxl 8 µs).

What a reader (Excel, LibreOffice, openpyxl) sees: integers (and whole floats) as numbers
shown `#,##0` (54,307), other floats as numbers shown `#,##0.00`, text as inline strings taken
literally (never turned into a number, a formula or a link), None and "" as empty cells; a
whole row may be bold. `sheet_name` makes names Excel accepts. Control characters that XML
cannot hold are dropped from text.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import IO, Final, NamedTuple, Protocol, cast

import xlsxwriter

MAX_SHEET_NAME: Final = 31
# Excel's sheet size: XlsxWriter ignores a cell past it (returns -1), which would lose data
# without a word, so rows and columns are checked before they are written.
MAX_ROWS: Final = 1_048_576
MAX_COLUMNS: Final = 16_384
INTEGER_FORMAT: Final = "#,##0"
DECIMAL_FORMAT: Final = "#,##0.00"
# Characters XML 1.0 cannot hold at all (tab, newline and carriage return it can). XlsxWriter
# would write them as Excel's _xHHHH_ escapes, which openpyxl, for one, shows as that text:
# they are dropped instead, as they always were.
_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")
# Excel keeps this name for its change history and refuses a sheet called so.
_RESERVED_SHEET_NAME: Final = "history"
_OPTIONS: Final = {
    "constant_memory": True,
    # Text is written with write_string only, but these guard any write() that might come:
    # "=1+1", "0123" and "http://…" in a record stay the text the officer typed.
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    # A NaN or an infinity becomes Excel's #NUM! or #DIV/0! rather than an exception.
    "nan_inf_to_errors": True,
}

Cell = int | float | str | None


class _Format(Protocol):
    """An XlsxWriter cell format: opaque here, only handed back to the writes."""


class _Worksheet(Protocol):
    """The part of XlsxWriter's worksheet used here (the package ships no type information)."""

    def write_string(self, row: int, col: int, string: str, cell_format: _Format | None) -> int:
        """Write text as text."""

    def write_number(self, row: int, col: int, number: float, cell_format: _Format) -> int:
        """Write an int or float as a number."""


class _Styles(NamedTuple):
    """The formats of one kind of row: text (None: the default), integers, decimals."""

    text: _Format | None
    integer: _Format
    decimal: _Format


def _text(value: str) -> str:
    if value.isprintable():
        return value
    # Only then can it hold a control character. Tabs and newlines are kept. A carriage
    # return becomes a newline: XlsxWriter would write it as _x000D_, which Excel turns back
    # but other readers show as those seven characters.
    return _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _utf16_length(text: str) -> int:
    # Excel counts a name's length in UTF-16 units: a character past U+FFFF takes two.
    return len(text.encode("utf-16-le")) // 2


def _shortened(text: str, limit: int) -> str:
    text = text[:limit]
    while _utf16_length(text) > limit:
        text = text[:-1]
    return text


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """Return a name Excel accepts for a sheet (31 characters, no []:*?/\\), unique."""
    # Nor may a name start or end with an apostrophe (XlsxWriter refuses it too).
    base = _BAD_SHEET_CHARS.sub("_", _ILLEGAL.sub("", name)).strip().strip("'").strip()
    base = _shortened(base or "Sheet", MAX_SHEET_NAME).rstrip("'")
    if base.lower() == _RESERVED_SHEET_NAME:
        base += "_"
    used = {existing.lower() for existing in taken}
    candidate, number = base, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = _shortened(base, MAX_SHEET_NAME - len(suffix)).rstrip().rstrip("'") + suffix
    return candidate


class Sheet:
    """One worksheet being written: append rows, then close (or start the next sheet)."""

    def __init__(self, worksheet: _Worksheet, plain: _Styles, bold: _Styles) -> None:
        self._worksheet = worksheet
        self._styles = {False: plain, True: bold}
        self._row = 0
        self._closed = False

    def append(self, values: Sequence[Cell], *, bold: bool = False) -> None:
        """Write one row."""
        self.extend([values], bold=bold)

    def extend(self, rows: Iterable[Sequence[Cell]], *, bold: bool = False) -> None:
        """Write many rows, one after another below those already written."""
        if self._closed:
            raise ValueError("the sheet is closed")
        text, integer, decimal = self._styles[bold]
        # Bound once: this loop runs for every cell of the raw sheet.
        write_string = self._worksheet.write_string
        write_number = self._worksheet.write_number
        row = self._row
        for values in rows:
            if row >= MAX_ROWS or len(values) > MAX_COLUMNS:
                raise ValueError(f"row {row + 1} is past Excel's {MAX_ROWS:,} × {MAX_COLUMNS:,}")
            for column, value in enumerate(values):
                # Empty cells are left out, not written: a reader sees them empty.
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    write_string(row, column, _text(value), text)
                elif isinstance(value, float) and not value.is_integer():
                    write_number(row, column, value, decimal)
                else:
                    # A whole float (5.0) is written as 5: a reader sees the integer it is.
                    write_number(row, column, value, integer)
            # The row is counted even when empty: the next one goes below a blank line.
            row += 1
            self._row = row

    @property
    def rows(self) -> int:
        """Return how many rows were written."""
        return self._row

    def close(self) -> None:
        """End the sheet: no more rows (XlsxWriter writes its last one when the book closes)."""
        self._closed = True


class Workbook:
    """An XLSX written into `target` (a file opened for binary writing), sheet by sheet."""

    def __init__(self, target: IO[bytes]) -> None:
        # The rows wait in temporary files until close(): a folder of our own so that close()
        # removes them all, even those of a book that failed half-way.
        self._scratch = tempfile.TemporaryDirectory(prefix="xlsx-", ignore_cleanup_errors=True)
        # XlsxWriter writes its zip with zipfile, which takes a binary file object as well
        # as a path; `in_memory` is not wanted (it would keep every sheet in RAM).
        self._book = xlsxwriter.Workbook(target, {**_OPTIONS, "tmpdir": self._scratch.name})
        self._plain = _Styles(
            text=None,
            integer=self._format({"num_format": INTEGER_FORMAT}),
            decimal=self._format({"num_format": DECIMAL_FORMAT}),
        )
        self._bold = _Styles(
            text=self._format({"bold": True}),
            integer=self._format({"bold": True, "num_format": INTEGER_FORMAT}),
            decimal=self._format({"bold": True, "num_format": DECIMAL_FORMAT}),
        )
        self._names: list[str] = []
        self._open: Sheet | None = None
        self._closed = False

    def _format(self, properties: dict[str, str | bool]) -> _Format:
        return cast(_Format, self._book.add_format(properties))

    def sheet(self, name: str) -> Sheet:
        """Start the next sheet (the previous one is closed first)."""
        if self._open is not None:
            self._open.close()
        name = sheet_name(name, self._names)
        self._names.append(name)
        worksheet = cast(_Worksheet, self._book.add_worksheet(name))
        self._open = Sheet(worksheet, self._plain, self._bold)
        return self._open

    def close(self) -> None:
        """Close the last sheet and write the whole workbook into the target."""
        if self._closed:
            return
        self._closed = True
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._names:
            # Excel opens no workbook without a sheet.
            self.sheet("Sheet").close()
            self._open = None
        try:
            self._book.close()
        finally:
            self._scratch.cleanup()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
