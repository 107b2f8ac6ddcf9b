"""Every message exists in both languages, with the same placeholders, and formats safely."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import bot
from bot.kernel.i18n import (
    LANGUAGES,
    Html,
    Language,
    catalog,
    plural_catalog,
    plural_rule,
    translator,
)
from bot.ptb.commands import RESIDENT_COMMANDS

PACKAGE = Path(bot.__file__).parent
# Functions whose first string argument is a catalog key: t(...), t.label(...), N_(...),
# menu.add(...), every refusal (`Refusal` and its subclasses). `label` and `add` are matched by
# Babel as bare names.
KEYWORDS = dict.fromkeys(
    (
        "t",
        "label",
        "N_",
        "add",
        "template",
        "Refusal",
        "InputError",
        "OfficerError",
        "TriageError",
        "Problem",
        "WithUsage",
    )
)
# Translator methods whose first argument is the key of a plural entry (t.plural(key, n, ...)).
PLURAL_KEYWORDS = dict.fromkeys(("plural", "plural_label", "plural_template"))


def _extracted(keywords: dict[str, None]) -> set[str]:
    keys: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=keywords
    ):
        if isinstance(message, str) and "." in message and " " not in message:
            keys.add(message)
    return keys


def _keys_used_in_code() -> set[str]:
    keys = _extracted(KEYWORDS | PLURAL_KEYWORDS)
    keys.update(key for _name, key in RESIDENT_COMMANDS)
    return keys


def _all_keys(language: Language) -> set[str]:
    return set(catalog(language)) | set(plural_catalog(language))


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_code_uses_keys_and_extraction_finds_them() -> None:
    keys = _keys_used_in_code()
    assert "start.welcome" in keys
    assert "menu.help" in keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_used_in_code_is_translated(language: Language) -> None:
    missing = sorted(_keys_used_in_code() - _all_keys(language))
    assert missing == [], f"missing in {language}: {missing}"


def _string_literals() -> set[str]:
    return {
        node.value
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_key_in_the_catalogs_is_used() -> None:
    # A key no code names is a message nobody sees: stale wording a translator still maintains.
    # Keys chosen at run time ("fallback.text" if … else …) are still written out in full.
    literals = _string_literals()
    unused = sorted(key for key in _all_keys("vi") if key not in literals)
    assert unused == []


def test_both_catalogs_hold_the_same_keys_and_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert sorted(set(vi) ^ set(en)) == []
    mismatched = [key for key in vi if _placeholders(vi[key]) != _placeholders(en[key])]
    assert mismatched == []


def test_plural_entries_exist_in_both_languages_with_each_language_s_forms() -> None:
    vi, en = plural_catalog("vi"), plural_catalog("en")
    assert "figures.measure.cases" in en
    assert sorted(set(vi) ^ set(en)) == []
    # ngettext's forms: English has one and many, Vietnamese a single form.
    assert {key for key, forms in en.items() if len(forms) != 2} == set()
    assert {key for key, forms in vi.items() if len(forms) != 1} == set()
    mismatched = [
        key
        for key in vi
        if any(_placeholders(form) != _placeholders(vi[key][0]) for form in (*vi[key], *en[key]))
    ]
    assert mismatched == []


def test_plural_keys_are_asked_for_as_plurals_and_the_others_as_plain_texts() -> None:
    # A plural key through t(...) would print the key itself; a plain one through t.plural too.
    asked_as_plural = _extracted(PLURAL_KEYWORDS)
    assert asked_as_plural - set(plural_catalog("vi")) == set()
    # N_ only marks a key (the measures' table), for either kind.
    plain_keywords = {name: None for name in KEYWORDS if name != "N_"}
    assert _extracted(plain_keywords) & set(plural_catalog("vi")) == set()


def test_plural_forms_follow_ngettext_in_each_language() -> None:
    en, vi = translator("en"), translator("vi")
    assert [en.plural_label("figures.measure.people", n) for n in (0, 1, 2)] == [
        "people",
        "person",
        "people",
    ]
    assert en.plural_label("figures.measure.cases", 1.5) == "cases"
    assert (
        en.plural("figures.report.note_missing", 1, count=Html("<b>1</b>"))
        == "Note: <b>1</b> unit reported nothing for the period."
    )
    assert en.plural("figures.report.note_missing", 3, count="<3>").startswith(
        "Note: &lt;3&gt; units reported"
    )
    assert {vi.plural_label("figures.measure.people", n) for n in (1, 2, 21)} == {"người"}
    assert en.plural_label("triage.days.left", 1, days=1) == "1 day left"
    assert en.plural_label("triage.days.over", 3, days=3) == "3 days overdue"
    assert vi.plural_label("triage.days.left", 1, days=1) == "còn 1 ngày"
    assert en.plural("tips.card.evidence", 1, count=1) == "1 file (below)"
    assert vi.plural("tips.card.evidence", 2, count=2) == "2 tệp (bên dưới)"
    assert plural_rule("en")(1) == 0
    assert plural_rule("en")(2) == 1
    assert plural_rule("vi")(1) == plural_rule("vi")(5) == 0


def test_values_are_escaped_unless_trusted() -> None:
    t = translator("en")
    assert "&lt;script&gt;" in t("start.welcome", name="<script>")
    assert "<i>x</i>" in t("start.welcome", name=Html("<i>x</i>"))
    assert t.label("start.welcome", name="<b>").count("<b>") >= 2  # labels are plain text


def test_numbers_follow_each_language() -> None:
    assert translator("vi").number(54307) == "54.307"
    assert translator("en").number(54307) == "54,307"


def test_english_catalogs_quote_with_english_marks() -> None:
    """English sentences quote with “ ”; « and » stay only as arrows on buttons (« Back, Next »)."""
    quoted = re.compile(r"«[^\s«]|[^\s»]»")
    wrong = [key for key, text in catalog("en").items() if quoted.search(text)]
    assert wrong == []


def test_percentages_have_no_space_before_the_sign() -> None:
    """29%, not 29 %, in both languages."""
    wrong = [
        (language, key)
        for language in ("vi", "en")
        for key, text in catalog(language).items()
        if "} %" in text
    ]
    assert wrong == []
