"""Officers' groups get a Telegram menu of their own: exactly the commands answered there.

Published at every start and after a units file gives a unit its own chat, in Vietnamese and
English (and the default language for other clients), scoped to the chat. It must say what
/help says in the group, for every role of the officers who share it.
"""

from __future__ import annotations

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
HA_TIEN_CHAT = -1001000000003
LANGUAGES: tuple[Language, ...] = ("vi", "en")
FOOTER = {
    "vi": re.compile(r"Trong nhóm này: (.*)\. Các lệnh khác"),
    "en": re.compile(r"In this group: (.*)\. The other commands"),
}


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
        await harness.stop()
        await harness.start()
        yield harness


def group_menu(harness: BotHarness, chat_id: int, language: str) -> list[str]:
    commands = harness.api.my_commands({"type": "chat", "chat_id": chat_id}, language)
    return [command["command"] for command in commands]


async def said_in_group(harness: BotHarness, person: Person, chat_id: int, text: str) -> Any:
    before = len(harness.api.sent_messages())
    await harness.say(person, text, chat_id=chat_id)
    return harness.api.sent_messages()[before:]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_each_officers_group_lists_exactly_what_its_help_says_answers_there(
    groups: BotHarness, language: Language
) -> None:
    for chat, people in (
        (RACH_GIA_CHAT, (OFFICER_RG, ANALYST, ADMIN)),
        (OFFICERS_CHAT, (OFFICER_GQ, ADMIN)),
    ):
        menu = group_menu(groups, chat, language)
        assert menu, chat
        said_here: set[str] = set()
        for person in people:
            await groups.app.services.set_language(person.id, language)
            [helped] = await said_in_group(groups, person, chat, "/help")
            footer = FOOTER[language].search(helped.plain_text)
            assert footer is not None, helped.plain_text
            listed = [name.strip().lstrip("/") for name in footer.group(1).split(",")]
            # What this person's help lists for the group is in the group's menu, in its order.
            assert listed == [name for name in menu if name in listed], (person, listed, menu)
            said_here.update(listed)
            for name in listed:
                [answer] = await said_in_group(groups, person, chat, f"/{name}")
                assert answer.chat_id == chat
                assert "t.me" not in str(answer.reply_markup), name  # answered, not sent away
        # Every command of the menu answers in the group for someone who shares it.
        assert said_here == set(menu)
        descriptions = groups.api.my_commands({"type": "chat", "chat_id": chat}, language)
        t = translator(language)
        assert any(item["description"] == t.label("command.help") for item in descriptions)


async def test_other_languages_get_the_default_languages_group_menu(groups: BotHarness) -> None:
    assert group_menu(groups, RACH_GIA_CHAT, "") == group_menu(groups, RACH_GIA_CHAT, "vi")
    assert group_menu(groups, RACH_GIA_CHAT, "vi") == group_menu(groups, RACH_GIA_CHAT, "en")
    vi = groups.api.my_commands({"type": "chat", "chat_id": RACH_GIA_CHAT}, "vi")
    en = groups.api.my_commands({"type": "chat", "chat_id": RACH_GIA_CHAT}, "en")
    assert [item["description"] for item in vi] != [item["description"] for item in en]
    # Commands that answer only in private are not in the group's menu.
    assert not {"tips", "ask", "file", "audit", "addofficer"} & set(
        group_menu(groups, RACH_GIA_CHAT, "vi")
    )
    # A resident's or another group's chat is given no officers' menu.
    assert group_menu(groups, RESIDENT.id, "vi") == []
    assert group_menu(groups, -1001000000099, "vi") == []


async def test_a_chat_set_by_importing_units_in_telegram_gets_the_menu_at_once(
    groups: BotHarness,
) -> None:
    assert group_menu(groups, HA_TIEN_CHAT, "vi") == []
    await groups.say(ADMIN, "/importunits")
    csv = "code,parent_code,level,name_vi,chat_id\n" + (
        f"KG-HT,KG,district,Thành phố Hà Tiên,{HA_TIEN_CHAT}\n"
    )
    await groups.send(groups.updates.document(ADMIN, file_name="units.csv", content=csv.encode()))
    assert groups.api.last_text(ADMIN.id).startswith("✅")
    for language in LANGUAGES:
        assert group_menu(groups, HA_TIEN_CHAT, language) == group_menu(
            groups, RACH_GIA_CHAT, language
        )
