"""Measuring text the way Telegram does, so every limit here is Telegram's own.

Telegram limits a message to 4096 and a caption to 1024 *UTF-16 code units* of the text *after*
entity parsing: an emoji or a letter such as 𝐁 (outside the Basic Multilingual Plane) is two
units, a tag counts nothing and `&amp;` is one. Counting with `len()` lets a text that looks
short to Python be refused by Telegram ("message is too long"), so every input limit, every cut
and every check before sending goes through this module.

The parsing rules are the Bot API's for parse_mode HTML: tags are markup, only `&lt;`, `&gt;`,
`&amp;`, `&quot;` and numeric references (`&#233;`, `&#xE9;`) are decoded; any other `&name;` is
text as it stands. The in-memory Bot API (`bot.testing.botapi`) parses HTML on its own, on
purpose: a mistake here must not be repeated there and pass unnoticed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from telegram.constants import MessageLimit

TEXT_LIMIT: Final = int(MessageLimit.MAX_TEXT_LENGTH)
CAPTION_LIMIT: Final = int(MessageLimit.CAPTION_LENGTH)
ELLIPSIS: Final = "…"

_TAG = re.compile(r"<[^<>]*>")
_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Joiners and variation selectors belong to the character before them, like combining marks.
_JOINERS: Final = frozenset({"\u200d", "\ufe0e", "\ufe0f"})


def utf16_length(text: str) -> int:
    """Return the length of plain text in UTF-16 code units, as Telegram counts it."""
    # "surrogatepass": a lone surrogate (from a numeric reference) still counts as one unit.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decoded(match: re.Match[str]) -> str:
    ref = match.group(1)
    if not ref.startswith("#"):
        return _NAMED[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        # No character behind it: the reference stays as the text it is.
        return match.group(0)
    return chr(code)


def visible_text(html: str) -> str:
    """Return what a reader sees of HTML text: tags removed, references decoded."""
    return _REFERENCE.sub(_decoded, _TAG.sub("", html))


def telegram_length(html: str) -> int:
    """Return the length Telegram checks for HTML text: UTF-16 units after entity parsing."""
    return utf16_length(visible_text(html))


def fits(html: str, limit: int = TEXT_LIMIT) -> bool:
    """Say whether HTML text is within `limit` as Telegram measures it (a caption: 1024)."""
    return telegram_length(html) <= limit


def clip(text: str, limit: int) -> str:
    """Return plain `text` cut to at most `limit` UTF-16 units, ending in "…" when cut.

    The cut never splits a character from its combining marks or an emoji sequence joined by
    ZWJ: a dangling mark would show as a broken glyph.
    """
    if utf16_length(text) <= limit:
        return text
    if limit < utf16_length(ELLIPSIS):
        return ""
    room = limit - utf16_length(ELLIPSIS)
    used = 0
    end = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        end = index + 1
    # Step back to the start of the character the cut falls inside.
    while 0 < end < len(text) and continues(text[end]):
        end -= 1
    while end > 0 and text[end - 1] in _JOINERS:
        end -= 1
    return text[:end].rstrip() + ELLIPSIS


def continues(char: str) -> bool:
    """Say whether `char` belongs to the character before it (a mark, joiner or selector)."""
    return char in _JOINERS or unicodedata.combining(char) != 0
