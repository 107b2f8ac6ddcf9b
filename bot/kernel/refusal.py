"""One shape for every refusal a person can read: a catalog key and the values it formats.

A service raises `Refusal("triage.refused.taken", by=name)` (or a feature's subclass, which
may say how its values read in the reader's language); the PTB glue
(`bot.ptb.refusals.answers_refusals`) answers it in the person's language. A refusal is
expected, so it is never logged as an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.kernel.i18n import Translator


class Refusal(Exception):
    """A request refused with a reason: `key` is the catalog key, `values` what it formats."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def shown(self, t: Translator) -> dict[str, object]:
        """Return the values as the reader reads them (a subclass localises its own kinds)."""
        return dict(self.values)

    def text(self, t: Translator) -> str:
        """Return the reason as HTML in the translator's language."""
        return t(self.key, **self.shown(t))

    def label(self, t: Translator) -> str:
        """Return the reason as plain text (a button's alert)."""
        return t.label(self.key, **self.shown(t))
