"""Delivering the outbox, with retries, so no message is lost or delays a receipt.

A feature commits an outbox row in the same transaction as the change it announces (a tip's
card, a relayed question, an alert); this module turns rows into Telegram messages later: from
a repeating job, and at once after each commit. It knows no feature: each kind of row comes
with its delivery (`kinds`, gathered by the composition root), and a delivery raises the errors
below to say how it failed.

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
  administrators is queued (bot/outbox/alerts.py), except for a dead alert, which would only
  loop. An admin puts a dead letter back with /deadletters retry ID;
- an officers' chat that refuses the bot (`OfficersChatRefusedError`): a configuration to fix,
  so the row keeps being retried with capped backoff and the admins are told once per chat;
- given up at once (`UndeliverableError`): a resident who blocked the bot; nothing to fix.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
from telegram import Bot
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.i18n import N_, Language, Translator, translator
from bot.outbox.alerts import ADMIN_ALERT, enqueue_admin_alert
from bot.outbox.repository import OutboxRepository, OutboxRow
from bot.ptb.delivery_errors import PermanentDeliveryError, is_not_modified, is_permanent

log = logging.getLogger(__name__)

# Rows handled per run; Telegram allows about 20 messages a minute into one group.
BATCH = 10
MIN_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=10)
NO_CHAT_RECHECK = timedelta(minutes=1)

Delivery = Callable[["OutboxDeliverer", OutboxRow], Awaitable[None]]
# What a row's payload is about, named in the admins' alerts (e.g. a tip's code), or None.
Subject = Callable[[dict[str, Any]], Awaitable[str | None]]


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


class OutboxDeliverer:
    """Send due outbox rows; one run at a time, a run asked for meanwhile runs right after."""

    def __init__(
        self,
        bot: Bot,
        repo: OutboxRepository,
        clock: Clock,
        kinds: Mapping[str, Delivery],
        *,
        db: Database,
        max_permanent_failures: int,
        language: Language,
        subject: Subject,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.clock = clock
        self.db = db
        self.max_permanent_failures = max_permanent_failures
        self.language = language
        # What a row is about, for the admins' alerts (a tip's code): the features say.
        self._subject = subject
        self._lock = asyncio.Lock()
        self._again = False
        self._warned_no_chat = False
        # Officers' chats the admins were told refuse the bot (see OfficersChatRefusedError).
        self._refusing_chats: set[int] = set()
        # Every kind of row and how it is delivered, as the composition root gathered them.
        self._kinds: dict[str, Delivery] = dict(kinds)

    @property
    def t(self) -> Translator:
        """Return the translator of the officers' chats (the default language)."""
        return translator(self.language)

    async def job(self, _context: object) -> None:
        """Deliver the due outbox rows (a JobQueue callback)."""
        await self.run()

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
        outbox = self.repo
        now = self.clock.now()
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
                await outbox.mark_undeliverable(row.id, self.clock.now(), str(error))
                continue
            except RetryAfter as error:
                until = self.clock.now() + _retry_after(error)
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
            await outbox.mark_delivered(row.id, self.clock.now())
            delivered += 1
        return delivered

    async def _failed(
        self, row: OutboxRow, error: str, *, next_attempt_at: datetime | None = None
    ) -> None:
        """Record a transient failure: try again after the backoff, however many times."""
        attempts = row.attempts + 1
        when = next_attempt_at or self.clock.now() + retry_delay(attempts)
        await self.repo.mark_failed(row.id, attempts=attempts, next_attempt_at=when, error=error)

    def chat_accepts(self, chat_id: int) -> None:
        """Note that an officers' chat took a message: a later refusal is news again."""
        self._refusing_chats.discard(chat_id)

    async def _chat_refused(self, row: OutboxRow, chat_id: int, error: str) -> None:
        """Retry a row its officers' chat refused with backoff; tell the admins once per chat."""
        outbox = self.repo
        attempts = row.attempts + 1
        refusals = row.permanent_failures + 1
        now = self.clock.now()
        await outbox.mark_refused(
            row.id,
            attempts=attempts,
            permanent_failures=refusals,
            next_attempt_at=now + retry_delay(attempts),
            error=error,
        )
        limit = self.max_permanent_failures
        if refusals < limit or chat_id in self._refusing_chats:
            return
        self._refusing_chats.add(chat_id)
        code = await self._subject(row.payload)
        async with self.db.transaction() as conn:
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
        outbox = self.repo
        attempts = row.attempts + 1
        failures = row.permanent_failures + 1
        now = self.clock.now()
        limit = self.max_permanent_failures
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
        code = await self._subject(row.payload)
        async with self.db.transaction() as conn:
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
        async with self.db.transaction() as conn:
            await self.save_progress_in(conn, row, payload, chat_id)

    async def save_progress_in(
        self, conn: aiosqlite.Connection, row: OutboxRow, payload: dict[str, Any], chat_id: int
    ) -> None:
        """Record the parts of a row already delivered, in the caller's transaction."""
        await self.repo.save_progress_in(conn, row.id, payload, target_chat_id=chat_id)
