"""Buttons cannot be forged: every callback is a resident's own, or guarded and re-checked.

Telegram hands the bot whatever callback data a client sends, so none of it is trusted. Each
kind of button is protected one of three ways (SECURITY.md lists them all):

- scoped to the presser: a resident's tip buttons (`td:`) and language buttons (`lang:`) act
  only on the presser's own draft or settings, looked up by their keyed pseudonym;
- signed with `Keyring.sign` and checked on press: revoking an officer (`off:rm:`, bound to the
  admin), the triage card's actions (`tr:`, `tq:`) and the tipster's "Reply" (`tp:`);
- guarded by role and re-checked against the presser's scope on press: figures and exports.

The table tests below walk every callback handler the application has, so a new button
without a guard fails them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.core.handlers import LANGUAGE_CALLBACK
from bot.officers.access import application_handlers, guard_of
from bot.officers.model import Role
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.conversation import PREFIX as TIP_DRAFT
from tests.officers.conftest import (
    ANALYST,
    OFFICER_GQ,
    OFFICER_RG,
    RESIDENT,
    REVOKED,
    add_staff,
    staffed_settings,
)
from tests.tips.flow import Answers, label, reach_review, receipt_code

STALE = "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."
GROUP = -1009300000001
# Buttons any resident may press: each acts on the presser's own data only (or is signed).
RESIDENT_BUTTONS = {
    f"^{TIP_DRAFT}": "the presser's own tip draft, found by their pseudonym",
    f"^{LANGUAGE_CALLBACK}": "the presser's own language",
    # bot.triage.render.CB_REPLY, the tipster's "Reply" to an officer's question.
    "^tp:": "a signed reply to a question about the presser's own tip",
    # bot.triage.handlers.answer.CB_PICK: which question the presser's own held answer replies to.
    "^tk:": "a signed pick of a question about the presser's own tip",
    # bot.tips.render.CB_ADD: «Bổ sung thông tin» under /status, for the presser's own open tip.
    "^tb:": "a signed addition to the presser's own open tip, from the chat it came from",
    # bot.tips.conversation.offer.CB_OFFER: "start a tip with this?" about the presser's own item.
    "^tm:": "the presser's own held item, found by their pseudonym and the offer's token",
}
PERSONAS: dict[str, tuple[Person, Role | None]] = {
    "resident": (RESIDENT, None),
    "revoked officer": (REVOKED, None),
    "analyst": (ANALYST, "analyst"),
    "officer of another unit": (OFFICER_GQ, "officer"),
}
OTHER = Person(id=5550999, first_name="Khách", username="khach")


@pytest.fixture
async def staffed(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a bot with the Kiên Giang units, its staff and an officers' chat."""
    settings = staffed_settings(database_path, officer_chat_id=GROUP)
    async with BotHarness(settings) as harness:
        await add_staff(harness)
        yield harness


def button_handlers(harness: BotHarness) -> list[CallbackQueryHandler[Any, Any]]:
    return [h for h in application_handlers(harness.app) if isinstance(h, CallbackQueryHandler)]


def pattern_of(handler: CallbackQueryHandler[Any, Any]) -> str | None:
    pattern = handler.pattern
    if pattern is None or isinstance(pattern, str):
        return pattern
    if isinstance(pattern, re.Pattern):
        return str(pattern.pattern)
    raise AssertionError(f"a button handler matches with {pattern!r}; give it a regex prefix")


def unguarded(harness: BotHarness) -> list[str]:
    """Return the patterns of button handlers that are neither guarded nor a resident's own."""
    found = []
    for handler in button_handlers(harness):
        pattern = pattern_of(handler)
        if pattern is None or guard_of(handler) is not None:
            continue  # the catch-all that answers stale buttons, or a guarded one
        if not any(pattern.startswith(prefix) for prefix in RESIDENT_BUTTONS):
            found.append(pattern)
    return found


async def test_every_button_is_a_residents_own_or_guarded(staffed: BotHarness) -> None:
    assert unguarded(staffed) == []
    patterns = [pattern_of(handler) for handler in button_handlers(staffed)]
    assert None in patterns  # the catch-all answers any other button as stale


async def test_the_check_catches_a_new_unguarded_button(staffed: BotHarness) -> None:
    async def leak(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Do something for whoever presses."""

    staffed.app.add_handler(CallbackQueryHandler(leak, pattern="^secret:"))
    assert unguarded(staffed) == ["^secret:"]


def forged_data(pattern: str) -> list[str]:
    """Return callback data that the pattern accepts: the shortest, and one with a tail."""
    shortest: str = find(
        st.from_regex(pattern),
        lambda data: 0 < len(data.encode()) <= 40,
        settings=settings(database=None, max_examples=2000),
    )
    return [shortest, f"{shortest}1:2023:AbCdEfGhIj"[:64]]


async def total_changes(harness: BotHarness) -> int:
    return int(await harness.app.services.db.fetch_value("SELECT total_changes()"))


@pytest.mark.parametrize("persona", PERSONAS)
async def test_guarded_buttons_refuse_without_the_role_and_change_nothing(
    staffed: BotHarness, persona: str
) -> None:
    person, role = PERSONAS[persona]
    bot_user = staffed.api.bot_user
    chats = {
        "private": person.private_chat_dict(),
        "group": {"id": GROUP, "type": "supergroup", "title": "Cán bộ"},
    }
    tried = 0
    for handler in button_handlers(staffed):
        guard = guard_of(handler)
        pattern = pattern_of(handler)
        if guard is None or pattern is None or role in guard.roles:
            continue
        for data in forged_data(pattern):
            for chat in chats.values():
                message = {"message_id": 7, "date": 0, "chat": chat, "from": bot_user, "text": "."}
                changes = await total_changes(staffed)
                calls = len(staffed.api.calls)
                await staffed.send(staffed.updates.callback(person, message, data))
                made = staffed.api.calls[calls:]
                assert [call.method for call in made] == ["answerCallbackQuery"], (data, made)
                assert made[0].params.get("text") == STALE, data
                assert made[0].params.get("show_alert") is True, data
                assert await total_changes(staffed) == changes, data
                tried += 1
    assert tried >= 8


async def test_an_officer_of_another_unit_cannot_use_a_units_figures_buttons(
    staffed: BotHarness,
) -> None:
    await staffed.say(OFFICER_RG, "/figures 2023")
    figures = staffed.api.last_message(OFFICER_RG.id)
    breakdown = [data for row in (figures.reply_markup or {})["inline_keyboard"] for data in row]
    assert breakdown, figures.text
    await staffed.say(OFFICER_RG, "/export 2023")
    export = staffed.api.last_message(OFFICER_RG.id)
    for button in [*breakdown, *(export.reply_markup or {})["inline_keyboard"][0]]:
        data = button["callback_data"]
        before = staffed.api.message_count(OFFICER_GQ.id)
        calls = len(staffed.api.calls)
        # The officer of Gò Quao presses Rạch Giá's buttons (or types their data by hand).
        mine = {**figures.raw, "chat": OFFICER_GQ.private_chat_dict()}
        await staffed.send(staffed.updates.callback(OFFICER_GQ, mine, data))
        made = staffed.api.calls[calls:]
        assert all(call.method in ("answerCallbackQuery", "sendMessage") for call in made), made
        shown = [m.plain_text for m in staffed.api.sent_messages(OFFICER_GQ.id, start=before)]
        answers = [call.params.get("text") for call in made if call.method != "sendMessage"]
        assert shown in ([], [STALE]), (data, shown)
        assert STALE in [*shown, *answers], data
    # Rạch Giá's own officer gets them.
    await staffed.press(OFFICER_RG, "CSV")
    assert staffed.api.last_message(OFFICER_RG.id).method == "sendDocument"


# ---------------------------------------------------------------- residents' own buttons


def shown_buttons(harness: BotHarness, person: Person) -> list[str]:
    """Return every callback data the bot ever showed a person."""
    return [
        str(button["callback_data"])
        for message in harness.api.sent_messages(person.id)
        for row in (message.reply_markup or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


async def test_another_residents_buttons_do_nothing_to_their_draft_or_tip(
    staffed: BotHarness,
) -> None:
    bot = staffed
    tips = bot.app.services.tips
    await reach_review(bot, RESIDENT, Answers(photos=1))
    await reach_review(bot, OTHER, Answers(category="fraud", story=("Lừa đảo qua điện thoại.",)))
    theirs = shown_buttons(bot, RESIDENT)
    assert any(data.startswith(f"{TIP_DRAFT}send:") for data in theirs)
    hand_made = [
        f"{TIP_DRAFT}send:not-their-key",
        f"{TIP_DRAFT}unit:999999",
        f"{TIP_DRAFT}cat:nonexistent",
        f"{TIP_DRAFT}when:tomorrow",
        f"{TIP_DRAFT}legal:x",
        f"{TIP_DRAFT}edit:nothing",
    ]
    record = await tips.load_draft(RESIDENT.id)
    assert record is not None
    before = (record.draft.to_json(), record.step, record.version)
    stranger = Person(id=5550777, first_name="Người lạ")
    for person in (OTHER, stranger):
        for data in [*theirs, *hand_made]:
            own = bot.api.last_message(person.id) if bot.api.message_count(person.id) else None
            message = own or {"message_id": 1, "date": 0, "chat": person.private_chat_dict()}
            await bot.send(bot.updates.callback(person, message, data))
    after = await tips.load_draft(RESIDENT.id)
    assert after is not None
    assert (after.draft.to_json(), after.step, after.version) == before
    assert await bot.app.services.db.fetch_value("SELECT count(*) FROM tips") == 0
    assert await tips.load_draft(stranger.id) is None

    # The resident sends their tip; pressing its button again, anyone else gets nothing.
    await bot.press(RESIDENT, label("tips.button.send"))
    code = receipt_code(bot, RESIDENT)
    for person in (OTHER, stranger):
        calls = len(bot.api.calls)
        send = next(data for data in theirs if data.startswith(f"{TIP_DRAFT}send:"))
        own = bot.api.last_message(person.id) if bot.api.message_count(person.id) else None
        message = own or {"message_id": 1, "date": 0, "chat": person.private_chat_dict()}
        await bot.send(bot.updates.callback(person, message, send))
        # What the presser sees (their chat, the answer to their press) names nothing of it;
        # the officers' card of the tip may go out meanwhile (the outbox runs on its own).
        seen = [c for c in bot.api.calls[calls:] if c.chat_id in (person.id, None)]
        assert seen
        assert all(code not in str(call.params) for call in seen)
    rows = await bot.app.services.db.fetch_all("SELECT code, reporter_pseudonym FROM tips")
    assert [tuple(row) for row in rows] == [(code, tips.pseudonym(RESIDENT.id))]
