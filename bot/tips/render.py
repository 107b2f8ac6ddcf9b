"""Texts about a tip: the review a resident checks, the receipt, /mytips, the officers' card.

Every value a resident typed is escaped by the translator (`t(key, value=...)`), so a story full
of `<`, `&` or fake tags reaches Telegram as text, never as markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kernel.i18n import Html, Translator
from bot.kernel.status import Status
from bot.kernel.telegram_text import TEXT_LIMIT, clip, telegram_length, utf16_length
from bot.tips.model import (
    LEGAL_TYPE_KEYS,
    STATUS_KEYS,
    TRANSFERRED_TO_INVESTIGATION,
    Category,
    Draft,
    Evidence,
    Occurred,
    PlaceKind,
    Tip,
    TipSummary,
)
from bot.triage.deadlines import DEADLINE_KEYS, Extension, as_extension
from bot.triage.states import outcome_label
from bot.triage.states import status_label as officer_status_label


def day(value: date) -> str:
    """Write a date as Vietnamese (and this bot's English) readers expect: 25/12/2024."""
    return value.strftime("%d/%m/%Y")


def moment(value: datetime, zone: ZoneInfo) -> str:
    """Write a moment in local time: 14:05 25/12/2024."""
    return value.astimezone(zone).strftime("%H:%M %d/%m/%Y")


def legal_type_label(t: Translator, legal_type: str) -> str:
    """Return the name of a legal type (tố giác / tin báo / phản ánh)."""
    key = LEGAL_TYPE_KEYS.get(legal_type)
    return t.label(key) if key else legal_type


def status_label(t: Translator, status: str) -> str:
    """Return a status as residents read it (an unknown status shows as it is stored)."""
    key = STATUS_KEYS.get(status)
    return t.label(key) if key else status


def place_text(
    t: Translator,
    kind: PlaceKind | None,
    *,
    text: str | None,
    latitude: float | None,
    longitude: float | None,
    unit_name: str | None,
) -> str:
    """Describe where it happened (HTML, values escaped)."""
    if kind == "location" and latitude is not None and longitude is not None:
        lat, lon = format(latitude, ".5f"), format(longitude, ".5f")
        return t("tips.place.location", lat=lat, lon=lon)
    if kind == "address" and text:
        return t("tips.place.address", address=text)
    if kind == "unit" and unit_name:
        return t("tips.place.unit", unit=unit_name)
    return t("tips.place.unknown")


def when_text(t: Translator, occurred: Occurred | None, on: date | None) -> str:
    """Describe when it happened."""
    if occurred == "now" and on is not None:
        return t("tips.when.now_on", date=day(on))
    if occurred == "today" and on is not None:
        return t("tips.when.today_on", date=day(on))
    if occurred == "date" and on is not None:
        return t("tips.when.date_on", date=day(on))
    return t("tips.when.unknown")


def _story_block(t: Translator, story: str, has_voice: bool) -> str:
    parts = []
    if story:
        parts.append(t("tips.story.block", story=story))
    if has_voice:
        parts.append(t("tips.story.voice_note"))
    return "\n".join(parts) if parts else t("tips.story.empty")


def _legal_line(t: Translator, legal_type: str, source: str, *, to_resident: bool) -> str:
    """Name the legal type and who decided it."""
    name = legal_type_label(t, legal_type)
    if source == "officer":
        return t("tips.legal.by_officer", legal=name)
    if source == "resident":
        if to_resident:
            return t("tips.legal.by_you", legal=name)
        return t("tips.legal.by_resident", legal=name)
    return t("tips.legal.from_category", legal=name)


def review_text(
    t: Translator,
    draft: Draft,
    *,
    category: Category | None,
    unit_name: str | None,
) -> str:
    """Return the summary a resident checks before sending."""
    legal_type = draft.legal_type or (category.default_legal_type if category else "phan_anh")
    source = draft.legal_type_source if draft.legal_type else "category"
    evidence = (
        t("tips.review.evidence", count=len(draft.evidence))
        if draft.evidence
        else t("tips.review.evidence_none")
    )
    identity = (
        t("tips.review.anonymous")
        if draft.anonymous or not draft.contact
        else t("tips.review.contact", contact=draft.contact)
    )
    return t(
        "tips.review",
        category=category.label(t.language) if category else "?",
        legal=Html(_legal_line(t, legal_type, source, to_resident=True)),
        place=Html(
            place_text(
                t,
                draft.place_kind,
                text=draft.place_text,
                latitude=draft.latitude,
                longitude=draft.longitude,
                unit_name=unit_name,
            )
        ),
        when=Html(
            when_text(
                t,
                draft.occurred,
                date.fromisoformat(draft.occurred_on) if draft.occurred_on else None,
            )
        ),
        evidence=Html(evidence),
        identity=Html(identity),
        story=Html(_story_block(t, draft.story, draft.story_voice is not None)),
    )


def receipt_text(t: Translator, tip: Tip, zone: ZoneInfo) -> str:
    """Return the receipt: code, time, what happens next, and 113 for emergencies."""
    return t(
        "tips.receipt",
        code=tip.code,
        received=moment(tip.received_at, zone),
        deadline=day(tip.decision_deadline),
        anonymity=Html(_anonymity(t, tip.anonymous)),
    )


def _anonymity(t: Translator, anonymous: bool) -> str:
    if anonymous:
        return t("tips.receipt.anonymous")
    return t("tips.receipt.named")


def my_tips_text(
    t: Translator,
    tips: Sequence[TipSummary],
    total: int,
    categories: dict[str, Category],
    zone: ZoneInfo,
) -> str:
    """Return a resident's list of their own tips with status and date."""
    if not tips:
        return t("tips.mine.empty")
    lines = [
        t(
            "tips.mine.line",
            code=tip.code,
            category=(
                categories[tip.category].label(t.language)
                if tip.category in categories
                else tip.category
            ),
            status=status_label(t, tip.status),
            date=day(tip.received_at.astimezone(zone).date()),
        )
        for tip in tips
    ]
    more = t("tips.mine.more", shown=len(tips), total=total) if total > len(tips) else ""
    return t("tips.mine", count=total, lines=Html("\n".join(lines)), more=Html(more))


@dataclass(frozen=True)
class CardFacts:
    """What the officers' card shows besides the tip row itself."""

    category: Category | None
    unit_path: str | None
    evidence: Sequence[Evidence]
    contact: str | None
    # Triage: the handling officer's name, and where a transferred tip went (a unit's name or
    # TRANSFERRED_TO_INVESTIGATION).
    handler: str | None = None
    transferred_to: str | None = None


def _triage_lines(t: Translator, tip: Tip, facts: CardFacts) -> str:
    """Return the card's lines about triage (handler, outcome, transfer), each after a newline."""
    lines = []
    if facts.handler:
        lines.append(t("tips.card.handler", name=facts.handler))
    if tip.outcome:
        lines.append(t("tips.card.outcome", outcome=outcome_label(t, tip.outcome)))
    if tip.status == Status.TRANSFERRED and facts.transferred_to:
        target = (
            t.label("tips.card.investigation_body")
            if facts.transferred_to == TRANSFERRED_TO_INVESTIGATION
            else facts.transferred_to
        )
        lines.append(t("tips.card.transferred_to", target=target))
    return "".join("\n" + line for line in lines)


def card_text(
    t: Translator, tip: Tip, facts: CardFacts, zone: ZoneInfo, *, limit: int | None = TEXT_LIMIT
) -> str:
    """Return the officers' card of a tip: no identity at all when it is anonymous.

    The card is one message that triage edits in place, so it must fit in `limit` (Telegram's
    4096 UTF-16 units after parsing): over it, the longest free texts are cut (the story first)
    and a line says that /tip CODE shows everything. `limit=None`: the whole card, for /tip,
    which splits it over several messages.
    """
    whole = _card_text(t, tip, facts, zone)
    if limit is None or telegram_length(whole) <= limit:
        return whole
    continued = "\n\n" + t("tips.card.continued", code=tip.code)
    parts = _free_texts(tip, facts)
    while True:
        shorter_tip, shorter_facts = _with_free_texts(tip, facts, parts)
        text = _card_text(t, shorter_tip, shorter_facts, zone) + continued
        over = telegram_length(text) - limit
        lengths = {name: utf16_length(value) for name, value in parts.items()}
        # max() keeps the first of equals: the story goes first, then the order of _free_texts.
        longest = max(lengths, key=lambda name: lengths[name], default=None)
        if over <= 0 or longest is None or lengths[longest] <= 1:
            # Fits; or nothing is left to cut (the fixed lines alone are far under the limit).
            return text
        others = [length for name, length in lengths.items() if name != longest]
        # Cut the longest down to the next longest at most, so a long story is cut before an
        # address is touched; if that is not enough, the next round cuts the longest again.
        target = max(lengths[longest] - over, max(others, default=0), 1)
        if target >= lengths[longest]:
            target = max(lengths[longest] - over, 1)
        parts[longest] = clip(parts[longest], target)


# The card's facts that are free text (a unit's path and officers' names come from people too).
_FACT_TEXTS = ("contact", "unit_path", "handler", "transferred_to")


def _free_texts(tip: Tip, facts: CardFacts) -> dict[str, str]:
    """Return the card's texts of unbounded or people-chosen length that it shows, story first."""
    texts = {"story": tip.story}
    if tip.place_kind == "address" and tip.place_text:
        texts["place"] = tip.place_text
    for name in _FACT_TEXTS:
        value = getattr(facts, name)
        # TRANSFERRED_TO_INVESTIGATION is a marker the card translates, not a text to cut.
        if value and value != TRANSFERRED_TO_INVESTIGATION:
            texts[name] = value
    return texts


def _with_free_texts(tip: Tip, facts: CardFacts, texts: dict[str, str]) -> tuple[Tip, CardFacts]:
    """Return the tip and facts with the (cut) free texts in place of the originals."""
    shorter_tip = dataclasses.replace(
        tip, story=texts["story"], place_text=texts.get("place", tip.place_text)
    )
    shorter_facts = dataclasses.replace(
        facts,
        contact=texts.get("contact", facts.contact),
        unit_path=texts.get("unit_path", facts.unit_path),
        handler=texts.get("handler", facts.handler),
        transferred_to=texts.get("transferred_to", facts.transferred_to),
    )
    return shorter_tip, shorter_facts


def _card_text(t: Translator, tip: Tip, facts: CardFacts, zone: ZoneInfo) -> str:
    attachments = [item for item in facts.evidence if item.role == "evidence"]
    has_voice = any(item.role == "story" for item in facts.evidence)
    identity = (
        t("tips.card.anonymous")
        if tip.anonymous or not facts.contact
        else t("tips.card.contact", contact=facts.contact)
    )
    evidence = (
        t("tips.card.evidence", count=len(attachments))
        if attachments
        else t("tips.card.evidence_none")
    )
    return t(
        "tips.card",
        code=tip.code,
        category=facts.category.label(t.language) if facts.category else tip.category,
        legal=Html(_legal_line(t, tip.legal_type, tip.legal_type_source, to_resident=False)),
        unit=facts.unit_path or t.label("tips.card.no_unit"),
        place=Html(
            place_text(
                t,
                tip.place_kind,
                text=tip.place_text,
                latitude=tip.latitude,
                longitude=tip.longitude,
                unit_name=facts.unit_path,
            )
        ),
        when=Html(when_text(t, tip.occurred, tip.occurred_on)),
        received=moment(tip.received_at, zone),
        deadline_label=Html(t(DEADLINE_KEYS[as_extension(tip.extension) or Extension.NONE])),
        deadline=day(tip.decision_deadline),
        # Officers' wording: residents' says less (bot.tips.model.STATUS_KEYS).
        status=officer_status_label(t, tip.status),
        triage=Html(_triage_lines(t, tip, facts)),
        evidence=Html(evidence),
        identity=Html(identity),
        story=Html(_story_block(t, tip.story, has_voice)),
    )


def evidence_head(t: Translator, tip: Tip, item: Evidence, total: int) -> str:
    """Return the line naming one attachment posted under a card: which tip, which file."""
    if item.role == "story":
        return t("tips.card.story_voice", code=tip.code)
    return t("tips.card.attachment", code=tip.code, index=item.position, total=total)


def evidence_caption(t: Translator, tip: Tip, item: Evidence, total: int) -> str:
    """Return the caption of one attachment posted under a card (HTML, escaped), in full.

    It may exceed Telegram's 1024-unit caption limit (the resident's own caption may be 1024
    units); the sender then moves it into a message of its own (`OutboxDeliverer`).
    """
    head = evidence_head(t, tip, item, total)
    if item.caption:
        return head + "\n" + t("tips.card.attachment_caption", caption=item.caption)
    return head
