"""A tipster adding information to their own open tip, unasked (`/status CODE` → «Bổ sung
thông tin»): it reaches the officers' chat the way an answer does.

An addition is one of the tip's relayed messages from the tipster that replies to no question
(`reply_to` NULL), queued as an answer (`OUTBOX_REPLY`, bot.triage.relay posts it under the
card, its file cleaned like evidence) with a history event of its own. Nothing names the
tipster: the message has no author, the event's actor is "resident". Everything is written in
one transaction, which re-reads the tip: a tip closed meanwhile, or not the presser's, takes
nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import aiosqlite

from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.i18n import N_
from bot.kernel.telegram_text import utf16_length
from bot.tips.model import STORY_MAX_CHARS, Attachment, Tip
from bot.tips.service import TipService
from bot.tips.status import OPEN, as_status
from bot.tips.status_repository import TipStatusRepository
from bot.triage.addition_repository import AdditionWaitsRepository
from bot.triage.errors import TriageError
from bot.triage.model import EVENT_ADDED, OUTBOX_REPLY
from bot.triage.repository import TriageRepository

# A tipster who pressed the button has this long to send the addition (as for an answer).
ADDITION_WAIT: Final = timedelta(minutes=30)
# An addition may be as long as the story it adds to.
ADDITION_MAX_CHARS: Final = STORY_MAX_CHARS


def is_open(tip: Tip) -> bool:
    """Say whether a tip still takes additions (it needs a decision, or is being handled)."""
    known = as_status(tip.status)
    return known is not None and known in OPEN


class Additions:
    """Begin, take and drop a tipster's addition to their own open tip."""

    def __init__(self, *, db: Database, clock: Clock, tips: TipService) -> None:
        self.db = db
        self.clock = clock
        self.tips = tips
        self.messages = TriageRepository(db)
        self.waits = AdditionWaitsRepository(db)
        self.states = TipStatusRepository(db)

    def _since(self) -> datetime:
        return self.clock.now() - ADDITION_WAIT

    async def begin(self, user_id: int, chat_id: int, tip_id: int) -> Tip | None:
        """Note that a tipster is adding to a tip; None when it is not theirs (or not from this
        chat); TriageError when it is closed."""
        tip = await self.tips.tip(tip_id)
        if tip is None or not self.tips.is_reporter_here(tip, user_id, chat_id):
            return None
        if not is_open(tip):
            raise TriageError(N_("tips.addition.closed"), code=tip.code)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            # Waits nobody finished are dropped here, so none lingers past the next one.
            await self.waits.delete_older_in(conn, now - ADDITION_WAIT)
            await self.waits.put_in(conn, self.tips.pseudonym(user_id), tip.id, now)
        return tip

    async def waiting(self, user_id: int) -> bool:
        """Say whether a tipster is sending an addition now (pressed, not too long ago)."""
        return await self.waits.waiting(self.tips.pseudonym(user_id), self._since())

    async def add(
        self, user_id: int, chat_id: int, text: str, attachment: Attachment | None = None
    ) -> Tip | None:
        """Store the addition (text, or a file with its caption) and queue it for the officers'
        chat, in one transaction; None when no addition is awaited (never pressed, too late)."""
        body = _checked(text, attachment)
        now = self.clock.now()
        pseudonym = self.tips.pseudonym(user_id)
        async with self.db.transaction() as conn:
            tip_id = await self.waits.tip_in(conn, pseudonym, self._since())
            tip = None if tip_id is None else await self.states.tip_in(conn, tip_id)
            # The wait goes in every case: after this message nothing more is awaited.
            await self.waits.delete_in(conn, pseudonym)
            mine = tip is not None and self.tips.is_reporter_here(tip, user_id, chat_id)
            if tip is not None and mine and is_open(tip):
                await self._store_in(conn, tip, body, attachment, now)
                return tip
        if tip is not None and mine:
            # Raised after the commit, so the wait is gone: closed meanwhile.
            raise TriageError(N_("tips.addition.closed"), code=tip.code)
        return None

    async def _store_in(
        self,
        conn: aiosqlite.Connection,
        tip: Tip,
        body: str,
        attachment: Attachment | None,
        now: datetime,
    ) -> None:
        """Write the addition, its outbox row and its history event in the caller's transaction."""
        await record_from_tipster(
            conn,
            self.tips,
            self.messages,
            tip,
            body,
            attachment,
            now,
            reply_to=None,
            event=EVENT_ADDED,
        )

    async def stop(self, user_id: int) -> bool:
        """Forget that a tipster is adding information; say whether they were."""
        async with self.db.transaction() as conn:
            return await self.waits.delete_in(conn, self.tips.pseudonym(user_id))


async def record_from_tipster(
    conn: aiosqlite.Connection,
    tips: TipService,
    messages: TriageRepository,
    tip: Tip,
    body: str,
    attachment: Attachment | None,
    now: datetime,
    *,
    reply_to: int | None,
    event: str,
) -> None:
    """Write what a tipster sent (an answer or an addition) in the caller's transaction.

    Its file joins the tip's evidence, the message goes under the card through the outbox, and
    the history records it without naming the tipster (no actor reference).
    """
    evidence_id = None
    if attachment is not None:
        evidence_id = await tips.tips.add_attachment_in(conn, tip.id, attachment)
    message_id = await messages.add_message_in(
        conn,
        tip_id=tip.id,
        direction="from_tipster",
        officer_id=None,
        reply_to=reply_to,
        body=body,
        now=now,
        evidence_id=evidence_id,
    )
    await tips.outbox.enqueue_in(
        conn, OUTBOX_REPLY, {"message_id": message_id, "tip_id": tip.id}, now
    )
    await tips.tips.add_event_in(conn, tip.id, at=now, actor_kind="resident", event=event)


def _checked(text: str, attachment: Attachment | None) -> str:
    cleaned = text.strip()
    if not cleaned:
        if attachment is not None:
            return ""
        raise TriageError(N_("tips.addition.ask"))
    # UTF-16 units, as Telegram counts: the addition is posted inside a message of its own.
    length = utf16_length(cleaned)
    if length > ADDITION_MAX_CHARS:
        raise TriageError(N_("triage.error.too_long"), limit=ADDITION_MAX_CHARS, length=length)
    return cleaned
