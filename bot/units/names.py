"""A unit's name where it stands: «Tỉnh Kiên Giang» as a heading, «tỉnh Kiên Giang» in a sentence.

The unit data writes each Vietnamese name as a title, with a capital level word (the way it heads
a document or a list). Vietnamese writes that word in lower case inside a sentence («số liệu của
tỉnh Kiên Giang»), and only the proper name keeps its capitals. English names («Kien Giang
Province») carry no leading level word and are left as they are.
"""

from __future__ import annotations

from typing import Final

# The level words a Vietnamese unit's name may start with, the longer first ("Thành phố" before
# any one-word match; "Thị xã" and "Thị trấn" share "Thị").
LEVEL_WORDS: Final[tuple[str, ...]] = (
    "Thành phố",
    "Thị trấn",
    "Thị xã",
    "Đặc khu",
    "Tỉnh",
    "Huyện",
    "Quận",
    "Phường",
    "Xã",
)


def in_sentence(name: str) -> str:
    """Return a unit's name as it reads inside a sentence: the leading level word in lower case.

    At the start of a sentence, as a heading, a label or a button, use the name as it is.
    """
    for word in LEVEL_WORDS:
        if name.startswith(word + " ") and len(name) > len(word) + 1:
            return word.lower() + name[len(word) :]
    return name
