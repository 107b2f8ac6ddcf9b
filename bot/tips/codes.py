"""Receipt codes: short, unguessable, and free of characters people misread (0/O, 1/I/L)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from typing import Final

# Picks one character of the alphabet. Always `secrets.choice` in the bot; the sandbox's
# `--seed` swaps in a seeded one so a scripted transcript is the same on every run.
CharacterChoice = Callable[[Sequence[str]], str]

# 31 symbols: no 0, O, 1, I or L, so a code read aloud or copied by hand survives.
ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PREFIX: Final = "TB"
GROUP: Final = 4
# Two groups of four: 31**8 ≈ 8.5e11 codes, about 40 bits; never sequential.
GROUPS: Final = 2

_LOOSE = re.compile(r"[^0-9A-Za-z]")
_SHAPE = re.compile(rf"^{PREFIX}([{ALPHABET}]{{{GROUP * GROUPS}}})$")


def new_code(choose: CharacterChoice = secrets.choice) -> str:
    """Return a fresh random code like TB-7K3M-Q9XD."""
    body = "".join(choose(ALPHABET) for _ in range(GROUP * GROUPS))
    return "-".join([PREFIX, *(body[i : i + GROUP] for i in range(0, len(body), GROUP))])


def normalize_code(text: str) -> str | None:
    """Return `text` as a canonical code (case, spaces and dashes ignored), or None."""
    compact = _LOOSE.sub("", text).upper()
    match = _SHAPE.match(compact)
    if match is None:
        return None
    body = match.group(1)
    return "-".join([PREFIX, *(body[i : i + GROUP] for i in range(0, len(body), GROUP))])
