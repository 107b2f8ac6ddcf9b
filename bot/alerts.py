"""Alerting the administrators: one function any feature calls inside its own transaction.

    async with services.db.transaction() as conn:
        ...  # the change that needs an administrator's attention
        await enqueue_admin_alert(
            conn, services.tips.outbox, N_("alerts.my_feature.stuck"), now, code=code, count=3
        )

The alert is an outbox row of kind `admin.alert`, committed (or rolled back) with the caller's
change, so an alert is never sent for something that did not happen and never lost for something
that did. The outbox delivers it like any other row: retried through outages, and, if Telegram
refuses it for good OUTBOX_MAX_PERMANENT_FAILURES times, kept as a dead letter. A dead alert
raises no alert of its own (no loops); it is still listed by /deadletters and `python -m bot
check`.

Who reads it: ADMIN_CHAT_ID if set (one message in DEFAULT_LANGUAGE; a group of the admins), else
each active admin in their private chat (ADMIN_USER_IDS and the registry's admins, as they are
when it is delivered), each in their own language. The text is the catalog key rendered then,
with `values` HTML-escaped, so the key must exist in every catalog with exactly those
placeholders; `enqueue_admin_alert` checks that at once, in the caller's code path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import aiosqlite
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.kernel.i18n import LANGUAGES, catalog, translator
from bot.ptb.delivery_errors import PermanentDeliveryError, is_permanent

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services
    from bot.tips.outbox import OutboxDeliverer
    from bot.tips.repository import OutboxRepository, OutboxRow

log = logging.getLogger(__name__)

ADMIN_ALERT: Final = "admin.alert"
# An alert is a short notice; a long value (an error text) is cut so the message stays readable.
MAX_VALUE_LENGTH: Final = 300


async def enqueue_admin_alert(
    conn: aiosqlite.Connection,
    outbox: OutboxRepository,
    key: str,
    now: datetime,
    **values: str | int,
) -> None:
    """Queue an alert to the administrators in the caller's open transaction.

    `key` is a catalog key (mark it with `N_` so tests/test_i18n.py checks both languages);
    `values` fill its placeholders. Raises KeyError at once if the key or a placeholder is
    missing in a language, rather than queueing an alert that could never be rendered.
    """
    kept = {
        name: value[:MAX_VALUE_LENGTH] if isinstance(value, str) else value
        for name, value in values.items()
    }
    for language in LANGUAGES:
        if key not in catalog(language):
            raise KeyError(f"alert key {key!r} is missing in the {language} catalog")
        translator(language)(key, **kept)  # a missing placeholder raises KeyError here
    await outbox.enqueue_in(conn, ADMIN_ALERT, {"key": key, "values": kept}, now)


async def alert_recipients(services: Services) -> list[int]:
    """Return the chats an alert goes to: ADMIN_CHAT_ID, else every active admin's own chat."""
    if services.settings.admin_chat_id is not None:
        return [services.settings.admin_chat_id]
    return await services.officers.administrators()


async def deliver_admin_alert(deliverer: OutboxDeliverer, row: OutboxRow) -> None:
    """Send an alert to each administrator who does not have it yet (an outbox delivery)."""
    services = deliverer.services
    payload = dict(row.payload)
    key = str(payload["key"])
    values = dict(payload.get("values", {}))
    # Chats that already have it: a retry after a failure part-way never repeats them.
    done = {int(chat_id) for chat_id in payload.get("done", [])}
    recipients = await alert_recipients(services)
    if not recipients:
        raise PermanentDeliveryError(
            "no administrator to alert: set ADMIN_USER_IDS or ADMIN_CHAT_ID, or add an admin"
        )
    refused: list[str] = []
    for chat_id in recipients:
        if chat_id in done:
            continue
        if chat_id == services.settings.admin_chat_id:
            language = services.settings.default_language
        else:
            language = await services.language_of(chat_id)
        try:
            await deliverer.bot.send_message(
                chat_id, translator(language)(key, **values), parse_mode=ParseMode.HTML
            )
        except TelegramError as error:
            if not is_permanent(error):
                raise
            # An admin who never opened a private chat with the bot (or blocked it) must not
            # keep the others from being told; they are tried again only if nobody got it.
            log.warning("an administrator chat refuses alerts: %s", error)
            refused.append(f"{chat_id}: {error}")
            continue
        done.add(chat_id)
        payload["done"] = sorted(done)
        await deliverer.save_progress(row, payload, chat_id)
    if not done:
        raise PermanentDeliveryError("no administrator could be reached: " + "; ".join(refused))
