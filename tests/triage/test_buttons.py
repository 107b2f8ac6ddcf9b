"""The card's buttons: every verb a signed button can carry has its action."""

from __future__ import annotations

from bot.triage.handlers.buttons import ACTIONS
from bot.triage.render import VERBS


def test_every_signed_verb_has_an_action() -> None:
    assert set(ACTIONS) == VERBS
