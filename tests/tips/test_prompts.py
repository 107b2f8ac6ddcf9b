"""The step -> prompt table asks every step's question; the review is the one left out."""

from __future__ import annotations

from bot.tips import steps
from bot.tips.conversation.prompts import PROMPTS


def test_every_step_but_the_review_has_a_prompt() -> None:
    assert set(PROMPTS) == set(steps.ALL) - {steps.REVIEW}
