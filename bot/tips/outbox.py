"""Delivering the outbox to officers' chats, with retries, so no tip is lost or delays a receipt.

A submission commits an outbox row in the same transaction as the tip; this module turns rows
into Telegram messages later: from a repeating job, and at once after each commit.

Why a second, plain `Bot`: the application's bot goes through `AIORateLimiter`, which answers a
429 by *pausing every request of the bot* for `retry_after` seconds. A flood wait in the
officers' chat would then hold back residents' receipts. The outbox bot shares the same HTTP
connection pool but has no rate limiter; it honours `retry_after` itself by postponing the
outbox, and sends at most `BATCH` rows a run.

Exactly once: a card is several messages (text, map pin, attachments). Each part that went out
is recorded on the row at once, so a retry after a failure sends only what is missing.

An end for every delivery (bot/ptb/delivery_errors.py tells the two kinds of failure apart):
- transient (429, 5xx, timeouts, network errors): retried with backoff for ever, so an officers'
  chat that is down delays tips and never loses one;
- permanent (a 400 other than "message is not modified", a 403 from a chat that is neither an
  officers' chat nor a resident's, a bug or bad data in the row): tried
  OUTBOX_MAX_PERMANENT_FAILURES times, then the row becomes a dead letter (kept with its
  payload, error, attempts and time of death) and, in the same transaction, one alert to the
  administrators is queued (bot/alerts.py), except for a dead alert, which would only loop. An
  admin puts a dead letter back with /deadletters retry ID;
- an officers' chat that refuses the bot (`OfficersChatRefusedError`): a configuration to fix,
  so the row keeps being retried with capped backoff and the admins are told once per chat;
- given up at once (`UndeliverableError`): a resident who blocked the bot; nothing to fix.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.alerts import ADMIN_ALERT, deliver_admin_alert, enqueue_admin_alert
from bot.inbox.turns import detached
from bot.kernel.i18n import N_, Translator, translator
from bot.kernel.telegram_text import CAPTION_LIMIT, fits
from bot.officers.chats import officer_chat_for
from bot.ptb.context import BotContext
from bot.ptb.delivery_errors import PermanentDeliveryError, is_not_modified, is_permanent
from bot.ptb.messaging import send_text
from bot.tips.exif import strip_metadata
from bot.tips.media import strip_media_metadata
from bot.tips.model import TRANSFERRED_TO_INVESTIGATION, Evidence, Tip, TipCard
from bot.tips.render import CardFacts, card_text, evidence_caption, evidence_head
from bot.tips.repository import OutboxRow
from bot.tips.service import OUTBOX_TIP_CARD

if TYPE_CHECKING:
    from bot.ptb.application import TipsApplication
    from bot.services import Services

log = logging.getLogger(__name__)

# Rows handled per run; Telegram allows about 20 messages a minute into one group.
BATCH = 10
MIN_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=10)
NO_CHAT_RECHECK = timedelta(minutes=1)
JOB_NAME = "tips.outbox"

Delivery = Callable[["OutboxDeliverer", OutboxRow], Awaitable[None]]
# The inline keyboard of a tip's card (bot.triage adds its buttons); None: no buttons.
CardKeyboard = Callable[[Tip], InlineKeyboardMarkup | None]


class NoTargetChatError(Exception):
    """Neither the tip's unit nor OFFICER_CHAT_ID names a chat: the row waits."""


class OfficersChatRefusedError(Exception):
    """An officers' chat itself refused (bot blocked or removed, chat not found).

    Permanent for Telegram, but not a dead letter: the fault is the configuration
    (OFFICER_CHAT_ID, the unit's chat, the bot's membership), not the row, and a tip must never
    wait on a person retrying it. So the card (or answer) stays in the queue with capped backoff
    and goes out by itself once the chat is fixed; its refusals are counted, and when one row
    reaches OUTBOX_MAX_PERMANENT_FAILURES the administrators are told, once per chat until that
    chat accepts a message again (once more after a restart at worst).
    """

    def __init__(self, chat_id: int) -> None:
        super().__init__(chat_id)
        self.chat_id = chat_id


class UndeliverableError(Exception):
    """A delivery to a resident that can never succeed (they blocked the bot): give it up.

    Relays and status notices raise it; card deliveries never do, because an officers' chat
    that refuses messages is a configuration to fix, not a reason to lose a tip.
    """


def retry_delay(attempts: int) -> timedelta:
    """Return the wait before attempt `attempts + 1`: 5 s doubling up to 10 minutes."""
    # The exponent is capped first: after a long outage 2**attempts would overflow timedelta.
    seconds = MIN_RETRY.total_seconds() * 2 ** min(max(0, attempts - 1), 20)
    return min(timedelta(seconds=seconds), MAX_RETRY)


def _retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; either form is handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def _chat_level(error: TelegramError) -> bool:
    if isinstance(error, Forbidden):
        return True
    return isinstance(error, BadRequest) and "chat not found" in error.message.lower()


class OutboxDeliverer:
    """Send due outbox rows; one run at a time, a run asked for meanwhile runs right after."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False
        self._warned_no_chat = False
        # Officers' chats the admins were told refuse the bot (see OfficersChatRefusedError).
        self._refusing_chats: set[int] = set()
        self._kinds: dict[str, Delivery] = {
            OUTBOX_TIP_CARD: _deliver_tip_card,
            ADMIN_ALERT: deliver_admin_alert,
        }
        self._card_keyboard: CardKeyboard | None = None

    def register(self, kind: str, delivery: Delivery) -> None:
        """Teach the outbox another kind of row (e.g. a status notice)."""
        self._kinds[kind] = delivery

    def set_card_keyboard(self, keyboard: CardKeyboard) -> None:
        """Give every card posted from now on the buttons `keyboard` makes for its tip."""
        self._card_keyboard = keyboard

    def card_markup(self, tip: Tip) -> InlineKeyboardMarkup | None:
        """Return the buttons of a tip's card as it stands now (None: no buttons)."""
        return None if self._card_keyboard is None else self._card_keyboard(tip)

    @property
    def t(self) -> Translator:
        """Return the translator of the officers' chats (the default language)."""
        return translator(self.services.settings.default_language)

    async def run(self, *, wait: bool = False) -> int:
        """Deliver every due row; return how many were delivered.

        If a run is already going, a job just asks it to go round once more (`wait=False`);
        tests and the shutdown path wait for their turn instead.
        """
        if self._lock.locked() and not wait:
            self._again = True
            return 0
        delivered = 0
        async with self._lock:
            while True:
                self._again = False
                delivered += await self._pass()
                if not self._again:
                    return delivered

    async def _pass(self) -> int:
        outbox = self.services.tips.outbox
        now = self.services.clock.now()
        delivered = 0
        for row in await outbox.due(now, limit=BATCH):
            delivery = self._kinds.get(row.kind)
            if delivery is None:
                log.error("outbox row %d has unknown kind %r", row.id, row.kind)
                await self._refused(row, f"unknown kind {row.kind!r}")
                continue
            try:
                await delivery(self, row)
            except NoTargetChatError:
                if not self._warned_no_chat:
                    log.warning(
                        "OFFICER_CHAT_ID is not set and the tip's unit has no chat: new tips "
                        "wait in the outbox until one is configured"
                    )
                    self._warned_no_chat = True
                # Waiting is not failing (attempts stay), but the row steps aside so rows that
                # do have a chat are not starved behind it.
                await outbox.postpone(row.id, now + NO_CHAT_RECHECK)
                continue
            except UndeliverableError as error:
                log.info("outbox row %d given up: %s", row.id, error)
                await outbox.mark_undeliverable(row.id, self.services.clock.now(), str(error))
                continue
            except RetryAfter as error:
                until = self.services.clock.now() + _retry_after(error)
                log.warning("Telegram asked to wait %s; the outbox pauses", _retry_after(error))
                await self._failed(row, str(error), next_attempt_at=until)
                await outbox.postpone_all(until)
                return delivered
            except OfficersChatRefusedError as refusal:
                cause = refusal.__cause__
                log.error(
                    "the officers' chat %s refuses messages (%s); check OFFICER_CHAT_ID or the "
                    "unit's chat and that the bot is a member there. Retrying with backoff.",
                    refusal.chat_id,
                    cause,
                )
                await self._chat_refused(row, refusal.chat_id, str(cause))
                # The rows behind it most likely go to the same chat: leave them for later.
                return delivered
            except TelegramError as error:
                if is_not_modified(error):
                    # The message already says what this row would make it say.
                    log.info("outbox row %d changed nothing: %s", row.id, error)
                elif is_permanent(error):
                    await self._refused(row, str(error))
                    continue
                else:
                    log.warning("outbox row %d failed (%s); it will be retried", row.id, error)
                    await self._failed(row, str(error))
                    continue
            except PermanentDeliveryError as error:
                log.warning("outbox row %d cannot be delivered: %s", row.id, error)
                await self._refused(row, str(error))
                continue
            except Exception as error:
                # A bug or bad data in one row must not stop the rows behind it, and retrying
                # the same row for ever would not fix it: it counts as a permanent failure.
                log.exception("outbox row %d could not be delivered", row.id)
                await self._refused(row, repr(error))
                continue
            await outbox.mark_delivered(row.id, self.services.clock.now())
            delivered += 1
        return delivered

    async def _failed(
        self, row: OutboxRow, error: str, *, next_attempt_at: datetime | None = None
    ) -> None:
        """Record a transient failure: try again after the backoff, however many times."""
        attempts = row.attempts + 1
        when = next_attempt_at or self.services.clock.now() + retry_delay(attempts)
        await self.services.tips.outbox.mark_failed(
            row.id, attempts=attempts, next_attempt_at=when, error=error
        )

    def chat_accepts(self, chat_id: int) -> None:
        """Note that an officers' chat took a message: a later refusal is news again."""
        self._refusing_chats.discard(chat_id)

    async def _chat_refused(self, row: OutboxRow, chat_id: int, error: str) -> None:
        """Retry a row its officers' chat refused with backoff; tell the admins once per chat."""
        outbox = self.services.tips.outbox
        attempts = row.attempts + 1
        refusals = row.permanent_failures + 1
        now = self.services.clock.now()
        await outbox.mark_refused(
            row.id,
            attempts=attempts,
            permanent_failures=refusals,
            next_attempt_at=now + retry_delay(attempts),
            error=error,
        )
        limit = self.services.settings.outbox_max_permanent_failures
        if refusals < limit or chat_id in self._refusing_chats:
            return
        self._refusing_chats.add(chat_id)
        code = await self.services.tips.tips.code_of(row.payload)
        async with self.services.db.transaction() as conn:
            await enqueue_admin_alert(
                conn,
                outbox,
                N_("alerts.chat_refuses"),
                now,
                chat=chat_id,
                tip=code or "—",
                error=error,
            )
        self._again = True

    async def _refused(self, row: OutboxRow, error: str) -> None:
        """Record a permanent failure; the last one allowed makes the row a dead letter."""
        outbox = self.services.tips.outbox
        attempts = row.attempts + 1
        failures = row.permanent_failures + 1
        now = self.services.clock.now()
        limit = self.services.settings.outbox_max_permanent_failures
        if failures < limit:
            log.warning(
                "outbox row %d refused for good (%s), try %d of %d", row.id, error, failures, limit
            )
            await outbox.mark_refused(
                row.id,
                attempts=attempts,
                permanent_failures=failures,
                next_attempt_at=now + retry_delay(failures),
                error=error,
            )
            return
        # Read before the transaction: nothing is awaited inside it but its own writes.
        code = await self.services.tips.tips.code_of(row.payload)
        async with self.services.db.transaction() as conn:
            died = await outbox.mark_dead_in(
                conn, row.id, now, attempts=attempts, permanent_failures=failures, error=error
            )
            # One alert per death, in the same transaction: never for a row that was already
            # dead, and never for a dead alert (it would alert about itself for ever).
            if died and row.kind != ADMIN_ALERT:
                await enqueue_admin_alert(
                    conn,
                    outbox,
                    N_("alerts.dead_letter"),
                    now,
                    id=row.id,
                    kind=row.kind,
                    tip=code or "—",
                    error=error,
                )
                # Deliver the alert in this run rather than at the next tick.
                self._again = True
        log.error(
            "outbox row %d (%s) is a dead letter after %d permanent failures: %s",
            row.id,
            row.kind,
            failures,
            error,
        )

    async def save_progress(self, row: OutboxRow, payload: dict[str, Any], chat_id: int) -> None:
        """Record the parts of a row already delivered."""
        async with self.services.db.transaction() as conn:
            await self.services.tips.outbox.save_progress_in(
                conn, row.id, payload, target_chat_id=chat_id
            )

    async def card_target(self, tip: Tip) -> int | None:
        """Return the chat a tip's card goes to: its unit's (or an ancestor's), else the default."""
        return await officer_chat_for(self.services, tip.unit_id)

    async def card_facts(self, tip: Tip) -> CardFacts:
        """Gather what a card shows besides the tip row."""
        service = self.services.tips
        unit_path: str | None = None
        if tip.unit_id is not None:
            chain = await self.services.units.ancestors(tip.unit_id)
            language = self.services.settings.default_language
            unit_path = " › ".join(unit.name(language) for unit in chain) or None
        handler: str | None = None
        if tip.assignee_id is not None:
            officers = self.services.officers
            record = await officers.record(tip.assignee_id)
            stored = record.display_name if record is not None else ""
            handler = officers.name_of(tip.assignee_id, stored) or str(tip.assignee_id)
        transferred_to = tip.transferred_to
        if transferred_to is not None and transferred_to != TRANSFERRED_TO_INVESTIGATION:
            unit = await self.services.units.by_code(transferred_to)
            if unit is not None:
                transferred_to = unit.name(self.services.settings.default_language)
        return CardFacts(
            category=await service.category(tip.category),
            unit_path=unit_path,
            evidence=await service.tips.evidence(tip.id),
            contact=service.contact_of(tip),
            handler=handler,
            transferred_to=transferred_to,
        )

    async def render_card(self, tip: Tip) -> str:
        """Return a tip's card text as it stands now (triage re-renders it to edit the card)."""
        facts = await self.card_facts(tip)
        return card_text(self.t, tip, facts, self.services.settings.zone)

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
        if self.services.settings.evidence_download:
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


def clean_evidence(data: bytes) -> tuple[bytes, str] | None:
    """Return a file without its metadata and its extension, or None; decided by its bytes.

    Blocking: run it in a thread. Images first (Pillow recognises them by their content), then
    video and audio containers (ffmpeg). None: neither, or cleaning failed.
    """
    image = strip_metadata(data)
    if image is not None:
        return image
    return strip_media_metadata(data)


async def _deliver_tip_card(deliverer: OutboxDeliverer, row: OutboxRow) -> None:
    """Post a tip's card, then its map pin and attachments as replies to it."""
    services = deliverer.services
    payload = dict(row.payload)
    tip = await services.tips.tips.by_id(int(payload["tip_id"]))
    if tip is None:
        log.warning("outbox row %d points at a tip that no longer exists", row.id)
        return
    card = payload.get("card")
    if card is None:
        target = await deliverer.card_target(tip)
        if target is None:
            raise NoTargetChatError
        try:
            message = await deliverer.bot.send_message(
                target,
                await deliverer.render_card(tip),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=deliverer.card_markup(tip),
            )
        except TelegramError as error:
            if _chat_level(error):
                raise OfficersChatRefusedError(target) from error
            raise
        deliverer.chat_accepts(target)
        card = [target, message.message_id]
        payload["card"] = card
        async with services.db.transaction() as conn:
            await services.tips.outbox.save_progress_in(
                conn, row.id, payload, target_chat_id=target
            )
            await services.tips.tips.save_card_in(
                conn, TipCard(tip.id, target, message.message_id), services.clock.now()
            )
    chat_id, message_id = int(card[0]), int(card[1])
    reply = ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
    try:
        if tip.latitude is not None and tip.longitude is not None and not payload.get("location"):
            await deliverer.bot.send_location(
                chat_id, tip.latitude, tip.longitude, reply_parameters=reply
            )
            payload["location"] = True
            await deliverer.save_progress(row, payload, chat_id)
        evidence = await services.tips.tips.evidence(tip.id)
        done = int(payload.get("evidence", 0))
        for item in evidence[done:]:
            try:
                await deliverer.send_evidence(chat_id, reply, tip, item, len(evidence))
            except BadRequest as error:
                if _chat_level(error):
                    raise
                # This file cannot be sent (e.g. a file id Telegram no longer knows): say so
                # under the card rather than retrying it for ever.
                log.error("evidence %d of a tip cannot be posted: %s", item.id, error)
                await deliverer.bot.send_message(
                    chat_id,
                    deliverer.t(
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


def deliverer_of(application: TipsApplication[Services]) -> OutboxDeliverer:
    """Return the application's outbox deliverer, made on first use."""
    service = application.services.tips
    if service.deliverer is None:
        settings = application.services.settings
        request = application.bot.request
        plain = Bot(
            token=settings.token(),
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.telegram_api_file_url,
            request=request,
            get_updates_request=request,
        )
        service.deliverer = OutboxDeliverer(application.services, plain)
    return service.deliverer


def _application(context: BotContext[Services]) -> TipsApplication[Services]:
    from bot.ptb.application import TipsApplication

    application = context.application
    if not isinstance(application, TipsApplication):
        raise TypeError("the outbox runs inside a TipsApplication")
    return application


async def outbox_job(context: BotContext[Services]) -> None:
    """Deliver the due outbox rows (a JobQueue callback)."""
    await deliverer_of(_application(context)).run()


def kick_outbox(context: BotContext[Services]) -> None:
    """Ask for a delivery run right away (after a commit); the resident does not wait for it."""
    job_queue = _application(context).job_queue
    if job_queue is not None:
        # Detached from the update being handled: the delivery's own writes are not the
        # update's (an update handled again must not roll them back; bot.inbox.turns).
        detached(partial(job_queue.run_once, outbox_job, 0, name=f"{JOB_NAME}.now"))
