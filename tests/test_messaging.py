"""Long texts are split under Telegram's limit without breaking HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kernel.telegram_text import TEXT_LIMIT, telegram_length, visible_text
from bot.ptb.messaging import split_html


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.broken = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.broken = True


def _balanced(piece: str) -> bool:
    parser = _TagBalance()
    parser.feed(piece)
    parser.close()
    return not parser.broken and not parser.stack


def test_short_text_is_one_piece() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_long_text_is_cut_at_line_breaks_and_keeps_everything() -> None:
    lines = [f"dòng {index}: " + "chữ " * 20 for index in range(400)]
    text = "\n".join(lines)
    pieces = split_html(text)
    assert len(pieces) > 1
    assert all(telegram_length(piece) <= TEXT_LIMIT for piece in pieces)
    assert "".join(pieces) == text
    assert all(piece.endswith("\n") for piece in pieces[:-1])


def test_bold_spanning_a_cut_is_closed_and_reopened() -> None:
    text = "<b>" + ("an ninh trật tự " * 600) + "</b>"
    pieces = split_html(text, limit=1000)
    assert len(pieces) > 1
    assert all(_balanced(piece) for piece in pieces)
    assert all(piece.startswith("<b>") for piece in pieces)


def test_emoji_count_double_like_telegram() -> None:
    text = "🚨" * 3000  # 6000 UTF-16 units
    pieces = split_html(text)
    assert len(pieces) == 2
    assert all(telegram_length(piece) <= TEXT_LIMIT for piece in pieces)


def test_entities_are_never_cut_in_half() -> None:
    text = "&amp;" * 2000
    for piece in split_html(text, limit=333):
        assert re.fullmatch(r"(&amp;)+", piece), piece[:20]


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["tin", "báo", "\n", "\n\n", "<b>", "</b>", "&lt;", "🚨", "x" * 50]),
        max_size=400,
    ),
    limit=st.integers(min_value=60, max_value=500),
)
def test_pieces_fit_and_stay_balanced(words: list[str], limit: int) -> None:
    # Build well-formed HTML: every <b> closed before the end.
    depth = 0
    parts: list[str] = []
    for word in words:
        if word == "</b>":
            if depth == 0:
                continue
            depth -= 1
        elif word == "<b>":
            if depth >= 1:
                continue
            depth += 1
        parts.append(word)
    parts.extend(["</b>"] * depth)
    text = " ".join(parts)
    pieces = split_html(text, limit=limit)
    assert all(telegram_length(piece) <= limit for piece in pieces)
    assert all(_balanced(piece) for piece in pieces)
    visible = re.sub(r"<[^>]+>|\s", "", text)
    assert re.sub(r"<[^>]+>|\s", "", "".join(pieces)) == visible


def test_markup_and_references_cost_what_telegram_counts() -> None:
    # 4096 visible characters, five times as long in HTML: still one message for Telegram.
    assert split_html("&amp;" * 4096) == ["&amp;" * 4096]
    assert split_html("<b>" + "x" * 4096 + "</b>") == ["<b>" + "x" * 4096 + "</b>"]
    pieces = split_html("&lt;" * 4097)
    assert [telegram_length(piece) for piece in pieces] == [4096, 1]


def test_a_cut_never_leaves_a_combining_mark_at_the_start_of_a_piece() -> None:
    # é written as e + a combining acute accent, two units each; "a" puts the 4096th unit
    # between an e and its accent.
    text = "a" + "e\u0301" * 3000
    pieces = split_html(text)
    assert len(pieces) == 2
    assert all(telegram_length(piece) <= TEXT_LIMIT for piece in pieces)
    assert not pieces[1].startswith("\u0301")
    assert "".join(pieces) == text


def test_a_piece_with_nothing_visible_is_not_sent() -> None:
    # The blank bold run does not fit after 4096 x: a piece of its own would be "text is empty".
    pieces = split_html("x" * 4096 + "<b> </b>")
    assert [visible_text(piece) for piece in pieces] == ["x" * 4096]
