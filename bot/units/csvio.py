"""The unit tree as CSV: every row is checked before anything is written; export is the same shape.

A file names units by `code` and their parent by `parent_code`, so it can be edited in Excel and
imported again. Import is an upsert: units not in the file are left as they are, and a unit is
retired by setting `active` to 0, never deleted (figures and tips keep pointing at it).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from bot.kernel.i18n import N_, Translator
from bot.units.repository import UnitRecord, UnitsRepository

COLUMNS: Final[tuple[str, ...]] = (
    "code",
    "parent_code",
    "level",
    "name_vi",
    "name_en",
    "active",
    "chat_id",
    "lat",
    "lon",
)
REQUIRED_COLUMNS: Final[frozenset[str]] = frozenset({"code", "level", "name_vi"})
MAX_NAME_LENGTH: Final = 200
# Codes appear in commands, callback data and file names: plain ASCII, bounded.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_LEVEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_CHAT_ID = re.compile(r"-?[1-9]\d{0,15}")
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:\.\d{1,12})?")
# Each coordinate column and the range of its values (WGS 84 degrees).
_COORDINATE_RANGES: Final = {"lat": 90.0, "lon": 180.0}
_TRUE: Final = frozenset({"1", "true", "yes", "y", "active"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "retired", "inactive"})
# Values from the file are echoed in error reports; a 10,000-character cell must not be.
_SHOWN_LENGTH: Final = 40
# Excel on Windows opens a UTF-8 CSV as UTF-8 only when it starts with a byte order mark.
BOM: Final = "\ufeff"


@dataclass(frozen=True)
class RowError:
    """Why one line of a file cannot be imported; `key` is a catalog key, `values` its fields."""

    line: int
    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, t: Translator) -> str:
        """Return the reason as HTML in the translator's language (values escaped)."""
        return t(self.key, **self.values)

    def plain(self, t: Translator) -> str:
        """Return the reason as plain text (for the command line)."""
        return t.label(self.key, **self.values)


@dataclass(frozen=True)
class ImportPlan:
    """The outcome of checking a file: records to write, parents first, or the errors."""

    records: tuple[UnitRecord, ...] = ()
    errors: tuple[RowError, ...] = ()
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        """Say whether the file may be written."""
        return not self.errors


@dataclass
class _Row:
    line: int
    record: UnitRecord


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _SHOWN_LENGTH else value[: _SHOWN_LENGTH - 1] + "…"


def _key(code: str) -> str:
    # The database compares codes with NOCASE (ASCII case folding); so does the validator.
    return code.strip().lower()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in text)


def _decode(data: bytes) -> tuple[str | None, RowError | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, RowError(line, N_("units.csv.not_utf8"))


def _check_header(header: list[str]) -> tuple[list[str], list[RowError]]:
    names = [cell.strip().lstrip(BOM).strip().lower() for cell in header]
    errors: list[RowError] = []
    known = ", ".join(COLUMNS)
    for index, name in enumerate(names):
        if name not in COLUMNS:
            errors.append(
                RowError(
                    1, N_("units.csv.unknown_column"), {"column": _shown(name), "columns": known}
                )
            )
        elif name in names[:index]:
            errors.append(RowError(1, N_("units.csv.duplicate_column"), {"column": name}))
    errors.extend(
        RowError(1, N_("units.csv.missing_column"), {"column": column})
        for column in COLUMNS
        if column in REQUIRED_COLUMNS and column not in names
    )
    return names, errors


def _name(
    value: str, column: str, line: int, errors: list[RowError], *, required: bool
) -> str | None:
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        if required:
            errors.append(RowError(line, N_("units.csv.name_missing")))
        return None
    if len(text) > MAX_NAME_LENGTH:
        errors.append(
            RowError(
                line, N_("units.csv.name_too_long"), {"column": column, "limit": MAX_NAME_LENGTH}
            )
        )
        return None
    if _has_control(text):
        errors.append(RowError(line, N_("units.csv.name_control"), {"column": column}))
        return None
    return text


def _coordinate(
    cells: Mapping[str, str], column: str, line: int, errors: list[RowError]
) -> float | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    # Excel set to Vietnamese writes the decimal mark as a comma ("10,0123").
    number = text.replace(",", ".", 1) if "." not in text else text
    limit = _COORDINATE_RANGES[column]
    if not _DEGREES.fullmatch(number) or not -limit <= float(number) <= limit:
        errors.append(
            RowError(
                line,
                N_("units.csv.bad_coordinate"),
                {"column": column, "value": _shown(text), "limit": int(limit)},
            )
        )
        return None
    return float(number)


def _centroid(
    cells: Mapping[str, str], line: int, errors: list[RowError]
) -> tuple[float, float] | None:
    """Return (lat, lon), or None when both are empty; one without the other is an error."""
    before = len(errors)
    latitude = _coordinate(cells, "lat", line, errors)
    longitude = _coordinate(cells, "lon", line, errors)
    if len(errors) > before:
        return None
    if (latitude is None) != (longitude is None):
        errors.append(RowError(line, N_("units.csv.half_centroid")))
        return None
    if latitude is None or longitude is None:
        return None
    return latitude, longitude


def _parse_row(cells: Mapping[str, str], line: int, errors: list[RowError]) -> UnitRecord | None:
    before = len(errors)
    code = cells.get("code", "").strip()
    if not code:
        errors.append(RowError(line, N_("units.csv.code_missing")))
    elif not _CODE.fullmatch(code):
        errors.append(RowError(line, N_("units.csv.bad_code"), {"code": _shown(code)}))
    parent = cells.get("parent_code", "").strip() or None
    if parent is not None and not _CODE.fullmatch(parent):
        errors.append(RowError(line, N_("units.csv.unknown_parent"), {"parent": _shown(parent)}))
    level = cells.get("level", "").strip().lower()
    if not level:
        errors.append(RowError(line, N_("units.csv.level_missing")))
    elif not _LEVEL.fullmatch(level):
        errors.append(RowError(line, N_("units.csv.bad_level"), {"level": _shown(level)}))
    name_vi = _name(cells.get("name_vi", ""), "name_vi", line, errors, required=True)
    name_en = _name(cells.get("name_en", ""), "name_en", line, errors, required=False)
    active_text = cells.get("active", "").strip().lower()
    active = True
    if active_text in _FALSE:
        active = False
    elif active_text and active_text not in _TRUE:
        errors.append(RowError(line, N_("units.csv.bad_active"), {"value": _shown(active_text)}))
    chat_id: int | None = None
    chat_text = cells.get("chat_id", "").strip()
    if chat_text:
        if _CHAT_ID.fullmatch(chat_text):
            chat_id = int(chat_text)
        else:
            errors.append(RowError(line, N_("units.csv.bad_chat"), {"value": _shown(chat_text)}))
    centroid = _centroid(cells, line, errors)
    if len(errors) > before or name_vi is None:
        return None
    return UnitRecord(
        code=code,
        name_vi=name_vi,
        name_en=name_en,
        parent_code=parent,
        level=level,
        active=active,
        chat_id=chat_id,
        set_chat="chat_id" in cells,
        latitude=centroid[0] if centroid else None,
        longitude=centroid[1] if centroid else None,
        set_centroid="lat" in cells or "lon" in cells,
    )


def _delimiter(text: str) -> str:
    # Excel set to Vietnamese (where "," is the decimal mark) saves "CSV" separated by ";".
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _read_rows(text: str, errors: list[RowError]) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[_Row] = []
    header: list[str] | None = None
    names: list[str] = []
    consumed = 0
    try:
        for cells in reader:
            start, consumed = consumed + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
                names, header_errors = _check_header(cells)
                if header_errors:
                    errors.extend(header_errors)
                    return []
                continue
            if len(cells) < len(names):
                # Hand-edited files often drop empty trailing cells; they are empty values.
                cells = cells + [""] * (len(names) - len(cells))
            if len(cells) > len(names):
                errors.append(
                    RowError(
                        start,
                        N_("units.csv.field_count"),
                        {"found": len(cells), "expected": len(names)},
                    )
                )
                continue
            record = _parse_row(dict(zip(names, cells, strict=True)), start, errors)
            if record is not None:
                rows.append(_Row(start, record))
    except csv.Error as error:
        errors.append(RowError(consumed + 1, N_("units.csv.bad_csv"), {"problem": str(error)}))
        return []
    if header is None:
        errors.append(RowError(1, N_("units.csv.empty"), {"columns": ", ".join(COLUMNS)}))
    elif not rows and not errors:
        errors.append(RowError(1, N_("units.csv.no_rows")))
    return rows


def _unique_codes(rows: list[_Row], errors: list[RowError]) -> list[_Row]:
    """Keep each code's first row (codes compared as the database compares them)."""
    first_line: dict[str, int] = {}
    unique: list[_Row] = []
    for row in rows:
        key = _key(row.record.code)
        if key in first_line:
            errors.append(
                RowError(
                    row.line,
                    N_("units.csv.duplicate_code"),
                    {"code": _shown(row.record.code), "other": first_line[key]},
                )
            )
            continue
        first_line[key] = row.line
        unique.append(row)
    return unique


@dataclass
class _Tree:
    """The tree after the import, by folded code: the database's edges, the file's rows on top."""

    parent_of: dict[str, str | None] = field(default_factory=dict)
    active_of: dict[str, bool] = field(default_factory=dict)
    shown_code: dict[str, str] = field(default_factory=dict)
    existing_keys: set[str] = field(default_factory=set)
    line_of: dict[str, int] = field(default_factory=dict)


async def _tree_after(units: UnitsRepository, unique: list[_Row]) -> _Tree:
    tree = _Tree()
    existing = await units.edges()
    for edge in existing:
        key = _key(edge.code)
        tree.parent_of[key] = _key(edge.parent_code) if edge.parent_code else None
        tree.active_of[key] = edge.active
        tree.shown_code[key] = edge.code
    tree.existing_keys = set(tree.parent_of)
    for row in unique:
        key = _key(row.record.code)
        parent = row.record.parent_code
        tree.parent_of[key] = _key(parent) if parent else None
        tree.active_of[key] = row.record.active
        tree.shown_code[key] = row.record.code
        tree.line_of[key] = row.line
    return tree


def _check_parents(unique: list[_Row], tree: _Tree, errors: list[RowError]) -> set[str]:
    """Return the rows whose parent is themselves or unknown (each one an error)."""
    broken: set[str] = set()
    for row in unique:
        key, parent = _key(row.record.code), row.record.parent_code
        if parent is None:
            continue
        if _key(parent) == key:
            errors.append(
                RowError(row.line, N_("units.csv.self_parent"), {"code": row.record.code})
            )
            broken.add(key)
        elif _key(parent) not in tree.parent_of:
            errors.append(RowError(row.line, N_("units.csv.unknown_parent"), {"parent": parent}))
            broken.add(key)
    return broken


def _depths(
    unique: list[_Row], tree: _Tree, broken: set[str], errors: list[RowError]
) -> dict[str, int]:
    """Return each row's depth in the tree; a row on (or into) a cycle is an error, and broken."""
    depth: dict[str, int] = {}
    for row in unique:
        key = _key(row.record.code)
        if key in broken:
            continue
        path = [key]
        current = tree.parent_of.get(key)
        while current is not None and current not in path:
            path.append(current)
            current = tree.parent_of.get(current)
        if current is None:
            depth[key] = len(path) - 1
        else:
            # The walk came back to a unit it had passed: this row is on a cycle or leads into one.
            shown = " → ".join(tree.shown_code.get(step, step) for step in [*path, current])
            errors.append(RowError(row.line, N_("units.csv.cycle"), {"path": shown}))
            broken.add(key)
    return depth


def _check_retired(tree: _Tree, broken: set[str], errors: list[RowError]) -> None:
    """A retired unit cannot have active units below it: the old tree retires as a whole."""
    parent_of, active_of, shown_code, line_of = (
        tree.parent_of,
        tree.active_of,
        tree.shown_code,
        tree.line_of,
    )
    retired_with_active: dict[str, list[str]] = {}
    for key, parent in parent_of.items():
        if parent is None or key in broken or not active_of.get(key, True):
            continue
        if active_of.get(parent, True):
            continue
        if key in line_of:
            errors.append(
                RowError(
                    line_of[key],
                    N_("units.csv.retired_parent"),
                    {"code": shown_code[key], "parent": shown_code.get(parent, parent)},
                )
            )
        elif parent in line_of:
            retired_with_active.setdefault(parent, []).append(shown_code[key])
    for parent, children in retired_with_active.items():
        listed = ", ".join(sorted(children)[:5]) + (", …" if len(children) > 5 else "")
        errors.append(
            RowError(
                line_of[parent],
                N_("units.csv.active_below"),
                {"code": shown_code[parent], "children": listed},
            )
        )


async def check_units_csv(units: UnitsRepository, data: bytes) -> ImportPlan:
    """Validate a whole file against itself and the database; write nothing."""
    text, decode_error = _decode(data)
    if text is None:
        assert decode_error is not None
        return ImportPlan(errors=(decode_error,))
    errors: list[RowError] = []
    rows = _read_rows(text, errors)
    unique = _unique_codes(rows, errors)
    tree = await _tree_after(units, unique)
    broken = _check_parents(unique, tree, errors)
    depth = _depths(unique, tree, broken, errors)
    _check_retired(tree, broken, errors)

    if errors:
        return ImportPlan(errors=tuple(sorted(errors, key=lambda error: error.line)))
    ordered = sorted(unique, key=lambda row: depth[_key(row.record.code)])
    created = sum(1 for row in ordered if _key(row.record.code) not in tree.existing_keys)
    return ImportPlan(
        records=tuple(row.record for row in ordered),
        created=created,
        updated=len(ordered) - created,
    )


async def import_units_csv(units: UnitsRepository, data: bytes, now: datetime) -> ImportPlan:
    """Validate a file and, only if every row is valid, write all of it in one transaction."""
    plan = await check_units_csv(units, data)
    if plan.ok:
        await units.save_all(plan.records, now)
    return plan


async def export_units_csv(units: UnitsRepository, *, bom: bool = False) -> str:
    """Return every unit as CSV, parents before children, in the shape `import` reads."""
    everything = await units.all()
    code_of = {unit.id: unit.code for unit in everything}
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for unit in everything:
        writer.writerow(
            [
                unit.code,
                code_of.get(unit.parent_id, "") if unit.parent_id is not None else "",
                unit.level,
                unit.name_vi,
                unit.name_en or "",
                1 if unit.active else 0,
                "" if unit.chat_id is None else unit.chat_id,
                "" if unit.latitude is None else unit.latitude,
                "" if unit.longitude is None else unit.longitude,
            ]
        )
    return buffer.getvalue()
