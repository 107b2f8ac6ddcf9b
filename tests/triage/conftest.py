"""A bot with units, staff, an officers' chat, and tips planted in any state, fast.

Tips are written the way a submission writes them (sealed chat, first event, card in the
outbox) without walking the conversation, which tests/tips covers; one test here walks it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import Clock
from bot.testing.botapi import SentMessage
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.codes import new_code
from bot.tips.model import LegalType, Occurred, Tip
from bot.tips.repository import NewTip
from bot.tips.service import OUTBOX_TIP_CARD
from bot.triage.render import action_data
from tests.officers.conftest import ADMIN, add_staff
from tests.tips.flow import OFFICERS, deliver, tips_settings

# A tipster whose every identity value is distinctive, so a leak is unmistakable.
TIPSTER = Person(
    id=7391846205,
    first_name="Quỳnhchi",
    last_name="Zelinskaya",
    username="zz_tipster_alpha",
    phone="+84987654321",
)
ENGLISH_TIPSTER = Person(
    id=6018273645,
    first_name="Thạchsanh",
    last_name="Xuyenkhung",
    username="qq_whisper_beta",
    language_code="en",
)
STALE = "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."
UNKNOWN_COMMAND = "không có"


def desk_settings(database_path: Path, **overrides: Any) -> Any:
    """Return settings with an officers' chat and ADMIN as the ADMIN_USER_IDS admin."""
    values: dict[str, Any] = {"admin_user_ids": (ADMIN.id,)}
    values.update(overrides)
    return tips_settings(database_path, **values)


async def open_desk(
    database_path: Path, *, clock: Clock | None = None, **overrides: Any
) -> BotHarness:
    """Start a bot with the sample units and staff."""
    harness = BotHarness(desk_settings(database_path, **overrides), clock=clock)
    await harness.start()
    await add_staff(harness)
    return harness


@pytest.fixture
async def desk(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot with units, staff and an officers' chat."""
    harness = await open_desk(database_path)
    yield harness
    await harness.stop()


async def plant(
    harness: BotHarness,
    reporter: Person = TIPSTER,
    *,
    unit: str | None = "KG-RG-VT",
    status: str = "received",
    language: str = "vi",
    story: str = "Có người bán ma túy ở đầu hẻm 12 mỗi tối, khoảng 9 giờ.",
    received_at: datetime | None = None,
    category: str = "drugs",
    legal_type: LegalType = "to_giac",
    occurred: Occurred = "unknown",
) -> Tip:
    """Write a tip as a submission would (card queued), optionally already in `status`."""
    services = harness.app.services
    tips = services.tips
    pseudonym = tips.pseudonym(reporter.id)
    now = received_at or services.clock.now()
    unit_row = None if unit is None else await services.units.by_code(unit)
    new = NewTip(
        code=new_code(),
        submission_key=secrets.token_urlsafe(9),
        category=category,
        legal_type=legal_type,
        legal_type_source="category",
        story=story,
        place_kind="unit" if unit_row else "unknown",
        place_text=None,
        latitude=None,
        longitude=None,
        unit_id=None if unit_row is None else unit_row.id,
        occurred=occurred,
        occurred_on=None if occurred == "unknown" else now.date().isoformat(),
        anonymous=True,
        reporter_pseudonym=pseudonym,
        reporter_chat_sealed=tips.seal_chat(reporter.id, pseudonym),
        contact_sealed=None,
        language="en" if language == "en" else "vi",
        received_at=now,
        decision_deadline=tips.decision_deadline(now, legal_type),
    )
    async with services.db.transaction() as conn:
        tip_id = await tips.tips.insert_in(conn, new)
        await tips.tips.add_event_in(
            conn, tip_id, at=now, actor_kind="resident", event="received", to_status="received"
        )
        await tips.outbox.enqueue_in(conn, OUTBOX_TIP_CARD, {"tip_id": tip_id}, now)
        if status != "received":
            await conn.execute("UPDATE tips SET status = ? WHERE id = ?", (status, tip_id))
    tip = await tips.tips.by_id(tip_id)
    assert tip is not None
    return tip


async def fresh(harness: BotHarness, tip: Tip) -> Tip:
    """Return the tip as stored now."""
    found = await harness.app.services.tips.tips.by_id(tip.id)
    assert found is not None
    return found


async def card(harness: BotHarness, tip: Tip) -> SentMessage:
    """Deliver the outbox and return the tip's card in its officers' chat, as it is now."""
    await deliver(harness)
    stored = await harness.app.services.tips.tips.card(tip.id)
    assert stored is not None, "the card was posted"
    return harness.api.message(stored.chat_id, stored.message_id)


async def press(
    harness: BotHarness, person: Person, message: SentMessage, label: str
) -> SentMessage:
    """Press the button with `label` on a message (as it is now) and return the message after."""
    current = harness.api.message(message.chat_id, message.message_id)
    data = current.button_data(label)
    await harness.send(harness.updates.callback(person, current, data, chat_id=message.chat_id))
    return harness.api.message(message.chat_id, message.message_id)


async def press_data(
    harness: BotHarness, person: Person, message: SentMessage, data: str
) -> dict[str, Any]:
    """Press arbitrary callback data on a message; return the answerCallbackQuery parameters."""
    before = len(harness.api.calls_for("answerCallbackQuery"))
    await harness.send(harness.updates.callback(person, message, data, chat_id=message.chat_id))
    answers = harness.api.calls_for("answerCallbackQuery")[before:]
    assert len(answers) == 1, answers
    return answers[0].params


def signed(harness: BotHarness, verb: str, tip: Tip, argument: str = "") -> str:
    """Return genuine callback data for an action on a tip."""
    return action_data(harness.app.services.keyring, verb, tip.id, argument)


def alert(harness: BotHarness) -> str:
    """Return the text of the latest answer to a button press."""
    return str(harness.api.calls_for("answerCallbackQuery")[-1].params.get("text") or "")


async def events(harness: BotHarness, tip: Tip) -> list[dict[str, Any]]:
    """Return a tip's history rows."""
    rows = await harness.app.services.db.fetch_all(
        "SELECT at, actor_kind, actor_ref, event, from_status, to_status, note "
        "FROM tip_events WHERE tip_id = ? ORDER BY id",
        (tip.id,),
    )
    return [dict(row) for row in rows]


async def audit_rows(harness: BotHarness, action: str | None = None) -> list[dict[str, Any]]:
    """Return audit rows, oldest first (optionally of one action)."""
    rows = await harness.app.services.db.fetch_all(
        "SELECT id, actor, action, target, details FROM audit_log "
        "WHERE ? IS NULL OR action = ? ORDER BY id",
        (action, action),
    )
    return [dict(row) for row in rows]


__all__ = ["OFFICERS", "deliver"]
