"""Turn the bot's messages into terminal text: styles as ANSI or plain, media as placeholders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

JSONDict = dict[str, Any]

INDENT: Final = "     "
_RESET: Final = "\x1b[0m"
# SGR codes per Telegram entity type; entities without a style (mentions, hashtags) stay plain.
_STYLES: Final[Mapping[str, str]] = {
    "bold": "1",
    "italic": "3",
    "underline": "4",
    "strikethrough": "9",
    "spoiler": "2",
    "code": "36",
    "pre": "36",
    "text_link": "4;34",
    "url": "4;34",
    "blockquote": "2",
    "expandable_blockquote": "2",
}
_QUOTES: Final = frozenset({"blockquote", "expandable_blockquote"})
_QUOTE_BAR: Final = "│ "


@dataclass(frozen=True)
class _Entity:
    kind: str
    start: int
    end: int
    url: str | None


def _entities(raw: Sequence[Mapping[str, Any]]) -> list[_Entity]:
    found: list[_Entity] = []
    for entity in raw:
        try:
            start = int(entity["offset"])
            end = start + int(entity["length"])
        except (KeyError, TypeError, ValueError):
            continue
        url = entity.get("url")
        found.append(_Entity(str(entity.get("type", "")), start, end, url if url else None))
    return found


def render_entities(text: str, entities: Sequence[Mapping[str, Any]], *, ansi: bool) -> str:
    """Return `text` with Telegram's entities shown as ANSI styles, or as plain text.

    Either way, a link's address follows its label and a quotation's lines start with a bar.
    Offsets count UTF-16 code units, as Telegram's do.
    """
    units = text.encode("utf-16-le")
    total = len(units) // 2
    spans = [e for e in _entities(entities) if 0 <= e.start < e.end <= total]
    cuts = sorted({0, total, *(e.start for e in spans), *(e.end for e in spans)})
    out: list[str] = []
    for start, end in pairwise(cuts):
        segment = units[2 * start : 2 * end].decode("utf-16-le", errors="replace")
        active = [e for e in spans if e.start <= start and end <= e.end]
        if any(e.kind in _QUOTES for e in active):
            if any(e.kind in _QUOTES and e.start == start for e in active):
                segment = _QUOTE_BAR + segment
            segment = segment.replace("\n", "\n" + _QUOTE_BAR)
        codes = [_STYLES[e.kind] for e in active if e.kind in _STYLES]
        out.append(f"\x1b[{';'.join(codes)}m{segment}{_RESET}" if ansi and codes else segment)
        for link in spans:
            if link.kind == "text_link" and link.end == end and link.url:
                out.append(f" ({link.url})")
    return "".join(out)


def _size(value: Any) -> str:
    if not isinstance(value, int):
        return ""
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def _details(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


def _bracketed(kind: str, detail: str) -> str:
    return f"[{kind} {detail}]" if detail else f"[{kind}]"


def placeholder(raw: Mapping[str, Any]) -> str | None:
    """Return a readable stand-in for a message's non-text content, or None for plain text."""
    if "photo" in raw:
        sizes = raw["photo"] if isinstance(raw["photo"], list) else []
        biggest = sizes[-1] if sizes else {}
        return f"[photo {biggest.get('width', '?')}×{biggest.get('height', '?')}]"
    if "document" in raw:
        doc = raw["document"]
        details = _details(doc.get("mime_type", ""), _size(doc.get("file_size")))
        return f"[document {doc.get('file_name', 'file')!r}: {details}]"
    if "video" in raw:
        video = raw["video"]
        return f"[video {video.get('duration', '?')} s, {video.get('width')}×{video.get('height')}]"
    if "voice" in raw:
        return f"[voice message {raw['voice'].get('duration', '?')} s]"
    if "audio" in raw:
        audio = raw["audio"]
        return _bracketed("audio", str(audio.get("title") or audio.get("file_name") or ""))
    if "animation" in raw:
        return "[animation]"
    if "sticker" in raw:
        return _bracketed("sticker", str(raw["sticker"].get("emoji", "")))
    if "venue" in raw:
        venue = raw["venue"]
        return f"[place {_details(venue.get('title', ''), venue.get('address', ''))}]"
    if "location" in raw:
        lat, lon = raw["location"]["latitude"], raw["location"]["longitude"]
        # A map link lets a trainer check the place without the sandbox fetching anything.
        return (
            f"[location {lat:.5f}, {lon:.5f}: "
            f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}]"
        )
    if "contact" in raw:
        contact = raw["contact"]
        # Family name first, as the bot writes Vietnamese names («Nguyễn Thị Lan»).
        name = " ".join(filter(None, (contact.get("last_name"), contact.get("first_name"))))
        return f"[contact {_details(name, contact.get('phone_number', ''))}]"
    if "poll" in raw:
        poll = raw["poll"]
        options = " / ".join(str(option.get("text", "")) for option in poll.get("options", []))
        return f"[poll {poll.get('question', '')}: {options}]"
    if "text" in raw:
        return None
    return "[a kind of message the sandbox cannot show]"


def message_body(raw: Mapping[str, Any], *, ansi: bool) -> str:
    """Return what a person sees of a message: its text, or a placeholder and its caption."""
    if "text" in raw:
        return render_entities(str(raw["text"]), raw.get("entities") or [], ansi=ansi)
    body = placeholder(raw) or ""
    if raw.get("caption"):
        caption = render_entities(str(raw["caption"]), raw.get("caption_entities") or [], ansi=ansi)
        body = f"{body}\n{caption}"
    return body


def media_file(raw: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return (file_id, a file name to save it under) for a message carrying a file, or None."""
    if isinstance(raw.get("photo"), list) and raw["photo"]:
        return str(raw["photo"][-1]["file_id"]), "photo.jpg"
    for kind, default in (
        ("document", "document"),
        ("video", "video.mp4"),
        ("voice", "voice.ogg"),
        ("audio", "audio.mp3"),
        ("animation", "animation.mp4"),
    ):
        item = raw.get(kind)
        if isinstance(item, dict) and item.get("file_id"):
            return str(item["file_id"]), str(item.get("file_name") or default)
    return None


def button_rows(rows: Sequence[Sequence[str]], first: int | None) -> list[str]:
    """Return a keyboard's rows as lines: `[1] label` when numbered, `[ label ]` otherwise."""
    lines: list[str] = []
    number = first
    for row in rows:
        cells: list[str] = []
        for label in row:
            if number is None:
                cells.append(f"[ {label} ]")
            else:
                cells.append(f"[{number}] {label}")
                number += 1
        lines.append("   ".join(cells))
    return lines


def framed(head: str, body: str, extra: Sequence[str] = ()) -> str:
    """Return `head: body`, with every further line (and `extra`) indented under the body."""
    lines = body.split("\n") if body else [""]
    first = f"{head}: {lines[0]}".rstrip()
    rest = [f"{INDENT}{line}".rstrip() for line in (*lines[1:], *extra)]
    return "\n".join([first, *rest])


def keyboard_lines(rows: Sequence[Sequence[str]], first: int) -> list[str]:
    """Return the reply keyboard as numbered lines, the first one labelled `keyboard:`."""
    lines = button_rows(rows, first)
    label = "keyboard: "
    return [
        f"{INDENT}{label if index == 0 else ' ' * len(label)}{line}"
        for index, line in enumerate(lines)
    ]
