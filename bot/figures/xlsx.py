"""A small streaming XLSX writer: sheets one after another, rows as they come, little memory.

openpyxl spends about 8 µs a cell (without lxml): a report's raw sheet of 100,000 records took
15 s. This writes the few parts an XLSX needs by hand, each row straight into the zip entry of
its sheet, at about 0.5 µs a cell. Cells are numbers (integers shown as 54,307, decimals with
two places), text (inline strings) or empty; a row may be bold. Readers (Excel, LibreOffice,
openpyxl) see ordinary typed cells.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import IO, Final
from xml.sax.saxutils import escape, quoteattr

MAX_SHEET_NAME: Final = 31
# Characters XML 1.0 cannot hold at all; Excel would refuse the file.
_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")

# Cell styles, indexes into cellXfs below: plain, integer, decimal, and the same in bold.
_INTEGER: Final = 1
_DECIMAL: Final = 2
_BOLD: Final = 3

_STYLES: Final = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="3" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>
<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""  # noqa: E501
_SHEET_START: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END: Final = "</sheetData></worksheet>"
_MAIN: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIPS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

Cell = int | float | str | None


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_COLUMNS: Final = [_column(index) for index in range(64)]
# Pieces of XML gathered before they are written to the zip (a few hundred rows).
_FLUSH_PARTS: Final = 8192


def _text(value: str) -> str:
    if not value.isprintable():
        # Only then can it hold a control character (tabs and newlines are kept).
        value = _ILLEGAL.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """Return a name Excel accepts for a sheet (31 characters, no []:*?/\\), unique."""
    base = _BAD_SHEET_CHARS.sub("_", _ILLEGAL.sub("", name)).strip() or "Sheet"
    base = base[:MAX_SHEET_NAME]
    used = {existing.lower() for existing in taken}
    candidate, number = base, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    return candidate


class Sheet:
    """One worksheet being written: append rows, then close (or use it as a context)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._row = 0
        self._stream.write(_SHEET_START.encode())

    def append(self, values: Sequence[Cell], *, bold: bool = False) -> None:
        """Write one row."""
        self.extend([values], bold=bold)

    def extend(self, rows: Iterable[Sequence[Cell]], *, bold: bool = False) -> None:
        """Write many rows (the fast path: one write to the zip for all of them)."""
        text, integer, decimal = _CELL_TEMPLATES[bold]
        parts: list[str] = []
        add = parts.append
        row_number = self._row
        for values in rows:
            row_number += 1
            add(f'<row r="{row_number}">')
            # Each cell carries its reference: empty cells are left out, not written.
            for column, value in zip(_COLUMNS, values, strict=False):
                if value is None or value == "":
                    continue
                kind = type(value)
                if kind is str:
                    add(text.format(column, row_number, _text(value)))  # type: ignore[arg-type]
                elif kind is int or (kind is float and value.is_integer()):  # type: ignore[union-attr]
                    add(integer.format(column, row_number, int(value)))
                elif kind is float:
                    add(decimal.format(column, row_number, repr(value)))
                else:
                    add(_cell(column, row_number, value, text, integer, decimal))
            if len(values) > len(_COLUMNS):
                for index in range(len(_COLUMNS), len(values)):
                    value = values[index]
                    if value is not None and value != "":
                        add(_cell(_column(index), row_number, value, text, integer, decimal))
            add("</row>")
            if len(parts) > _FLUSH_PARTS:
                # Written out every few hundred rows: a big chunk never sits whole in memory.
                self._stream.write("".join(parts).encode())
                parts.clear()
        self._row = row_number
        self._stream.write("".join(parts).encode())

    @property
    def rows(self) -> int:
        """Return how many rows were written."""
        return self._row

    def close(self) -> None:
        """End the sheet."""
        self._stream.write(_SHEET_END.encode())
        self._stream.close()


def _cell(column: str, row: int, value: Cell, text: str, integer: str, decimal: str) -> str:
    """Return one cell of any type (the slow path: subclasses, bools, far columns)."""
    if isinstance(value, str):
        return text.format(column, row, _text(value))
    assert value is not None
    if isinstance(value, int) or float(value).is_integer():
        return integer.format(column, row, int(value))
    return decimal.format(column, row, repr(float(value)))


def _templates(bold: bool) -> tuple[str, str, str]:
    """Return the text, integer and decimal cell templates: column, row, value."""
    offset = _BOLD if bold else 0
    text_style = f' s="{offset}"' if offset else ""
    return (
        '<c r="{0}{1}" t="inlineStr"' + text_style + "><is>"
        '<t xml:space="preserve">{2}</t></is></c>',
        '<c r="{0}{1}" s="' + str(offset + _INTEGER) + '"><v>{2}</v></c>',
        '<c r="{0}{1}" s="' + str(offset + _DECIMAL) + '"><v>{2}</v></c>',
    )


_CELL_TEMPLATES: Final = {False: _templates(False), True: _templates(True)}


class Workbook:
    """An XLSX written into `target` (a file opened for binary writing), sheet by sheet."""

    def __init__(self, target: IO[bytes]) -> None:
        # Level 1: the raw sheet is most of the work and compresses well enough at it.
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._open: Sheet | None = None

    def sheet(self, name: str) -> Sheet:
        """Start the next sheet (the previous one is closed first)."""
        if self._open is not None:
            self._open.close()
        self._names.append(sheet_name(name, self._names))
        number = len(self._names)
        stream = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True)
        self._open = Sheet(stream)
        return self._open

    def close(self) -> None:
        """Close the last sheet and write the workbook's other parts."""
        if self._open is not None:
            self._open.close()
            self._open = None
        if not self._names:
            self.sheet("Sheet").close()
            self._open = None
        count = len(self._names)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            f'ContentType="{_MAIN}.worksheet+xml"/>'
            for number in range(1, count + 1)
        )
        self._zip.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_MAIN}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_MAIN}.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheets = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>'
            for number, name in enumerate(self._names, start=1)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{_RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>',
        )
        relations = "".join(
            f'<Relationship Id="rId{number}" Type="{_RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
            for number in range(1, count + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{relations}<Relationship Id="rId{count + 1}" Type="{_RELATIONSHIPS}/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
