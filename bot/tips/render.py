"""Texts about a tip: the review a resident checks, the receipt, /mytips (the officers' card is
bot/triage/card.py).

Every value a resident typed is escaped by the translator (`t(key, value=...)`), so a story full
of `<`, `&` or fake tags reaches Telegram as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kernel.i18n import Html, Translator
from bot.tips.deadlines import DEADLINE_KEYS, Extension, as_extension, follows_art_147, local_date
from bot.tips.model import (
    LEGAL_TYPE_KEYS,
    STATUS_KEYS,
    Category,
    Draft,
    Occurred,
    PlaceKind,
    Tip,
    TipSummary,
)
from bot.tips.service import TipTimeline
from bot.tips.status import OPEN, as_status
from bot.units.names import in_sentence


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


def when_text(
    t: Translator, occurred: Occurred | None, on: date | None, at: str | None = None
) -> str:
    """Describe when it happened (`at`: the time of day given with a typed day, "HH:MM")."""
    if occurred == "date" and on is not None and at:
        return t("tips.when.date_time_on", date=day(on), time=at)
    if occurred == "now" and on is not None:
        return t("tips.when.now_on", date=day(on))
    if occurred == "today" and on is not None:
        return t("tips.when.today_on", date=day(on))
    if occurred == "date" and on is not None:
        return t("tips.when.date_on", date=day(on))
    return t("tips.when.unknown")


def story_block(t: Translator, story: str, has_voice: bool) -> str:
    parts = []
    if story:
        parts.append(t("tips.story.block", story=story))
    if has_voice:
        parts.append(t("tips.story.voice_note"))
    return "\n".join(parts) if parts else t("tips.story.empty")


def legal_line(t: Translator, legal_type: str, source: str, *, to_resident: bool) -> str:
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
        t.plural("tips.review.evidence", len(draft.evidence), count=len(draft.evidence))
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
        legal=Html(legal_line(t, legal_type, source, to_resident=True)),
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
                draft.occurred_time,
            )
        ),
        evidence=Html(evidence),
        identity=Html(identity),
        story=Html(story_block(t, draft.story, draft.story_voice is not None)),
    )


def receipt_text(t: Translator, tip: Tip, zone: ZoneInfo) -> str:
    """Return the receipt: code, time, what happens next, and 113 for emergencies."""
    # Art. 147 is cited only where it applies: a «phản ánh» runs on the unit's own target.
    if follows_art_147(tip.legal_type):
        next_step = t("tips.receipt.next.art_147", deadline=day(tip.decision_deadline))
    else:
        received = tip.received_at.astimezone(zone).date()
        next_step = t(
            "tips.receipt.next.service",
            days=(tip.decision_deadline - received).days,
            deadline=day(tip.decision_deadline),
        )
    return t(
        "tips.receipt",
        code=tip.code,
        received=moment(tip.received_at, zone),
        next=Html(next_step),
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


def deadline_label(t: Translator, tip: Tip, service_days: int) -> str:
    """Name the deadline in force: art. 147's (with its extension), or the unit's own target."""
    if not follows_art_147(tip.legal_type):
        return t("triage.deadline.service", days=service_days)
    return t(DEADLINE_KEYS[as_extension(tip.extension) or Extension.NONE])


def status_timeline(t: Translator, timeline: TipTimeline, zone: ZoneInfo, service_days: int) -> str:
    """Write /status: the current status, each move with its local date, unit and deadline.

    Officers are never named here (the moves carry no actor); the deadline shows only while
    the tip still needs a decision, under the name the officers' card gives it.
    """
    tip = timeline.tip
    lines = [t("tips.status.result", code=tip.code, status=status_label(t, tip.status))]
    moves = timeline.moves or [(tip.received_at, "received")]
    for at, status in moves:
        lines.append(
            t("tips.status.move", day=day(local_date(at, zone)), status=status_label(t, status))
        )
    if timeline.unit_name is not None:
        # "Đơn vị đang xử lý: tỉnh Kiên Giang": the name runs on in the sentence.
        lines.append(t("tips.status.unit", unit=in_sentence(timeline.unit_name)))
    known = as_status(tip.status)
    if known is not None and known in OPEN:
        label = Html(deadline_label(t, tip, service_days))
        lines.append(t("tips.status.deadline", label=label, day=day(tip.decision_deadline)))
    return "\n".join(lines)
