"""Tips as the rest of the bot sees them: categories, drafts, tips, evidence, statuses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from bot.kernel.i18n import N_, Language

LegalType = Literal["to_giac", "tin_bao", "phan_anh"]
LEGAL_TYPES: Final[tuple[LegalType, ...]] = ("to_giac", "tin_bao", "phan_anh")
LEGAL_TYPE_KEYS: Final[dict[str, str]] = {
    "to_giac": N_("tips.legal.to_giac"),
    "tin_bao": N_("tips.legal.tin_bao"),
    "phan_anh": N_("tips.legal.phan_anh"),
}
# Who decided the legal type: derived from the category until the resident or an officer sets it.
LegalTypeSource = Literal["category", "resident", "officer"]

# A tip starts `received`; the officers' triage (bot.tips.status.Status) moves it along.
# Statuses are text in the database (no CHECK). These are the labels *residents* read, which
# say less than the officers' ones: "spam" is shown as closed, "unfounded" as verified.
STATUS_RECEIVED: Final = "received"
STATUS_KEYS: Final[dict[str, str]] = {
    "received": N_("tips.status.received"),
    "taken": N_("tips.status.taken"),
    "verifying": N_("tips.status.verifying"),
    "verified": N_("tips.status.verified"),
    "unfounded": N_("tips.status.unfounded"),
    "spam": N_("tips.status.spam"),
    "transferred": N_("tips.status.transferred"),
    "closed": N_("tips.status.closed"),
}

# `tips.transferred_to` of a tip handed to the competent investigation body (else a unit code).
TRANSFERRED_TO_INVESTIGATION: Final = "investigation"

PlaceKind = Literal["location", "address", "unit", "unknown"]
Occurred = Literal["now", "today", "date", "unknown"]
EvidenceKind = Literal["photo", "video", "document", "voice", "audio", "video_note"]

# Criminal Procedure Code art. 147 (20 days from receipt to decide): bot.tips.deadlines.
MAX_EVIDENCE: Final = 10
# A story is at least a few words and at most a few thousand characters: the officers' card
# (one Telegram message of at most 4096 characters) must hold it whole with its header.
STORY_MIN_WORDS: Final = 3
STORY_MIN_CHARS: Final = 10
STORY_MAX_CHARS: Final = 3000
ADDRESS_MIN_CHARS: Final = 3
ADDRESS_MAX_CHARS: Final = 300
CONTACT_MAX_CHARS: Final = 200


@dataclass(frozen=True)
class Category:
    """One kind of tip, as seeded by the migration (labels are data, not catalog keys)."""

    code: str
    label_vi: str
    label_en: str
    default_legal_type: LegalType
    sort_order: int

    def label(self, language: Language) -> str:
        """Return the category's label in a language."""
        return self.label_en if language == "en" else self.label_vi


@dataclass
class Attachment:
    """A file the resident sent: Telegram's ids only, nothing downloaded."""

    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    mime: str | None = None
    size: int | None = None
    caption: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        """Rebuild an attachment from its JSON form."""
        return cls(**data)


@dataclass
class Draft:
    """A tip being written: everything the resident answered so far.

    Stored sealed (bot.tips.repository.DraftsRepository); it holds the story and perhaps a
    contact, never the resident's Telegram identity.
    """

    submission_key: str
    category: str | None = None
    legal_type: LegalType | None = None
    legal_type_source: LegalTypeSource = "category"
    story_parts: list[str] = field(default_factory=list)
    story_voice: Attachment | None = None
    place_kind: PlaceKind | None = None
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    unit_id: int | None = None
    occurred: Occurred | None = None
    occurred_on: str | None = None
    # "HH:MM", local time, when the resident gave a time of day with the day.
    occurred_time: str | None = None
    evidence: list[Attachment] = field(default_factory=list)
    evidence_done: bool = False
    anonymous: bool = True
    identity_done: bool = False
    contact: str | None = None
    # Once the resident has seen the review, every step they change returns there.
    reviewed: bool = False
    # Set when "Edit" is pressed on the story: the next text replaces the story, not extends it.
    story_replacing: bool = False
    # The place came with the tip's start (a location sent at the main menu): not asked again.
    place_given: bool = False

    @property
    def story(self) -> str:
        """Return the story's text parts joined as one text."""
        return "\n\n".join(self.story_parts)

    def to_json(self) -> dict[str, Any]:
        """Return the draft as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        """Rebuild a draft from its JSON form, ignoring keys a newer version may have added."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        voice = known.get("story_voice")
        known["story_voice"] = Attachment.from_json(voice) if isinstance(voice, dict) else None
        known["evidence"] = [Attachment.from_json(item) for item in known.get("evidence", [])]
        return cls(**known)


@dataclass(frozen=True)
class HeldItem:
    """What a resident sent at the main menu, held until they say whether it starts a tip:
    a file (Telegram's ids only) or a location (and a venue's name, when it was one)."""

    attachment: Attachment | None = None
    latitude: float | None = None
    longitude: float | None = None
    venue: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the item as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldItem:
        """Rebuild an item from its JSON form."""
        attachment = data.get("attachment")
        return cls(
            attachment=Attachment.from_json(attachment) if isinstance(attachment, dict) else None,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            venue=data.get("venue"),
        )


@dataclass(frozen=True)
class DraftRecord:
    """A stored draft with the step it is at and the version a save must match."""

    draft: Draft
    step: str
    version: int
    language: Language


@dataclass(frozen=True)
class Tip:
    """A submitted tip, as stored."""

    id: int
    code: str
    category: str
    legal_type: LegalType
    legal_type_source: LegalTypeSource
    story: str
    place_kind: PlaceKind
    place_text: str | None
    latitude: float | None
    longitude: float | None
    unit_id: int | None
    occurred: Occurred
    occurred_on: date | None
    anonymous: bool
    reporter_pseudonym: str
    reporter_chat_sealed: str | None
    contact_sealed: str | None
    language: Language
    status: str
    received_at: datetime
    decision_deadline: date
    first_action_at: datetime | None
    # Triage (bot/triage): the handling officer's Telegram id, the outcome of a closed tip, the
    # art. 147 extension in force, where it was transferred ('investigation' or a unit code),
    # when the status last changed, and whether it proved of value.
    assignee_id: int | None = None
    outcome: str | None = None
    extension: str = "none"
    transferred_to: str | None = None
    status_at: datetime | None = None
    of_value: bool = False
    # "HH:MM", local time, when the resident gave a time of day with occurred_on.
    occurred_time: str | None = None


@dataclass(frozen=True)
class Evidence:
    """One stored attachment of a tip."""

    id: int
    tip_id: int
    position: int
    role: Literal["story", "evidence"]
    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    mime: str | None
    size: int | None
    caption: str | None


@dataclass(frozen=True)
class TipSummary:
    """What /mytips shows of one tip."""

    code: str
    category: str
    status: str
    received_at: datetime


@dataclass(frozen=True)
class TipCard:
    """Where a tip's card sits in the officers' chat (triage edits it in place)."""

    tip_id: int
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class TipEvent:
    """One entry of a tip's history."""

    id: int
    at: datetime
    actor_kind: str
    actor_ref: str | None
    event: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass(frozen=True)
class Scope:
    """Which tips a query may return: units by id (None: every unit) and unit-less tips."""

    unit_ids: frozenset[int] | None
    unitless: bool
