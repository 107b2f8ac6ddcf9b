"""Where a figure came from: the document it was read in, and the way it reached the bot.

A record's `source` column has always held the way in: "bot" (typed in a chat),
"import:<file>#<digest>" (a file sent to /import) or "cli-import:<file>#<digest>". An import
file may also name the document each figure was read in (an article's title and its date, in
optional «nguồn» / «ngày nguồn» columns): the record then keeps both, as a small JSON object in
the same column ({"via": "import:…", "title": "…", "date": "2023-09-12"}), so no schema change
and old records read as before. Readers (the workbook) show the document, not the file name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Final

from bot.kernel.periods import Period

MAX_TITLE_LENGTH: Final = 300
MAX_DATE_LENGTH: Final = 40


@dataclass(frozen=True)
class Document:
    """The document a figure was read in: a title, and its date when the file gives one."""

    title: str
    day: date | None = None
    # A date the file wrote in some other way ("9/2023"), kept as written.
    written_date: str | None = None


@dataclass(frozen=True)
class Source:
    """A record's source as stored: the way in, and the document when there is one."""

    via: str
    document: Document | None = None

    @property
    def file(self) -> str | None:
        """Return the name of the imported file, if the record came from one."""
        kind, _, rest = self.via.partition(":")
        if kind in ("import", "cli-import") and rest:
            return rest.rpartition("#")[0] or rest
        return None


def document_of(title: object, when: object) -> Document | None:
    """Return the document named by an import row's cells, or None when there is no title."""
    text = "" if title is None else " ".join(str(title).split())
    if not text:
        return None
    text = text[:MAX_TITLE_LENGTH]
    if isinstance(when, date):
        return Document(text, day=when)
    if isinstance(when, Period):
        return Document(text, written_date=when.label())
    written = "" if when is None else " ".join(str(when).split())[:MAX_DATE_LENGTH]
    if not written:
        return Document(text)
    try:
        return Document(text, day=date.fromisoformat(written))
    except ValueError:
        return Document(text, written_date=written)


def stored(via: str, document: Document | None) -> str:
    """Return the text the `source` column keeps for a record."""
    if document is None:
        return via
    value: dict[str, str] = {"via": via, "title": document.title}
    if document.day is not None:
        value["date"] = document.day.isoformat()
    elif document.written_date:
        value["date"] = document.written_date
    return json.dumps(value, ensure_ascii=False)


def parsed(text: str) -> Source:
    """Read a `source` column back (old plain values included)."""
    if not text.startswith("{"):
        return Source(text)
    try:
        value = json.loads(text)
    except ValueError:
        return Source(text)
    if not isinstance(value, dict) or not isinstance(value.get("title"), str):
        return Source(text)
    via = str(value.get("via", ""))
    written = value.get("date")
    if not isinstance(written, str):
        return Source(via, Document(value["title"]))
    try:
        return Source(via, Document(value["title"], day=date.fromisoformat(written)))
    except ValueError:
        return Source(via, Document(value["title"], written_date=written))
