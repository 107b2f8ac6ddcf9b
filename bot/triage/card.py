"""The officers' card of a tip, in one room: its facts, text, keyboard, posting and redraw.

A tip's card is one message in its officers' chat (its unit's, an ancestor's, or
OFFICER_CHAT_ID), posted by the outbox (`Cards.deliver`, the delivery of `tip_card` rows) with
its map pin and attachments as replies, and edited in place by triage after every action
(`Cards.refresh`); `/tip CODE` shows the same card untrimmed with the tip's history
(`Cards.show`). Text and buttons are made here only, so a card can never be posted without the
buttons its status allows. Cards in groups speak the default language.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from zoneinfo import ZoneInfo

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import N_, Html, Translator, translator
from bot.kernel.status import Status
from bot.kernel.telegram_text import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    clip,
    fits,
    telegram_length,
    utf16_length,
)
from bot.officers.model import Officer
from bot.officers.service import OfficersService
from bot.outbox.deliverer import NoTargetChatError, OfficersChatRefusedError, OutboxDeliverer
from bot.outbox.repository import OutboxRow
from bot.ptb.errors import is_benign
from bot.ptb.messaging import send_text
from bot.tips.deadlines import (
    days_left,
    is_overdue,
)
from bot.tips.exif import strip_metadata
from bot.tips.media import strip_media_metadata
from bot.tips.model import TRANSFERRED_TO_INVESTIGATION, Category, Evidence, Tip, TipCard
from bot.tips.render import (
    day,
    deadline_label,
    legal_line,
    moment,
    place_text,
    story_block,
    when_text,
)
from bot.tips.service import TipService
from bot.tips.status import OPEN, as_status, outcome_label
from bot.tips.status import status_label as officer_status_label
from bot.triage.render import card_keyboard, history_text
from bot.triage.service import TriageService
from bot.units import UnitDirectory

log = logging.getLogger(__name__)


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
    # The unit's service target for a «phản ánh» (SERVICE_TARGET_DAYS), named on its card.
    service_days: int = 15
    # Today in TIMEZONE, for the overdue badge (None: no badge).
    today: date | None = None


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


_LANGUAGE_KEYS: Final[dict[str, str]] = {
    "vi": N_("triage.card.language_vi"),
    "en": N_("triage.card.language_en"),
}


def _badges(t: Translator, tip: Tip, today: date | None) -> str:
    """Return the title's marks: new (nobody took it), happening now, past its deadline."""
    current = as_status(tip.status)
    marks = []
    if current is Status.RECEIVED:
        marks.append(t("triage.card.new"))
    if current in OPEN and tip.occurred == "now":
        marks.append(t("triage.card.urgent"))
    if current in OPEN and today is not None and is_overdue(tip.decision_deadline, today):
        late = -days_left(tip.decision_deadline, today)
        # English says "1 day", not "1 days"; Vietnamese has one form.
        marks.append(
            t("triage.card.overdue_one") if late == 1 else t("triage.card.overdue", days=late)
        )
    return "".join(marks)


def _card_text(t: Translator, tip: Tip, facts: CardFacts, zone: ZoneInfo) -> str:
    attachments = [item for item in facts.evidence if item.role == "evidence"]
    has_voice = any(item.role == "story" for item in facts.evidence)
    identity = (
        t("tips.card.anonymous")
        if tip.anonymous or not facts.contact
        else t("tips.card.contact", contact=facts.contact)
    )
    evidence = (
        t.plural("tips.card.evidence", len(attachments), count=len(attachments))
        if attachments
        else t("tips.card.evidence_none")
    )
    # The language the tipster chose, so an officer knows how to word a question: not who they are.
    spoken = _LANGUAGE_KEYS.get(tip.language)
    if spoken is not None:
        identity += t("triage.card.speaks", language=t.label(spoken))
    return t(
        "tips.card",
        badges=Html(_badges(t, tip, facts.today)),
        code=tip.code,
        category=facts.category.label(t.language) if facts.category else tip.category,
        legal=Html(legal_line(t, tip.legal_type, tip.legal_type_source, to_resident=False)),
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
        when=Html(when_text(t, tip.occurred, tip.occurred_on, tip.occurred_time)),
        received=moment(tip.received_at, zone),
        deadline_label=Html(deadline_label(t, tip, facts.service_days)),
        deadline=day(tip.decision_deadline),
        # Officers' wording: residents' says less (bot.tips.model.STATUS_KEYS).
        status=officer_status_label(t, tip.status),
        triage=Html(_triage_lines(t, tip, facts)),
        evidence=Html(evidence),
        identity=Html(identity),
        story=Html(story_block(t, tip.story, has_voice)),
    )


def evidence_head(t: Translator, tip: Tip, item: Evidence, total: int) -> str:
    """Return the line naming one attachment posted under a card: which tip, which file."""
    if item.role == "story":
        return t("tips.card.story_voice", code=tip.code)
    return t("tips.card.attachment", code=tip.code, index=item.position, total=total)


def evidence_caption(t: Translator, tip: Tip, item: Evidence, total: int) -> str:
    """Return the caption of one attachment posted under a card (HTML, escaped), in full.

    It may exceed Telegram's 1024-unit caption limit (the resident's own caption may be 1024
    units); the sender then moves it into a message of its own (`Cards.send_evidence`).
    """
    head = evidence_head(t, tip, item, total)
    if item.caption:
        return head + "\n" + t("tips.card.attachment_caption", caption=item.caption)
    return head


async def officer_names(
    officers: OfficersService, user_ids: Iterable[int | None]
) -> dict[int, str]:
    """Return officers' display names (their id when none is known)."""
    names: dict[int, str] = {}
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        record = await officers.record(user_id)
        stored = record.display_name if record is not None else ""
        names[user_id] = officers.name_of(user_id, stored) or str(user_id)
    return names


def _chat_level(error: TelegramError) -> bool:
    if isinstance(error, Forbidden):
        return True
    return isinstance(error, BadRequest) and "chat not found" in error.message.lower()


def clean_evidence(data: bytes) -> tuple[bytes, str] | None:
    """Return a file without its metadata and its extension, or None; decided by its bytes.

    Blocking: run it in a thread. Images first (Pillow recognises them by their content), then
    video and audio containers (ffmpeg). None: neither, or cleaning failed.
    """
    image = strip_metadata(data)
    if image is not None:
        return image
    return strip_media_metadata(data)


class Cards:
    """Post, redraw and show tips' cards; evidence goes out through the outbox's plain bot."""

    def __init__(
        self,
        *,
        bot: Bot,
        settings: Settings,
        keyring: Keyring,
        tips: TipService,
        units: UnitDirectory,
        officers: OfficersService,
        triage: TriageService,
    ) -> None:
        # The outbox's bot (no rate limiter, bot.outbox.deliverer): attachments go out with it.
        self.bot = bot
        self.settings = settings
        self.keyring = keyring
        self.tips = tips
        self.units = units
        self.officers = officers
        self.triage = triage
        # Held while a card is redrawn (`refresh`): two redraws after two quick actions never
        # land in the wrong order.
        self.edits = asyncio.Lock()

    @property
    def t(self) -> Translator:
        """Return the translator of the officers' chats (the default language)."""
        return translator(self.settings.default_language)

    def keyboard(self, t: Translator, tip: Tip) -> InlineKeyboardMarkup | None:
        """Return the card's buttons for the tip's status (None: a closed tip has none)."""
        return card_keyboard(t, self.keyring, tip, self.triage.today())

    async def card_target(self, tip: Tip) -> int | None:
        """Return the chat a tip's card goes to: its unit's (or an ancestor's), else the default."""
        return await self.officers.chat_for(tip.unit_id)

    async def card_facts(self, tip: Tip) -> CardFacts:
        """Gather what a card shows besides the tip row."""
        service = self.tips
        unit_path: str | None = None
        if tip.unit_id is not None:
            chain = await self.units.ancestors(tip.unit_id)
            language = self.settings.default_language
            unit_path = " › ".join(unit.name(language) for unit in chain) or None
        handler: str | None = None
        if tip.assignee_id is not None:
            officers = self.officers
            record = await officers.record(tip.assignee_id)
            stored = record.display_name if record is not None else ""
            handler = officers.name_of(tip.assignee_id, stored) or str(tip.assignee_id)
        transferred_to = tip.transferred_to
        if transferred_to is not None and transferred_to != TRANSFERRED_TO_INVESTIGATION:
            unit = await self.units.by_code(transferred_to)
            if unit is not None:
                transferred_to = unit.name(self.settings.default_language)
        return CardFacts(
            category=await service.category(tip.category),
            unit_path=unit_path,
            evidence=await service.tips.evidence(tip.id),
            contact=service.contact_of(tip),
            handler=handler,
            transferred_to=transferred_to,
            service_days=self.settings.service_target_days,
            today=self.triage.today(),
        )

    async def render_card(self, tip: Tip) -> str:
        """Return a tip's card text as it stands now (triage re-renders it to edit the card)."""
        facts = await self.card_facts(tip)
        return card_text(self.t, tip, facts, self.settings.zone)

    async def send_evidence(
        self, chat_id: int, reply: ReplyParameters, tip: Tip, item: Evidence, total: int
    ) -> None:
        """Post one attachment under a card: by Telegram file id, or cleaned if enabled.

        With EVIDENCE_DOWNLOAD on, every file is downloaded and cleaned by its content
        (`clean_evidence`); one that cannot be cleaned is withheld, never passed on as it came:
        a notice takes its place and names `/file CODE N`, the audited way to open it.

        A caption over Telegram's 1024 units (measured after parsing, as Telegram does) would
        be refused: the file then goes with its head line only, and the whole caption follows
        as a message replying to it, so nothing is cut and nothing fails.
        """
        media: str | InputFile = item.file_id
        if self.settings.evidence_download:
            cleaned = await self._cleaned(item)
            if cleaned is None:
                await self._withhold(chat_id, reply, tip, item, total)
                return
            content, extension = cleaned
            media = InputFile(content, filename=f"{tip.code}-{item.position}.{extension}")
        caption = evidence_caption(self.t, tip, item, total)
        overflow: str | None = None
        if item.kind != "video_note" and not fits(caption, CAPTION_LIMIT):
            overflow, caption = caption, evidence_head(self.t, tip, item, total)
        sent = await self.send_file(chat_id, item, media, caption, reply=reply)
        if overflow is not None:
            under = ReplyParameters(message_id=sent.message_id, allow_sending_without_reply=True)
            await send_text(
                self.bot,
                chat_id,
                overflow,
                reply_parameters=under,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

    async def send_file(
        self,
        chat_id: int,
        item: Evidence,
        media: str | InputFile,
        caption: str,
        *,
        reply: ReplyParameters | None = None,
    ) -> Message:
        """Send one attachment the way it was sent (photo, video, ...): `media` is a file id
        or the cleaned upload; `caption` must fit Telegram's caption limit."""
        common: dict[str, Any] = {"reply_parameters": reply}
        # Telegram's sendVideoNote takes no caption.
        if item.kind != "video_note":
            common.update(caption=caption, parse_mode=ParseMode.HTML)
        if item.kind == "photo":
            return await self.bot.send_photo(chat_id, media, **common)
        if item.kind == "video":
            return await self.bot.send_video(chat_id, media, **common)
        if item.kind == "voice":
            return await self.bot.send_voice(chat_id, media, **common)
        if item.kind == "audio":
            return await self.bot.send_audio(chat_id, media, **common)
        if item.kind == "video_note":
            return await self.bot.send_video_note(chat_id, media, **common)
        return await self.bot.send_document(chat_id, media, **common)

    async def _withhold(
        self, chat_id: int, reply: ReplyParameters, tip: Tip, item: Evidence, total: int
    ) -> None:
        """Post, in the file's place, why it is withheld and how an officer can open it."""
        notice = self.t("tips.card.withheld", code=tip.code, index=item.position, total=total)
        if item.caption:
            notice += "\n" + self.t("tips.card.attachment_caption", caption=item.caption)
        await send_text(
            self.bot,
            chat_id,
            notice,
            reply_parameters=reply,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _cleaned(self, item: Evidence) -> tuple[bytes, str] | None:
        """Download a file and return it cleaned, or None when it cannot be (withhold it)."""
        try:
            file = await self.bot.get_file(item.file_id)
            data = bytes(await file.download_as_bytearray())
        except BadRequest as error:
            # Bots may download only files up to 20 MB: a bigger one cannot be cleaned.
            log.warning("evidence %d could not be downloaded to clean it: %s", item.id, error)
            return None
        # Pillow and ffmpeg take CPU time (and ffmpeg a subprocess): off the event loop.
        cleaned = await asyncio.to_thread(clean_evidence, data)
        if cleaned is None:
            log.warning("evidence %d (%s) could not be cleaned; it is withheld", item.id, item.kind)
        return cleaned

    async def refresh(
        self,
        bot: Bot,
        tip_id: int,
        *,
        pressed: tuple[Message, Translator] | None = None,
        retired: TipCard | None = None,
    ) -> None:
        """Redraw the tip's card, and the pressed message when it is another view of the tip.

        `retired`: a card left behind by a transfer to another chat keeps its text and loses
        its buttons (the receiving chat gets a new card). Telegram's refusals are logged: the
        state is committed either way.
        """
        # Serialised, so the last edit of a card always shows the latest committed state.
        async with self.edits:
            tip = await self.tips.tip(tip_id)
            if tip is None:
                return
            card = await self.tips.card_of(tip_id)
            # (chat, message, language, with buttons)
            targets: list[tuple[int, int, Translator, bool]] = []
            if retired is not None:
                targets.append((retired.chat_id, retired.message_id, self.t, False))
            if card is not None and card != retired:
                targets.append((card.chat_id, card.message_id, self.t, True))
            if pressed is not None:
                message, t = pressed
                if all((message.chat.id, message.message_id) != target[:2] for target in targets):
                    targets.append((message.chat.id, message.message_id, t, True))
            facts = await self.card_facts(tip)
            for chat_id, message_id, t, buttons in targets:
                try:
                    await bot.edit_message_text(
                        card_text(t, tip, facts, self.settings.zone),
                        chat_id=chat_id,
                        message_id=message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=self.keyboard(t, tip) if buttons else None,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                except TelegramError as error:
                    if not is_benign(error):
                        log.warning("could not redraw the card of tip %s: %s", tip.id, error)

    async def show(self, bot: Bot, chat_id: int, officer: Officer, tip: Tip, t: Translator) -> None:
        """Send the full view of a tip: card, history and messages, map pin and files."""
        await self.triage.record_view(officer, tip)
        facts = await self.card_facts(tip)
        # The whole card, untrimmed: the posted card points here for what it had to cut, and
        # send_text splits it over as many messages as it takes.
        head = await send_text(
            bot,
            chat_id,
            card_text(t, tip, facts, self.settings.zone, limit=None),
            reply_markup=self.keyboard(t, tip),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        events = await self.triage.history(tip.id)
        messages = await self.triage.messages(tip.id)
        people: list[int | None] = [message.officer_id for message in messages]
        for event in events:
            for ref in (event.actor_ref, event.note):
                if ref is not None and ref.startswith("officer:") and ref[8:].isdigit():
                    people.append(int(ref[8:]))
        names = await officer_names(self.officers, people)
        units = {unit.code: unit.name(t.language) for unit in await self.units.all()}
        await send_text(
            bot,
            chat_id,
            history_text(t, events, messages, zone=self.settings.zone, names=names, units=units),
        )
        reply = ReplyParameters(message_id=head[0].message_id, allow_sending_without_reply=True)
        if tip.latitude is not None and tip.longitude is not None:
            await bot.send_location(chat_id, tip.latitude, tip.longitude, reply_parameters=reply)
        for item in facts.evidence:
            try:
                await self.send_evidence(chat_id, reply, tip, item, len(facts.evidence))
            except BadRequest as error:
                log.warning("evidence %d could not be re-sent: %s", item.id, error)
                await send_text(
                    bot,
                    chat_id,
                    t(
                        "tips.card.attachment_failed",
                        code=tip.code,
                        index=item.position,
                        total=len(facts.evidence),
                    ),
                )

    async def deliver(self, deliverer: OutboxDeliverer, row: OutboxRow) -> None:
        """Post a tip's card, then its map pin and attachments as replies to it (`tip_card`)."""
        payload = dict(row.payload)
        tip = await self.tips.tip(int(payload["tip_id"]))
        if tip is None:
            log.warning("outbox row %d points at a tip that no longer exists", row.id)
            return
        card = payload.get("card")
        if card is None:
            target = await self.card_target(tip)
            if target is None:
                raise NoTargetChatError
            try:
                message = await deliverer.bot.send_message(
                    target,
                    await self.render_card(tip),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_markup=self.keyboard(self.t, tip),
                )
            except TelegramError as error:
                if _chat_level(error):
                    raise OfficersChatRefusedError(target) from error
                raise
            deliverer.chat_accepts(target)
            card = [target, message.message_id]
            payload["card"] = card
            async with deliverer.db.transaction() as conn:
                await deliverer.save_progress_in(conn, row, payload, target)
                await self.tips.save_card_in(
                    conn, TipCard(tip.id, target, message.message_id), deliverer.clock.now()
                )
        chat_id, message_id = int(card[0]), int(card[1])
        reply = ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
        try:
            if (
                tip.latitude is not None
                and tip.longitude is not None
                and not payload.get("location")
            ):
                await deliverer.bot.send_location(
                    chat_id, tip.latitude, tip.longitude, reply_parameters=reply
                )
                payload["location"] = True
                await deliverer.save_progress(row, payload, chat_id)
            evidence = await self.tips.evidence_of(tip.id)
            done = int(payload.get("evidence", 0))
            for item in evidence[done:]:
                try:
                    await self.send_evidence(chat_id, reply, tip, item, len(evidence))
                except BadRequest as error:
                    if _chat_level(error):
                        raise
                    # This file cannot be sent (e.g. a file id Telegram no longer knows): say so
                    # under the card rather than retrying it for ever.
                    log.error("evidence %d of a tip cannot be posted: %s", item.id, error)
                    await deliverer.bot.send_message(
                        chat_id,
                        self.t(
                            "tips.card.attachment_failed",
                            code=tip.code,
                            index=item.position,
                            total=len(evidence),
                        ),
                        parse_mode=ParseMode.HTML,
                        reply_parameters=reply,
                    )
                payload["evidence"] = item.position
                await deliverer.save_progress(row, payload, chat_id)
        except TelegramError as error:
            if _chat_level(error):
                raise OfficersChatRefusedError(chat_id) from error
            raise
