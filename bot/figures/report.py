"""The report pack: a summary in the style of the provincial reviews, a PNG chart, an XLSX book.

The chart and the workbook are built from the same `FiguresAnswer` and `Breakdown` objects as
the text, so the three never disagree. Both are CPU work: handlers run them in a thread. The
workbook is written by `bot.figures.xlsx`, its raw sheet streamed from the database cursor in
chunks (`RecordRows`), so a province's decade of records never sits in memory at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any, Final

from bot.figures.chart import chart_png, is_yearly
from bot.figures.numbers import Number
from bot.figures.render import (
    day_text,
    main_lines,
    measure_text,
    number,
    percent,
    period_text,
    unit_text,
)
from bot.figures.repository import RawRecord
from bot.figures.results import Breakdown, FiguresAnswer, Line
from bot.figures.sources import parsed
from bot.figures.xlsx import Sheet, Workbook
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import Period
from bot.units.names import in_sentence

# Past this the raw sheet stops with a note; the CLI exports everything. Each 10,000 rows cost
# about 0.45 s of a pack that must arrive within 2 s (BENCHMARKS.md); a province's decade has
# half a million records, which no sheet would make readable anyway.
MAX_RAW_ROWS: Final = 20_000
_KIND_KEYS: Final = {"flow": N_("figures.kind.flow"), "stock": N_("figures.kind.stock")}
_STATUS_KEYS: Final = {
    True: N_("figures.xlsx.status_current"),
    False: N_("figures.xlsx.status_superseded"),
}
# The chart lives in bot.figures.chart; the pack's pieces are named here for the handlers.
__all__ = ["chart_png", "is_yearly", "summary_text", "workbook_xlsx"]


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clause(t: Translator, line: Line) -> str:
    phrase = line.indicator.phrase(t.language)
    value = number(t, line.outcome.total)
    if phrase and "{value}" in phrase:
        return phrase.replace("{value}", value)
    name = line.indicator.name(t.language)
    return t.label(
        "figures.report.clause",
        name=name[:1].lower() + name[1:],
        value=value,
        measure=measure_text(t, line.indicator, line.outcome.total),
    )


def summary_text(t: Translator, answer: FiguresAnswer) -> str:
    """Return a short summary in the style of the seed article, in the person's language."""
    lines = main_lines(answer)
    period = _capitalized(period_text(t, answer.period))
    unit = answer.root.name(t.language)
    # The summary names the unit mid-sentence («…, tại tỉnh Kiên Giang: …»), the title as is.
    in_text = in_sentence(unit)
    if not lines:
        return t("figures.report.empty", unit=in_text, period=period_text(t, answer.period))
    clauses: list[str] = []
    keys = {line.indicator.key for line in lines}
    for line in lines:
        if line.base is not None and line.base.key in keys and clauses:
            clause = _clause(t, line)
            if line.ratio is not None:
                clause += t.label("figures.report.ratio", ratio=percent(t, line.ratio))
            clauses[-1] += ", " + clause
            continue
        clauses.append(_clause(t, line))
    parts = [
        t("figures.report.title", unit=unit, period=period_text(t, answer.period)),
        "",
        t("figures.report.summary", period=period, unit=in_text, clauses="; ".join(clauses)),
    ]
    overlaps = sum(
        1
        for line in answer.lines
        for exclusion in line.outcome.exclusions
        if exclusion.reason != "partial"
    )
    notes: list[str] = []
    if overlaps:
        notes.append(t.plural("figures.report.note_overlaps", overlaps, count=t.number(overlaps)))
    if answer.missing:
        missing = len(answer.missing)
        notes.append(t.plural("figures.report.note_missing", missing, count=t.number(missing)))
    if notes:
        parts.append("")
        parts.extend(notes)
    return "\n".join(parts)


# ---------------------------------------------------------------- workbook


def _as_of(line: Line) -> str:
    outcome = line.outcome
    if line.indicator.kind != "stock" or outcome.last_as_of is None:
        return ""
    last = str(outcome.last_as_of)
    return f"{last[:4]}-{last[4:6]}-{last[6:]}"


def summary_sheets(
    book: Workbook,
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    by_year: Breakdown,
    *,
    generated_at: datetime,
    zone: tzinfo,
) -> Sheet:
    """Write the totals, by unit and by year sheets; start the raw sheet and return it.

    Times are written in `zone` (settings.zone), the officers' own clock, and say so.
    """
    lines = [line for line in answer.lines if line.outcome.has_data]

    _totals_sheet(book, t, answer, lines, local_time(generated_at, zone), str(zone))
    keys = [line.indicator.key for line in lines]
    headers = [line.indicator.name(t.language) for line in lines]

    _units_sheet(book, t, answer, by_child, keys, headers)
    _years_sheet(book, t, by_year, keys, headers)
    return _raw_sheet(book, t, str(zone))


def local_time(instant: datetime | str | None, zone: tzinfo) -> str:
    """Write a stored instant (UTC, ISO 8601) as the local time of `zone`: 2023-05-29 14:05."""
    if instant is None or instant == "":
        return ""
    if isinstance(instant, str):
        return _local_stamp(instant, zone)
    moment = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=4096)
def _local_stamp(stamp: str, zone: tzinfo) -> str:
    # An import writes one stamp for all its rows: the raw sheet repeats a few stamps.
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return local_time(moment, zone)


def source_text(t: Translator, source: str) -> str:
    """Return where a record came from, as a reader names it: the document, else the way in."""
    return _source_text(t, source)


@lru_cache(maxsize=1024)
def _source_text(t: Translator, source: str) -> str:
    read = parsed(source)
    document = read.document
    if document is not None:
        if document.day is not None:
            when = day_text(t, document.day)
            return t.label("figures.xlsx.source_document", title=document.title, date=when)
        if document.written_date:
            when = document.written_date
            return t.label("figures.xlsx.source_document", title=document.title, date=when)
        return t.label("figures.xlsx.source_document_undated", title=document.title)
    if read.via == "bot":
        return t.label("figures.xlsx.source_bot")
    if read.file is not None:
        return t.label("figures.xlsx.source_file", file=read.file)
    return read.via


def _totals_sheet(
    book: Workbook,
    t: Translator,
    answer: FiguresAnswer,
    lines: list[Line],
    generated_at: str,
    zone: str,
) -> None:
    """Write the totals sheet: what was asked, then one row per indicator with data."""
    totals = book.sheet(t.label("figures.xlsx.sheet_totals"))
    totals.append([t.label("figures.xlsx.title")], bold=True)
    totals.append([t.label("figures.xlsx.unit"), unit_text(t, answer.root)])
    totals.append([t.label("figures.xlsx.period"), period_text(t, answer.period)])
    totals.append([t.label("figures.xlsx.period_code"), answer.period.label()])
    totals.append([t.label("figures.xlsx.generated", zone=zone), generated_at])
    totals.append([])
    totals.append(
        [
            t.label("figures.xlsx.col_key"),
            t.label("figures.xlsx.col_indicator"),
            t.label("figures.xlsx.col_measure"),
            t.label("figures.xlsx.col_kind"),
            t.label("figures.xlsx.col_value"),
            t.label("figures.xlsx.col_ratio"),
            t.label("figures.xlsx.col_as_of"),
            t.label("figures.xlsx.col_records"),
        ],
        bold=True,
    )
    for line in lines:
        ratio: float | str = round(line.ratio * 100, 1) if line.ratio is not None else ""
        totals.append(
            [
                line.indicator.key,
                line.indicator.name(t.language),
                measure_text(t, line.indicator),
                t.label(_KIND_KEYS[line.indicator.kind]),
                line.outcome.total,
                ratio,
                _as_of(line),
                line.outcome.records,
            ],
        )
    if answer.missing:
        totals.append([])
        totals.append(
            [t.label("figures.xlsx.missing"), ", ".join(unit_text(t, n) for n in answer.missing)],
        )


def _units_sheet(
    book: Workbook,
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    keys: list[str],
    headers: list[str],
) -> None:
    """Write the by-unit sheet: the unit's own records, then each child unit."""
    by_unit = book.sheet(t.label("figures.xlsx.sheet_units"))
    by_unit.append(
        [t.label("figures.xlsx.col_unit_code"), t.label("figures.xlsx.col_unit"), *headers],
        bold=True,
    )
    for label, row in by_child.rows:
        values: list[Number | str] = [
            "" if (value := row.value(key)) is None else value for key in keys
        ]
        own = row.tree.root.id == answer.root.id
        name = (
            t.label("figures.breakdown.own", unit=row.root.name(t.language))
            if own
            else row.root.name(t.language)
        )
        by_unit.append([label, name, *values])


def _years_sheet(
    book: Workbook, t: Translator, by_year: Breakdown, keys: list[str], headers: list[str]
) -> None:
    """Write the by-year sheet, with the difference no single year holds."""
    by_years = book.sheet(t.label("figures.xlsx.sheet_years"))
    by_years.append([t.label("figures.xlsx.col_year"), *headers], bold=True)
    for label, row in by_year.rows:
        year_values: list[Number | str] = [
            "" if (value := row.value(key)) is None else value for key in keys
        ]
        by_years.append([int(label), *year_values])
    if by_year.unattributed:
        by_years.append(
            [
                t.label("figures.xlsx.difference"),
                *[by_year.unattributed.get(key, "") for key in keys],
            ],
        )


def _raw_sheet(book: Workbook, t: Translator, zone: str) -> Sheet:
    """Start the records sheet with its header row, and return it."""
    raw = book.sheet(t.label("figures.xlsx.sheet_records"))
    raw.append(
        [
            "id",
            t.label("figures.xlsx.col_key"),
            t.label("figures.xlsx.col_unit_code"),
            t.label("figures.xlsx.period_code"),
            t.label("figures.xlsx.col_value"),
            t.label("figures.xlsx.col_status"),
            t.label("figures.xlsx.col_recorded_by"),
            t.label("figures.xlsx.col_recorded_at", zone=zone),
            t.label("figures.xlsx.col_source"),
            t.label("figures.xlsx.col_supersedes"),
            t.label("figures.xlsx.col_reason"),
            t.label("figures.xlsx.col_superseded_at", zone=zone),
            t.label("figures.xlsx.col_via"),
        ],
        bold=True,
    )
    return raw


class RecordRows:
    """The raw sheet's rows, added chunk by chunk, stopping with a note at MAX_RAW_ROWS."""

    def __init__(self, t: Translator, sheet: Sheet, zone: tzinfo) -> None:
        self.t = t
        self.sheet = sheet
        self.zone = zone
        self.count = 0
        self.stopped = False
        self._status = {
            True: t.label(_STATUS_KEYS[True]),
            False: t.label(_STATUS_KEYS[False]),
        }

    def add(self, records: Iterable[RawRecord]) -> None:
        """Write records until the cap; past it, write the note once and ignore the rest."""
        if not self.stopped:
            self.sheet.extend(self._rows(records))
            self._note_the_stop()

    def _note_the_stop(self) -> None:
        if self.stopped:
            limit = self.t.number(MAX_RAW_ROWS)
            self.sheet.append([self.t.label("figures.xlsx.truncated", limit=limit)])

    def _rows(self, records: Iterable[RawRecord]) -> Iterator[list[Any]]:
        """Yield the cells of each record, one row at a time, up to the cap."""
        limit = MAX_RAW_ROWS
        status = self._status
        t, zone = self.t, self.zone
        for record in records:
            if self.count >= limit:
                self.stopped = True
                return
            self.count += 1
            yield [
                record.id,
                record.indicator_key,
                record.unit_code,
                period_label(record.period),
                record.value,
                status[record.superseded_at is None],
                record.recorded_by,
                local_time(record.recorded_at, zone),
                source_text(t, record.source),
                record.supersedes_id,
                record.reason,
                local_time(record.superseded_at, zone),
                record.source,
            ]


@lru_cache(maxsize=4096)
def period_label(period: Period) -> str:
    """Return a period's label; the raw sheet repeats the same few thousand periods."""
    return period.label()


def workbook_xlsx(
    t: Translator,
    answer: FiguresAnswer,
    by_child: Breakdown,
    by_year: Breakdown,
    records: Iterable[RawRecord],
    *,
    generated_at: datetime,
    zone: tzinfo,
) -> bytes:
    """Build the report workbook: totals, by unit, by year and the raw records."""
    buffer = io.BytesIO()
    with Workbook(buffer) as book:
        raw = summary_sheets(
            book, t, answer, by_child, by_year, generated_at=generated_at, zone=zone
        )
        RecordRows(t, raw, zone).add(records)
    return buffer.getvalue()
