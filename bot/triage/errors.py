"""Triage's refusals: an action refused with a reason, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from bot.kernel.i18n import N_, Translator
from bot.kernel.refusal import Refusal
from bot.kernel.status import Outcome, Status
from bot.tips.status import outcome_label, status_label


class TriageError(Refusal):
    """An action refused with a reason; `key` is its catalog key.

    Values that are statuses or outcomes are put in the reader's language by `shown`.
    """

    def shown(self, t: Translator) -> dict[str, object]:
        """Return the values with statuses and outcomes in the reader's language."""
        return _localized(t, self.values)


def _localized(t: Translator, values: Mapping[str, object]) -> dict[str, object]:
    shown: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, Status):
            shown[name] = status_label(t, value)
        elif isinstance(value, Outcome):
            shown[name] = outcome_label(t, value)
        else:
            shown[name] = value
    return shown


class TipNotFoundError(TriageError):
    """No such tip, or not in the officer's scope: the same answer for both."""

    def __init__(self, code: str) -> None:
        super().__init__(N_("triage.error.not_found"), code=code)
