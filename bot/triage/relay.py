"""Outbox deliveries of triage: questions to tipsters, their answers, status notices.

A tipster is reached only through `TipService.reporter_chat(tip)`, unsealed at the moment of
sending and never stored. Everything sent to a tipster is `protect_content` (no forwarding, no
saving). A tipster who blocked the bot makes the row undeliverable at once (no retries for ever,
and not a dead letter: there is nothing for an administrator to fix) and, for a question, the
officer who asked is told; any other permanent refusal ends in a dead letter
(bot/outbox/deliverer.py).
Officers' chats read answers under the tip's card, with the answer's text and nothing about who
wrote it; an officers' chat that refuses them makes them wait, like cards.

Links in questions. A tipster who opens a link shows their IP address to whoever runs the site,
and a t.me link or an @username leads them to an account that learns theirs. The question goes
as text (escaped, so it carries no markup of the officer's own) with previews off, but that is
not enough: Telegram itself turns addresses in any text into tappable links, and the Bot API has
no parameter against it. So `defang` breaks what Telegram's parser (TDLib's `find_entities`)
would recognise, the way security reports write links: `example[.]com`, `https[:]//`, `[@]name`.
Visible brackets rather than an invisible zero-width character: the tipster sees that the
address was broken on purpose, copying it does not give a working link, and TDLib accepts some
zero-width characters inside a domain. It breaks more than Telegram links (a dot before any
letter, as in "TP.HCM"; TDLib links a bare domain only with a known top-level domain): the list
of those grows, the rule does not have to. The text stored and shown to officers is as typed;
the officer is warned (`link_warning`), and every question tells the tipster not to open links.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Final, Protocol

from telegram import LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import Language, Translator, translator
from bot.officers.service import OfficersService
from bot.outbox.deliverer import (
    Delivery,
    NoTargetChatError,
    OfficersChatRefusedError,
    OutboxDeliverer,
    UndeliverableError,
)
from bot.outbox.repository import OutboxRow
from bot.tips.render import status_label as resident_status_label
from bot.tips.service import TipService
from bot.triage.card import Cards
from bot.triage.model import OUTBOX_QUESTION, OUTBOX_REPLY, OUTBOX_STATUS, RelayMessage
from bot.triage.render import answer_text, question_text, reply_keyboard
from bot.triage.service import TriageService

log = logging.getLogger(__name__)

# Invisible characters that must not hide a dot or a scheme from `defang` (soft hyphen, zero
# widths, joiners, direction marks and isolates, the byte-order mark).
_INVISIBLE: Final = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
# Full stops that IDNA (RFC 3490) reads as the dot between labels: a client that follows it
# would open "example。com" as example.com.
_DOTS: Final = ".\u3002\uff0e\uff61"
# A dot that joins a name to a label starting with a letter: every domain's last dot is one
# (top-level domains begin with a letter), and e-mail addresses have a domain. A dot before a
# digit ("3.5", "1.000.000 đồng") is left alone unless it is part of an IPv4 address.
_DOMAIN_DOT: Final = re.compile(rf"(?<=[\w~-])[{_INVISIBLE}]*[{_DOTS}][{_INVISIBLE}]*(?=[^\W\d_])")
_IPV4: Final = re.compile(rf"(?<![\w{_DOTS}])\d{{1,3}}(?:[{_DOTS}]\d{{1,3}}){{3}}(?![\w])")
_ANY_DOT: Final = re.compile(rf"[{_DOTS}]")
# "https://", "tg://", "ton://": a scheme opens whatever follows (tg:// needs no dot at all).
_SCHEME: Final = re.compile(rf"(?<=[A-Za-z0-9])[{_INVISIBLE}]*:[{_INVISIBLE}]*(?=//)")
# A mention (@name) links to an account.
_MENTION: Final = re.compile(r"[@\uff20](?=[A-Za-z0-9_])")


def defang(text: str) -> str:
    """Return plain `text` with everything Telegram would make tappable broken, visibly."""
    broken = _IPV4.sub(lambda match: _ANY_DOT.sub("[.]", match.group(0)), text)
    broken = _DOMAIN_DOT.sub("[.]", broken)
    broken = _SCHEME.sub("[:]", broken)
    return _MENTION.sub("[@]", broken)


def link_warning(t: Translator, question: str) -> str:
    """Return the warning for an officer whose question holds something like a link, or ""."""
    return "" if defang(question) == question else "\n\n" + t("triage.ask.link_warning")


class RelayNeeds(Protocol):
    """What triage's deliveries use of the services."""

    @property
    def settings(self) -> Settings: ...
    @property
    def keyring(self) -> Keyring: ...
    @property
    def tips(self) -> TipService: ...
    @property
    def officers(self) -> OfficersService: ...
    @property
    def triage(self) -> TriageService: ...
    @property
    def cards(self) -> Cards: ...

    async def language_of(self, user_id: int | None) -> Language:
        """Return a person's language (the default for None)."""
        ...


def _unreachable(error: TelegramError) -> bool:
    """Say whether a resident's chat refuses the bot for good (blocked, deleted, unknown)."""
    if isinstance(error, Forbidden):
        return True
    return isinstance(error, BadRequest) and "chat not found" in error.message.lower()


async def _tipster_translator(services: RelayNeeds, chat_id: int) -> Translator:
    """Return the translator of the language a tipster chose last, not the one of their tip.

    A tipster's chat is private, and a private chat's id is its person's id; the language is
    looked up by the keyed pseudonym of that id, which is never stored here.
    """
    return translator(await services.language_of(chat_id))


async def _pending_message(services: RelayNeeds, row: OutboxRow) -> RelayMessage | None:
    """Return the message an outbox row carries, or None once it is settled (or gone)."""
    message = await services.triage.message(int(row.payload["message_id"]))
    if message is None or message.state != "pending":
        return None
    return message


async def deliver_question(
    services: RelayNeeds, deliverer: OutboxDeliverer, row: OutboxRow
) -> None:
    """Send an officer's question to the tipster, with a "Reply" button."""
    triage = services.triage
    message = await _pending_message(services, row)
    if message is None:
        return
    tip = await services.tips.tip(message.tip_id)
    chat_id = None if tip is None else services.tips.reporter_chat(tip)
    if tip is None or chat_id is None:
        await _question_failed(services, deliverer, message.id)
        raise UndeliverableError("the link to the tipster is lost")
    t = await _tipster_translator(services, chat_id)
    officer_name = None
    if services.settings.relay_show_officer_name and message.officer_id is not None:
        record = await services.officers.record(message.officer_id)
        officer_name = services.officers.name_of(
            message.officer_id, record.display_name if record else ""
        )
    try:
        await deliverer.bot.send_message(
            chat_id,
            question_text(t, tip, defang(message.body), officer_name or None),
            parse_mode=ParseMode.HTML,
            protect_content=True,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=reply_keyboard(t, services.keyring, message.id),
        )
    except TelegramError as error:
        if _unreachable(error):
            await _question_failed(services, deliverer, message.id)
            raise UndeliverableError(str(error)) from error
        raise
    await triage.settle(message, "delivered")


async def _question_failed(
    services: RelayNeeds, deliverer: OutboxDeliverer, message_id: int
) -> None:
    """Record that a question cannot reach its tipster and tell the officer who asked."""
    message = await services.triage.message(message_id)
    if message is None or not await services.triage.settle(message, "undeliverable"):
        return
    tip = await services.tips.tip(message.tip_id)
    if message.officer_id is None or tip is None:
        return
    t = translator(await services.language_of(message.officer_id))
    try:
        await deliverer.bot.send_message(
            message.officer_id,
            t("triage.ask.undeliverable", code=tip.code),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as error:
        log.warning("could not tell an officer their question failed: %s", error)


async def deliver_answer(services: RelayNeeds, deliverer: OutboxDeliverer, row: OutboxRow) -> None:
    """Post a tipster's answer in the officers' chat, under the tip's card."""
    triage = services.triage
    message = await _pending_message(services, row)
    if message is None:
        return
    tip = await services.tips.tip(message.tip_id)
    if tip is None:
        return
    question = None if message.reply_to is None else await triage.message(message.reply_to)
    card = await services.tips.card_of(tip.id)
    reply: ReplyParameters | None = None
    if card is not None:
        chat_id: int | None = card.chat_id
        reply = ReplyParameters(message_id=card.message_id, allow_sending_without_reply=True)
    else:
        chat_id = await services.cards.card_target(tip)
    if chat_id is None:
        raise NoTargetChatError
    try:
        posted = await deliverer.bot.send_message(
            chat_id,
            answer_text(deliverer.t, tip, message.body, question),
            parse_mode=ParseMode.HTML,
            reply_parameters=reply,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        found = None
        if message.evidence_id is not None:
            found = await services.tips.evidence_item(tip.id, message.evidence_id)
        if found is not None:
            # The answer's file goes the way evidence does: cleaned, or withheld (card.py).
            under = ReplyParameters(message_id=posted.message_id, allow_sending_without_reply=True)
            await services.cards.send_evidence(chat_id, under, tip, found[0], found[1])
    except TelegramError as error:
        # The officers' chat refusing is a configuration to fix: the answer waits, like a card.
        if _unreachable(error):
            raise OfficersChatRefusedError(chat_id) from error
        raise
    deliverer.chat_accepts(chat_id)
    await triage.settle(message, "delivered")


async def deliver_status(services: RelayNeeds, deliverer: OutboxDeliverer, row: OutboxRow) -> None:
    """Tell a tipster their tip reached a status (in their wording and language)."""
    tip = await services.tips.tip(int(row.payload["tip_id"]))
    if tip is None:
        return
    chat_id = services.tips.reporter_chat(tip)
    if chat_id is None:
        raise UndeliverableError("the link to the tipster is lost")
    t = await _tipster_translator(services, chat_id)
    status = str(row.payload.get("status", tip.status))
    try:
        await deliverer.bot.send_message(
            chat_id,
            t("triage.notice", code=tip.code, status=resident_status_label(t, status)),
            parse_mode=ParseMode.HTML,
            protect_content=True,
        )
    except TelegramError as error:
        if _unreachable(error):
            raise UndeliverableError(str(error)) from error
        raise


def deliveries(services: RelayNeeds) -> dict[str, Delivery]:
    """Return the kinds of rows triage queues and their deliveries (for the outbox)."""
    return {
        OUTBOX_QUESTION: partial(deliver_question, services),
        OUTBOX_REPLY: partial(deliver_answer, services),
        OUTBOX_STATUS: partial(deliver_status, services),
    }
