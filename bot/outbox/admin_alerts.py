"""Delivering the administrators' alerts (`admin.alert` rows, queued by bot.outbox.alerts)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.kernel.i18n import Language, translator
from bot.outbox.deliverer import OutboxDeliverer
from bot.outbox.repository import OutboxRow
from bot.ptb.delivery_errors import PermanentDeliveryError, is_permanent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminAlerts:
    """Who reads the admins' alerts and in which language: the delivery of `admin.alert` rows.

    Built by the composition root from the settings and the officers' registry, so the outbox
    knows nobody itself.
    """

    admin_chat_id: int | None
    default_language: Language
    # Every active admin's id (ADMIN_USER_IDS and the registry), as it is when delivered.
    administrators: Callable[[], Awaitable[list[int]]]
    language_of: Callable[[int | None], Awaitable[Language]]

    async def recipients(self) -> list[int]:
        """Return the chats an alert goes to: ADMIN_CHAT_ID, else every active admin's own chat."""
        if self.admin_chat_id is not None:
            return [self.admin_chat_id]
        return await self.administrators()

    async def deliver(self, deliverer: OutboxDeliverer, row: OutboxRow) -> None:
        """Send an alert to each administrator who does not have it yet (an outbox delivery)."""
        payload = dict(row.payload)
        key = str(payload["key"])
        values = dict(payload.get("values", {}))
        # Chats that already have it: a retry after a failure part-way never repeats them.
        done = {int(chat_id) for chat_id in payload.get("done", [])}
        recipients = await self.recipients()
        if not recipients:
            raise PermanentDeliveryError(
                "no administrator to alert: set ADMIN_USER_IDS or ADMIN_CHAT_ID, or add an admin"
            )
        refused: list[str] = []
        for chat_id in recipients:
            if chat_id in done:
                continue
            if chat_id == self.admin_chat_id:
                language = self.default_language
            else:
                language = await self.language_of(chat_id)
            try:
                await deliverer.bot.send_message(
                    chat_id, translator(language)(key, **values), parse_mode=ParseMode.HTML
                )
            except TelegramError as error:
                if not is_permanent(error):
                    raise
                # An admin who never opened a private chat with the bot (or blocked it) must
                # not keep the others from being told; they are tried again only if nobody got
                # it.
                log.warning("an administrator chat refuses alerts: %s", error)
                refused.append(f"{chat_id}: {error}")
                continue
            done.add(chat_id)
            payload["done"] = sorted(done)
            await deliverer.save_progress(row, payload, chat_id)
        if not done:
            raise PermanentDeliveryError("no administrator could be reached: " + "; ".join(refused))
