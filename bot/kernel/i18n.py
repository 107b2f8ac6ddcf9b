"""Translations from gettext catalogs (`bot/locales/<lang>/LC_MESSAGES/<feature>.po`).

Each feature keeps its own `.po` file per language (core, tips, units, ...), so features never
edit one shared catalog; the files of a language are merged and a key defined twice is an error.

Messages are looked up by a stable key (`start.welcome`), so a key missing in either language is
detectable (tests/test_i18n.py). Values are formatted after translating, and every value is
HTML-escaped unless it is marked as trusted `Html`, because replies use Telegram's HTML mode.

A text that names a count ("1 unit", "3 units") is a gettext plural entry: `msgid` and
`msgid_plural` are both its key, and `msgstr[0]`, `msgstr[1]`… its forms, chosen by the
language's `Plural-Forms` rule exactly as `ngettext` chooses them (English has two forms,
Vietnamese one). `Translator.plural` picks the form.
"""

from __future__ import annotations

import gettext
import html
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    """The catalogs of a language define a key twice, or disagree on the plural rule."""


@dataclass(frozen=True)
class _Catalogs:
    """Everything the .po files of one language hold."""

    messages: Mapping[str, str]
    plurals: Mapping[str, tuple[str, ...]]
    plural_forms: str


@cache
def _load(language: Language) -> _Catalogs:
    folder = resources.files("bot") / "locales" / language / "LC_MESSAGES"
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    origin: dict[str, str] = {}
    rules: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        # Babel falls back to the locale's own rule for a file without a Plural-Forms header.
        rules.setdefault(parsed.plural_forms, entry.name)
        for message in parsed:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if not (key and isinstance(key, str) and message.string):
                continue
            if key in origin:
                raise CatalogError(f"{language}: {key!r} is in both {origin[key]} and {entry.name}")
            origin[key] = entry.name
            if isinstance(message.string, tuple):
                plurals[key] = tuple(str(form) for form in message.string)
            else:
                messages[key] = str(message.string)
    if len(rules) > 1:
        raise CatalogError(f"{language}: the .po files disagree on Plural-Forms: {rules}")
    plural_forms = next(iter(rules), "nplurals=1; plural=0;")
    return _Catalogs(messages, plurals, plural_forms)


def catalog(language: Language) -> Mapping[str, str]:
    """Return {key: text} for a language, merged once from all its .po files."""
    return _load(language).messages


def plural_catalog(language: Language) -> Mapping[str, tuple[str, ...]]:
    """Return {key: (form, ...)} of a language's plural entries, merged from all its .po files."""
    return _load(language).plurals


@cache
def plural_rule(language: Language) -> Callable[[int], int]:
    """Return the language's gettext rule: a count -> the index of its form (ngettext's)."""
    header = _load(language).plural_forms
    expression = header.partition("plural=")[2].strip().rstrip(";").strip()
    return gettext.c2py(expression or "0")


class Translator:
    """Translate keys for one language and format the values safely for HTML."""

    def __init__(self, language: Language, fallback: Language = "vi") -> None:
        self.language: Language = language
        self._messages = catalog(language)
        self._fallback = catalog(fallback)
        self._plurals = plural_catalog(language)
        self._fallback_plurals = plural_catalog(fallback)
        self._rule = plural_rule(language)
        self._fallback_rule = plural_rule(fallback)

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

    def plural_template(self, key: str, count: float) -> str:
        """Return the raw form of a plural entry for `count` (ngettext's choice)."""
        # A fraction (1.5 million) takes the form of a count that is not one; gettext rules
        # take whole numbers only.
        whole = int(count) if float(count).is_integer() else 2
        forms, rule = self._plurals.get(key), self._rule
        if forms is None:
            log.warning("plural message %r missing in %s catalog", key, self.language)
            forms, rule = self._fallback_plurals.get(key), self._fallback_rule
        if forms is None:
            return key
        return forms[min(rule(abs(whole)), len(forms) - 1)]

    def plural(self, key: str, count: float, /, **values: object) -> str:
        """Return the HTML text of a plural entry in the form for `count`, values escaped."""
        template = self.plural_template(key, count)
        return template.format(**{name: _html_value(value) for name, value in values.items()})

    def plural_label(self, key: str, count: float, /, **values: object) -> str:
        """Return the plain text of a plural entry in the form for `count`."""
        return self.plural_template(key, count).format(**values)

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
