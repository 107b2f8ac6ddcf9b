"""Translations from gettext catalogs (`bot/locales/<lang>/LC_MESSAGES/<feature>.po`).

Each feature keeps its own `.po` file per language (core, tips, units, ...), so features never
edit one shared catalog; the files of a language are merged and a key defined twice is an error.

Messages are looked up by a stable key (`start.welcome`), so a key missing in either language is
detectable (tests/test_i18n.py). Values are formatted after translating, and every value is
HTML-escaped unless it is marked as trusted `Html`, because replies use Telegram's HTML mode.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final, Literal

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

log = logging.getLogger(__name__)

Language = Literal["vi", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("vi", "en")
# Babel locale names used for number formatting (54.307 in Vietnamese, 54,307 in English).
_BABEL_LOCALES: Final[dict[Language, str]] = {"vi": "vi_VN", "en": "en_US"}


class Html(str):
    """A string of trusted HTML that `Translator` must not escape."""

    __slots__ = ()


def N_(key: str) -> str:
    """Mark a key for extraction without translating it now."""
    return key


def as_language(value: str | None) -> Language | None:
    """Return `value` as a supported language code, or None."""
    for language in LANGUAGES:
        if value == language:
            return language
    return None


class CatalogError(Exception):
    """The catalogs of a language define a key twice."""


@cache
def catalog(language: Language) -> Mapping[str, str]:
    """Return {key: text} for a language, merged once from all its .po files."""
    folder = resources.files("bot") / "locales" / language / "LC_MESSAGES"
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        for message in parsed:
            if not (message.id and isinstance(message.id, str) and message.string):
                continue
            if message.id in merged:
                raise CatalogError(
                    f"{language}: {message.id!r} is in both {origin[message.id]} and {entry.name}"
                )
            merged[message.id] = str(message.string)
            origin[message.id] = entry.name
    return merged


class Translator:
    """Translate keys for one language and format the values safely for HTML."""

    def __init__(self, language: Language, fallback: Language = "vi") -> None:
        self.language: Language = language
        self._messages = catalog(language)
        self._fallback = catalog(fallback)

    def template(self, key: str) -> str:
        """Return the raw text of a key, falling back to the other language, then the key."""
        text = self._messages.get(key)
        if text is None:
            log.warning("message %r missing in %s catalog", key, self.language)
            text = self._fallback.get(key, key)
        return text

    def __call__(self, key: str, /, **values: object) -> str:
        """Return the HTML text for `key`, with values escaped unless marked `Html`."""
        template = self.template(key)
        if not values:
            return template
        return template.format(**{name: _html_value(value) for name, value in values.items()})

    def label(self, key: str, /, **values: object) -> str:
        """Return plain text for `key` (buttons, alerts: places Telegram does not parse HTML)."""
        template = self.template(key)
        return template.format(**values) if values else template

    def number(self, value: float, *, decimals: int = 0) -> str:
        """Format a number the way this language writes it (54.307 in vi, 54,307 in en)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, format=pattern, locale=_BABEL_LOCALES[self.language]))


def _html_value(value: object) -> object:
    if isinstance(value, Html):
        return str(value)
    if isinstance(value, str):
        return html.escape(value, quote=False)
    return value


@cache
def translator(language: Language) -> Translator:
    """Return the shared translator for a language."""
    other: Language = "en" if language == "vi" else "vi"
    return Translator(language, fallback=other)
