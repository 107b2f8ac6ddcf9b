"""The steps of the tip conversation: its ConversationHandler states, stored as text."""

from __future__ import annotations

from typing import Final

CATEGORY: Final = "category"
STORY: Final = "story"
PLACE: Final = "place"
PLACE_UNIT: Final = "place_unit"
WHEN: Final = "when"
WHEN_DATE: Final = "when_date"
EVIDENCE: Final = "evidence"
IDENTITY: Final = "identity"
CONTACT: Final = "contact"
REVIEW: Final = "review"
LEGAL: Final = "legal"

# The order a new draft walks through; sub-steps (unit search, typed date, contact, legal
# type) hang off these.
MAIN: Final[tuple[str, ...]] = (CATEGORY, STORY, PLACE, WHEN, EVIDENCE, IDENTITY, REVIEW)
ALL: Final[tuple[str, ...]] = (*MAIN, PLACE_UNIT, WHEN_DATE, CONTACT, LEGAL)
# The number shown as "step n of N" (the review is not counted).
NUMBER: Final[dict[str, int]] = {
    CATEGORY: 1,
    STORY: 2,
    PLACE: 3,
    PLACE_UNIT: 3,
    WHEN: 4,
    WHEN_DATE: 4,
    EVIDENCE: 5,
    IDENTITY: 6,
    CONTACT: 6,
}
COUNTED: Final = 6


def before(step: str) -> str | None:
    """Return the step a «Quay lại» button leads back to from `step` (None from the first)."""
    parent = {PLACE_UNIT: PLACE, WHEN_DATE: WHEN, CONTACT: IDENTITY, LEGAL: REVIEW}.get(step)
    if parent is not None:
        return parent
    index = MAIN.index(step) if step in MAIN else 0
    return MAIN[index - 1] if index > 0 else None


def after(step: str) -> str:
    """Return the step that follows `step` in a new draft."""
    main = {PLACE_UNIT: PLACE, WHEN_DATE: WHEN, CONTACT: IDENTITY, LEGAL: REVIEW}.get(step, step)
    index = MAIN.index(main)
    return MAIN[min(index + 1, len(MAIN) - 1)]
