"""The officers' card as triage redraws it, the full view of a tip, and triage's start-up.

`refresh_card`, `show_tip` and `register` stay together: all three reach into the outbox's
deliverer for the card's facts, keyboard and evidence, and belong with the card itself.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.kernel.i18n import Translator
from bot.officers.access import Officer
from bot.ptb.application import TipsApplication
from bot.ptb.errors import is_benign
from bot.ptb.messaging import send_text
from bot.tips.model import Tip, TipCard
from bot.tips.outbox import deliverer_of, kick_outbox
from bot.tips.render import card_text
from bot.triage.handlers.common import officer_names
from bot.triage.handlers.digest import DIGEST_JOB, digest_job
from bot.triage.needs import Context
from bot.triage.relay import register_deliveries
from bot.triage.render import card_keyboard, history_text
from bot.triage.service import Change

log = logging.getLogger(__name__)


async def refresh_card(
    context: Context,
    tip_id: int,
    *,
    pressed: tuple[Message, Translator] | None = None,
    retired: TipCard | None = None,
) -> None:
    """Redraw the tip's card, and the pressed message when it is another view of the tip.

    `retired`: a card left behind by a transfer to another chat keeps its text and loses its
    buttons (the receiving chat gets a new card). Telegram's refusals are logged: the state is
    committed either way.
    """
    services = context.services
    application = context.application
    if not isinstance(application, TipsApplication):
        return
    deliverer = deliverer_of(application)
    # Serialised, so the last edit of a card always shows the latest committed state.
    async with services.triage.card_edits:
        tip = await services.tips.tips.by_id(tip_id)
        if tip is None:
            return
        card = await services.tips.tips.card(tip_id)
        # (chat, message, language, with buttons)
        targets: list[tuple[int, int, Translator, bool]] = []
        if retired is not None:
            targets.append((retired.chat_id, retired.message_id, deliverer.t, False))
        if card is not None and card != retired:
            targets.append((card.chat_id, card.message_id, deliverer.t, True))
        if pressed is not None:
            message, t = pressed
            if all((message.chat.id, message.message_id) != target[:2] for target in targets):
                targets.append((message.chat.id, message.message_id, t, True))
        facts = await deliverer.card_facts(tip)
        for chat_id, message_id, t, buttons in targets:
            try:
                await context.bot.edit_message_text(
                    card_text(t, tip, facts, services.settings.zone),
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=card_keyboard(t, services.keyring, tip) if buttons else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except TelegramError as error:
                if not is_benign(error):
                    log.warning("could not redraw the card of tip %s: %s", tip.id, error)


async def after_change(
    context: Context, change: Change, *, pressed: tuple[Message, Translator] | None = None
) -> None:
    """Redraw after a change; a card that moved loses its buttons and is posted anew."""
    await refresh_card(context, change.after.id, pressed=pressed, retired=change.moved_from)
    kick_outbox(context)


async def show_tip(
    context: Context, chat_id: int, officer: Officer, tip: Tip, t: Translator
) -> None:
    """Send the full view of a tip: card, history and messages, map pin and files."""
    services = context.services
    application = context.application
    if not isinstance(application, TipsApplication):
        return
    deliverer = deliverer_of(application)
    await services.triage.record_view(officer, tip)
    facts = await deliverer.card_facts(tip)
    # The whole card, untrimmed: the posted card points here for what it had to cut, and
    # send_text splits it over as many messages as it takes.
    head = await send_text(
        context.bot,
        chat_id,
        card_text(t, tip, facts, services.settings.zone, limit=None),
        reply_markup=card_keyboard(t, services.keyring, tip),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    events = await services.triage.history(tip.id)
    messages = await services.triage.messages(tip.id)
    people: list[int | None] = [message.officer_id for message in messages]
    for event in events:
        for ref in (event.actor_ref, event.note):
            if ref is not None and ref.startswith("officer:") and ref[8:].isdigit():
                people.append(int(ref[8:]))
    names = await officer_names(services, people)
    units = {unit.code: unit.name(t.language) for unit in await services.units.all()}
    await send_text(
        context.bot,
        chat_id,
        history_text(t, events, messages, zone=services.settings.zone, names=names, units=units),
    )
    reply = ReplyParameters(message_id=head[0].message_id, allow_sending_without_reply=True)
    if tip.latitude is not None and tip.longitude is not None:
        await context.bot.send_location(
            chat_id, tip.latitude, tip.longitude, reply_parameters=reply
        )
    for item in facts.evidence:
        try:
            await deliverer.send_evidence(chat_id, reply, tip, item, len(facts.evidence))
        except BadRequest as error:
            log.warning("evidence %d could not be re-sent: %s", item.id, error)
            await send_text(
                context.bot,
                chat_id,
                t(
                    "tips.card.attachment_failed",
                    code=tip.code,
                    index=item.position,
                    total=len(facts.evidence),
                ),
            )


def register(application: TipsApplication[Any]) -> None:
    """Teach the outbox triage's deliveries, give cards their buttons, schedule the digest."""
    deliverer = deliverer_of(application)
    register_deliveries(deliverer)
    keyring = application.services.keyring
    deliverer.set_card_keyboard(lambda tip: card_keyboard(deliverer.t, keyring, tip))
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("triage needs python-telegram-bot's job-queue extra")
    queue.run_daily(digest_job, time=application.services.settings.digest_at, name=DIGEST_JOB)
