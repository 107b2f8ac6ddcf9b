"""The one measure of text: UTF-16 units after Telegram's HTML parsing."""

from __future__ import annotations

import pytest

from bot.kernel.telegram_text import clip, telegram_length, utf16_length, visible_text


@pytest.mark.parametrize(
    ("text", "units"),
    [("abc", 3), ("Việt", 4), ("𝐁", 2), ("😀", 2), ("👨\u200d👩", 5), ("e\u0301", 2), ("", 0)],
)
def test_plain_text_counts_utf16_units(text: str, units: int) -> None:
    assert utf16_length(text) == units


@pytest.mark.parametrize(
    ("html", "seen"),
    [
        ("<b>đậm</b> <i>nghiêng</i>", "đậm nghiêng"),
        ("&lt;b&gt; &amp; &quot;x&quot;", '<b> & "x"'),
        ("&#233;&#xE9;&#x1F600;", "éé😀"),
        # Telegram decodes only these four names; any other stays text, as does a number
        # that names no character.
        ("&nbsp;&copy;&#0;&#xD800;&#1114112;", "&nbsp;&copy;&#0;&#xD800;&#1114112;"),
        ('<a href="https://example.org/?a=1&amp;b=2">xem</a>', "xem"),
        ("<blockquote>𝐁</blockquote>", "𝐁"),
    ],
)
def test_html_is_seen_as_telegram_parses_it(html: str, seen: str) -> None:
    assert visible_text(html) == seen
    assert telegram_length(html) == utf16_length(seen)


def test_clip_cuts_to_units_without_orphaning_marks() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("😀" * 5, 5) == "😀😀…"
    assert utf16_length(clip("𝐁" * 100, 51)) <= 51
    # The cut would fall between e and its accent: the whole é goes.
    assert clip("ab" + "e\u0301" * 4, 4) == "ab…"
    assert clip("ab👨\u200d👩", 6) == "ab👨…"
    assert clip("abc", 0) == ""
