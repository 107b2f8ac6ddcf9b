"""Commands in an officers' group: answered there for its officers, sent to private, or silent."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.i18n import Language, translator
from bot.testing.harness import BotHarness
from bot.testing.updates import Person

from .conftest import ADMIN, ANALYST, OFFICER_GQ, OFFICER_RG, RESIDENT, add_staff, staffed_settings

OFFICERS_CHAT = -1001000000001
RACH_GIA_CHAT = -1001000000002
STRANGE_GROUP = -1001000000099
BOT = "tinbao_test_bot"
COMMAND_LINE = re.compile(r"^/(\w+) – ", re.MULTILINE)
LANGUAGES: tuple[Language, ...] = ("vi", "en")


@pytest.fixture
async def groups(database_path: Path) -> AsyncIterator[BotHarness]:
    """A bot whose KG-RG has its own group, the other units OFFICER_CHAT_ID's."""
    settings = staffed_settings(database_path, officer_chat_id=OFFICERS_CHAT)
    async with BotHarness(settings) as harness:
        await add_staff(harness)
        services = harness.app.services
        csv = (
            "code,parent_code,level,name_vi,chat_id\n"
            f"KG-RG,KG,district,Thành phố Rạch Giá,{RACH_GIA_CHAT}\n"
        ).encode()
        assert (await services.units.import_csv(csv, services.clock.now())).ok
        # The staff's menus are published at a start (they were added as the CLI does).
        await harness.stop()
        await harness.start()
        yield harness


async def in_group(
    harness: BotHarness, person: Person, text: str, chat_id: int, language: Language = "vi"
) -> list[Any]:
    """Say `text` in a group; return what the bot sent anywhere because of it."""
    await harness.app.services.set_language(person.id, language)
    before = len(harness.api.sent_messages())
    await harness.say(person, text, chat_id=chat_id)
    return harness.api.sent_messages()[before:]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_figures_stats_and_help_are_answered_in_the_officers_group(
    groups: BotHarness, language: Language
) -> None:
    for person, chat in (
        (OFFICER_RG, RACH_GIA_CHAT),
        (ANALYST, RACH_GIA_CHAT),
        (OFFICER_GQ, OFFICERS_CHAT),
        (ADMIN, RACH_GIA_CHAT),
    ):
        for command in ("/stats", "/figures", f"/stats@{BOT}"):
            [answer] = await in_group(groups, person, command, chat, language)
            assert answer.chat_id == chat
            assert not answer.buttons() or "t.me" not in str(answer.reply_markup)
        [helped] = await in_group(groups, person, "/help", chat, language)
        assert helped.chat_id == chat
        assert helped.reply_markup is None  # no reply keyboard over the group's input field
        menu = groups.api.my_commands({"type": "chat", "chat_id": person.id}, language)
        assert COMMAND_LINE.findall(helped.text) == [c["command"] for c in menu]
        t = translator(language)
        assert helped.text.startswith(t("help.title"))
        here = ", ".join(
            f"/{name}"
            for name in COMMAND_LINE.findall(helped.text)
            if name in {"help", "whoami", "units", "figures", "stats", "indicators"}
        )
        assert helped.text.endswith(t("officers.help.group", commands=here))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_private_commands_answer_with_a_button_to_the_private_chat(
    groups: BotHarness, language: Language
) -> None:
    t = translator(language)
    cases = (
        (OFFICER_RG, "/ask TB-7K3M-Q9XD Mấy giờ?", "ask", RACH_GIA_CHAT),
        (OFFICER_RG, "/file TB-7K3M-Q9XD 1", "file", RACH_GIA_CHAT),
        (OFFICER_RG, f"/tips@{BOT} open", "tips", RACH_GIA_CHAT),
        (ADMIN, "/officers", "officers", OFFICERS_CHAT),
        (ADMIN, "/audit", "audit", RACH_GIA_CHAT),
        # The resident commands of an officer's menu work in private only.
        (OFFICER_GQ, "/tip", "tip", OFFICERS_CHAT),
        (ANALYST, f"/status@{BOT} TB-7K3M-Q9XD", "status", RACH_GIA_CHAT),
    )
    for person, text, command, chat in cases:
        [pointer] = await in_group(groups, person, text, chat, language)
        assert pointer.chat_id == chat
        assert pointer.text == t("officers.group.private", command=command)
        url = pointer.button_url(t.label("officers.group.open_private"))
        assert url == f"https://t.me/{BOT}?start=help_{command}"
        # The button opens the private chat on "/start help_NAME": that command's help.
        await groups.app.services.set_language(person.id, language)
        await groups.say(person, f"/start help_{command}")
        assert groups.api.last_text(person.id).startswith(f"<b>/{command}</b> – ")


async def test_nobody_but_the_chats_officers_gets_an_answer_and_nothing_identifies_them(
    groups: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    silent = (
        (RESIDENT, RACH_GIA_CHAT),  # not an officer at all
        (OFFICER_GQ, RACH_GIA_CHAT),  # an officer of another unit
        (ANALYST, OFFICERS_CHAT),  # the analyst's unit has its own group
        (OFFICER_RG, STRANGE_GROUP),  # a group registered for no unit
    )
    # INFO, what the bot logs in production (DEBUG traces of the libraries carry raw ids).
    with caplog.at_level(logging.INFO):
        for person, chat in silent:
            for text in ("/help", "/stats", "/figures", "/ask TB-7K3M-Q9XD x", "/officers", "/tip"):
                assert await in_group(groups, person, text, chat) == [], (person, chat, text)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for person, _chat in silent:
        assert str(person.id) not in logged
        assert person.first_name not in logged
    assert RESIDENT.username is not None
    assert RESIDENT.username not in logged


async def test_a_command_for_another_bot_is_ignored(groups: BotHarness) -> None:
    for text in ("/stats@OtherBot", "/help@OtherBot", "/ask@OtherBot TB-7K3M-Q9XD x"):
        assert await in_group(groups, OFFICER_RG, text, RACH_GIA_CHAT) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_forged_deep_links_neither_fail_nor_reveal_commands(
    groups: BotHarness, language: Language
) -> None:
    t = translator(language)
    for person in (OFFICER_RG, RESIDENT):
        await groups.app.services.set_language(person.id, language)
    # An officer asking for a command they lack, or one that does not exist: the unknown answer.
    for name in ("audit", "nosuch"):
        await groups.say(OFFICER_RG, f"/start help_{name}")
        assert groups.api.last_text(OFFICER_RG.id) == t("help.unknown", command=name)
    # A payload that names no command at all: the officer's list of commands.
    for payload in ("help_<b>x</b>", "help_"):
        await groups.say(OFFICER_RG, f"/start {payload}")
        text = groups.api.last_text(OFFICER_RG.id)
        assert text.startswith(t("help.title")), payload
        assert "<b>x</b>" not in text
    # A resident following an officers' link gets the plain welcome; a resident command's help
    # for their own commands.
    for payload in ("help_ask", "help_audit", "help_nosuch", "zzz"):
        await groups.say(RESIDENT, f"/start {payload}")
        assert groups.api.last_text(RESIDENT.id) == t("start.welcome", name=RESIDENT.first_name)
    await groups.say(RESIDENT, "/start help_status")
    assert groups.api.last_text(RESIDENT.id).startswith("<b>/status</b> – ")
    assert groups.errors == []
