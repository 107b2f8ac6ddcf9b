"""The bot's messages as a terminal shows them: styles, links, quotes, media, buttons."""

from __future__ import annotations

from typing import Any

from bot.sandbox.render import (
    button_rows,
    framed,
    keyboard_lines,
    media_file,
    message_body,
    placeholder,
    render_entities,
)
from bot.testing.botapi import parse_html


def _shown(html: str, *, ansi: bool) -> str:
    text, entities = parse_html(html)
    return render_entities(text, entities, ansi=ansi)


def test_bold_and_italics_become_ansi_styles_on_a_terminal() -> None:
    assert _shown("<b>Hướng dẫn</b> và <i>ghi chú</i>", ansi=True) == (
        "\x1b[1mHướng dẫn\x1b[0m và \x1b[3mghi chú\x1b[0m"
    )


def test_nested_styles_are_all_applied() -> None:
    assert _shown("<b>đậm <i>nghiêng</i></b>", ansi=True) == (
        "\x1b[1mđậm \x1b[0m\x1b[1;3mnghiêng\x1b[0m"
    )


def test_plain_output_drops_styles_but_keeps_link_addresses() -> None:
    html = '<b>54.307</b> vụ: <a href="https://example.org/a">bài</a> &amp; <code>TB-7K3M</code>'
    assert _shown(html, ansi=False) == "54.307 vụ: bài (https://example.org/a) & TB-7K3M"


def test_offsets_count_utf16_units_past_emoji() -> None:
    # 🇻🇳 and 👋 are two UTF-16 units each; a style after them must still land on its word.
    assert _shown("🇻🇳👋 <b>Xin chào</b>!", ansi=True) == "🇻🇳👋 \x1b[1mXin chào\x1b[0m!"


def test_quotations_get_a_bar_on_every_line() -> None:
    assert _shown("Trích:\n<blockquote>dòng một\ndòng hai</blockquote>", ansi=False) == (
        "Trích:\n│ dòng một\n│ dòng hai"
    )


def test_media_are_shown_as_placeholders_with_their_caption() -> None:
    photo: dict[str, Any] = {
        "photo": [
            {"file_id": "small", "width": 90, "height": 67},
            {"file_id": "big", "width": 1280, "height": 960},
        ],
        "caption": "Biểu đồ",
        "caption_entities": [{"type": "bold", "offset": 0, "length": 7}],
    }
    assert message_body(photo, ansi=False) == "[photo 1280×960]\nBiểu đồ"
    assert media_file(photo) == ("big", "photo.jpg")
    document = {
        "document": {
            "file_id": "d1",
            "file_name": "bao-cao.xlsx",
            "mime_type": "application/vnd.ms-excel",
            "file_size": 2048,
        }
    }
    assert placeholder(document) == "[document 'bao-cao.xlsx': application/vnd.ms-excel, 2.0 KB]"
    assert media_file(document) == ("d1", "bao-cao.xlsx")
    assert placeholder({"voice": {"duration": 4}}) == "[voice message 4 s]"
    assert placeholder({"contact": {"first_name": "Lan", "phone_number": "+84 912"}}) == (
        "[contact Lan, +84 912]"
    )
    assert placeholder({"text": "hi"}) is None
    assert placeholder({"dice": {}}) == "[a kind of message the sandbox cannot show]"


def test_buttons_are_numbered_or_shown_bare() -> None:
    rows = [["🇻🇳 Tiếng Việt", "🇬🇧 English"], ["Huỷ"]]
    assert button_rows(rows, 1) == ["[1] 🇻🇳 Tiếng Việt   [2] 🇬🇧 English", "[3] Huỷ"]
    assert button_rows(rows, None) == ["[ 🇻🇳 Tiếng Việt ]   [ 🇬🇧 English ]", "[ Huỷ ]"]
    assert keyboard_lines([["A", "B"], ["C"]], 4) == [
        "     keyboard: [4] A   [5] B",
        "               [6] C",
    ]


def test_a_message_is_framed_under_its_sender() -> None:
    assert framed("bot", "một\n\nhai", ["[1] OK"]) == "bot: một\n\n     hai\n     [1] OK"
