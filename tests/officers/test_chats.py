"""The officers' chats: checked at start-up without posting, logged clearly, never fatal."""

from __future__ import annotations

import inspect
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberRestricted,
    User,
)
from telegram.constants import ChatType

from bot.officers.chats import _posting_problem, officer_chat_for
from bot.testing.harness import BotHarness

from .conftest import RESIDENT, add_staff, staffed_settings

OFFICERS_CHAT = -1001000000001
RACH_GIA_CHAT = -1001000000002


def known_chat(harness: BotHarness, chat_id: int, title: str) -> None:
    """Make the in-memory Bot API know a group, as if the bot had been added to it."""
    harness.api.remember_message(
        {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "supergroup", "title": title}}
    )


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.officers.chats" and record.levelno == level
    ]


async def test_an_unreachable_officers_chat_is_logged_clearly_and_the_bot_runs(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = staffed_settings(database_path, officer_chat_id=OFFICERS_CHAT)
    with caplog.at_level(logging.INFO):
        async with BotHarness(settings) as harness:
            [error] = records(caplog, logging.ERROR)
            assert str(OFFICERS_CHAT) in error
            assert "OFFICER_CHAT_ID" in error
            assert "NOT usable" in error
            assert "chat not found" in error.lower()
            check = harness.app.services.officers.chat_checks[OFFICERS_CHAT]
            assert not check.ok
            await harness.say(RESIDENT, "/start")
            assert harness.api.last_text(RESIDENT.id).startswith("Xin chào Lan!")
            # Checking never posts anything into the chat.
            assert harness.api.sent_messages(OFFICERS_CHAT) == []


async def test_a_reachable_officers_chat_is_confirmed_in_the_log(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = BotHarness(staffed_settings(database_path, officer_chat_id=OFFICERS_CHAT))
    known_chat(harness, OFFICERS_CHAT, "Cán bộ Kiên Giang")
    with caplog.at_level(logging.INFO):
        async with harness:
            assert records(caplog, logging.ERROR) == []
            [ok] = [line for line in records(caplog, logging.INFO) if "can post" in line]
            assert "Cán bộ Kiên Giang" in ok
            assert harness.app.services.officers.chat_checks[OFFICERS_CHAT].ok
            assert harness.api.sent_messages(OFFICERS_CHAT) == []


async def test_no_officers_chat_is_a_warning(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        async with BotHarness(staffed_settings(database_path)):
            [warning] = records(caplog, logging.WARNING)
            assert "OFFICER_CHAT_ID is not set" in warning


async def test_a_network_failure_during_the_check_is_logged_not_fatal(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = BotHarness(staffed_settings(database_path, officer_chat_id=OFFICERS_CHAT))
    harness.api.fail_next("getChat", error="network")
    with caplog.at_level(logging.INFO):
        async with harness:
            [error] = records(caplog, logging.ERROR)
            assert "could not be checked now" in error


async def test_units_may_have_their_own_chat_and_tips_go_to_the_nearest(
    database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    harness = BotHarness(staffed_settings(database_path, officer_chat_id=OFFICERS_CHAT))
    known_chat(harness, OFFICERS_CHAT, "Cán bộ tỉnh")
    async with harness:
        await add_staff(harness)
        services = harness.app.services
        csv = (
            "code,parent_code,level,name_vi,chat_id\n"
            f"KG-RG,KG,district,Thành phố Rạch Giá,{RACH_GIA_CHAT}\n"
        ).encode()
        assert (await services.units.import_csv(csv, services.clock.now())).ok
        units = {unit.code: unit.id for unit in await services.units.all()}
        default = services.settings.officer_chat_id
        assert await officer_chat_for(services.units, default, units["KG-RG"]) == RACH_GIA_CHAT
        assert await officer_chat_for(services.units, default, units["KG-RG-VTV"]) == RACH_GIA_CHAT
        assert await officer_chat_for(services.units, default, units["KG-GQ"]) == OFFICERS_CHAT
        assert await officer_chat_for(services.units, default, None) == OFFICERS_CHAT
        with caplog.at_level(logging.INFO):
            await harness.stop()
            await harness.start()
        [error] = records(caplog, logging.ERROR)
        assert str(RACH_GIA_CHAT) in error
        assert "unit KG-RG" in error


BOT = User(id=7000000001, first_name="Tin báo", is_bot=True)


def member(kind: type[ChatMember], **flags: Any) -> ChatMember:
    """Build a chat member of the bot with every permission off except `flags`."""
    values: dict[str, Any] = {}
    for name in inspect.signature(kind).parameters:
        if name in {"user", "api_kwargs"}:
            continue
        if name == "until_date":
            values[name] = datetime(2030, 1, 1, tzinfo=UTC)
        elif name.startswith(("can_", "is_")):
            values[name] = False
    values.update(flags)
    return kind(user=BOT, **values)


@pytest.mark.parametrize(
    ("chat_type", "bot_member", "muted", "problem"),
    [
        (ChatType.SUPERGROUP, member(ChatMemberMember), False, ""),
        (ChatType.SUPERGROUP, member(ChatMemberLeft), False, "not a member"),
        (ChatType.SUPERGROUP, member(ChatMemberMember), True, "make the bot an administrator"),
        (ChatType.SUPERGROUP, member(ChatMemberRestricted, is_member=True), False, "restricted"),
        (ChatType.SUPERGROUP, member(ChatMemberAdministrator), True, ""),
        (ChatType.CHANNEL, member(ChatMemberMember), False, "must be an administrator"),
        (ChatType.CHANNEL, member(ChatMemberAdministrator), False, "must be an administrator"),
        (ChatType.CHANNEL, member(ChatMemberAdministrator, can_post_messages=True), False, ""),
    ],
)
def test_posting_problems_are_named(
    chat_type: str, bot_member: ChatMember, muted: bool, problem: str
) -> None:
    found = _posting_problem(chat_type, bot_member, muted)
    if problem:
        assert problem in found
    else:
        assert found == ""
