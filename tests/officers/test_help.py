"""/help lists exactly the commands of the person's published menu; each role has its keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.kernel.i18n import Language, translator
from bot.officers.help import KEYBOARDS
from bot.officers.menus import OFFICER_EXAMPLES
from bot.testing.harness import BotHarness
from bot.testing.updates import Person

from .conftest import ADMIN, ANALYST, DB_ADMIN, OFFICER_RG, RESIDENT

LANGUAGES: tuple[Language, ...] = ("vi", "en")
STAFF = {"admin": ADMIN, "db_admin": DB_ADMIN, "officer": OFFICER_RG, "analyst": ANALYST}
COMMAND_LINE = re.compile(r"^/(\w+) – ", re.MULTILINE)
EXAMPLE = {"vi": "    ví dụ: <code>", "en": "    e.g. <code>"}


def chat_scope(user_id: int) -> dict[str, Any]:
    return {"type": "chat", "chat_id": user_id}


def published(harness: BotHarness, person: Person, language: Language) -> list[str]:
    """Return the commands of the person's menu, read back from the recorded setMyCommands."""
    menu = harness.api.my_commands(chat_scope(person.id), language)
    if not menu:
        menu = harness.api.my_commands({"type": "all_private_chats"}, language)
    return [command["command"] for command in menu]


async def help_of(harness: BotHarness, person: Person, language: Language, text: str) -> Any:
    await harness.app.services.set_language(person.id, language)
    await harness.say(person, text)
    return harness.api.last_message(person.id)


@pytest.fixture
async def published_staff(staffed: BotHarness) -> BotHarness:
    # The staff was registered from the command line: their menus come at the next start.
    await staffed.stop()
    await staffed.start()
    return staffed


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_of_every_role_lists_exactly_its_published_menu(
    published_staff: BotHarness, language: Language
) -> None:
    listed: dict[str, list[str]] = {}
    for role, person in {**STAFF, "resident": RESIDENT}.items():
        reply = await help_of(published_staff, person, language, "/help")
        listed[role] = COMMAND_LINE.findall(reply.text)
        assert listed[role] == published(published_staff, person, language), role
        # Every command comes with its example line.
        assert reply.text.count(EXAMPLE[language]) == len(listed[role])
    assert listed["resident"] == ["start", "tip", "mytips", "status", "help", "language", "cancel"]
    assert not {"tips", "ask", "file", "officers"} & set(listed["analyst"])
    assert {"figures", "stats", "whoami"} <= set(listed["analyst"])
    assert {"tips", "ask", "file"} <= set(listed["officer"])
    assert not {"officers", "audit", "deadletters"} & set(listed["officer"])
    # An admin is every role at once: their help holds every other role's commands.
    assert set(listed["officer"]) | set(listed["analyst"]) <= set(listed["admin"])
    assert listed["admin"] == listed["db_admin"]


async def test_every_command_of_any_menu_has_an_example(published_staff: BotHarness) -> None:
    for person in STAFF.values():
        for language in LANGUAGES:
            for command in published(published_staff, person, language):
                assert command in OFFICER_EXAMPLES, command


@pytest.mark.parametrize(
    ("language", "title", "example", "unknown"),
    [
        ("vi", "<b>/ask</b> – ", "Ví dụ: <code>/ask TB-", "Không có lệnh <code>nosuch</code>"),
        (
            "en",
            "<b>/ask</b> – ",
            "Example: <code>/ask TB-",
            "There is no command <code>nosuch</code>",
        ),
    ],
)
async def test_help_command_explains_one_command_and_unknown_says_how_to_list(
    published_staff: BotHarness, language: Language, title: str, example: str, unknown: str
) -> None:
    one = await help_of(published_staff, OFFICER_RG, language, "/help /ask")
    assert one.text.startswith(title)
    assert example in one.text
    missing = await help_of(published_staff, OFFICER_RG, language, "/help nosuch")
    assert missing.text.startswith(unknown)
    assert "/help" in missing.text
    resident = await help_of(published_staff, RESIDENT, language, "/help status")
    assert resident.text.startswith("<b>/status</b> – ")
    # A command of another role reads exactly like one that does not exist.
    hidden = await help_of(published_staff, RESIDENT, language, "/help audit")
    absent = await help_of(published_staff, RESIDENT, language, "/help audix")
    assert hidden.text.replace("audit", "X") == absent.text.replace("audix", "X")
    analyst = await help_of(published_staff, ANALYST, language, "/help ask")
    assert analyst.text.startswith(unknown.replace("nosuch", "ask"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_each_role_gets_its_own_reply_keyboard(
    published_staff: BotHarness, language: Language
) -> None:
    t = translator(language)
    resident = await help_of(published_staff, RESIDENT, language, "/help")
    resident_labels = [label for row in resident.reply_keyboard() for label in row]
    assert t.label("tips.menu.send") in resident_labels
    for role, person in STAFF.items():
        reply = await help_of(published_staff, person, language, "/start")
        labels = [label for row in reply.reply_keyboard() for label in row]
        expected = [t.label(key) for key, _command in KEYBOARDS[role.removeprefix("db_")]]
        assert labels == [*expected, t.label("menu.help"), t.label("menu.language")], role
        assert t.label("tips.menu.send") not in labels


async def test_keyboard_buttons_run_their_command_for_the_role(
    published_staff: BotHarness,
) -> None:
    await published_staff.app.services.set_language(OFFICER_RG.id, "en")
    await published_staff.say(OFFICER_RG, "❓ Help")
    assert COMMAND_LINE.findall(published_staff.api.last_text(OFFICER_RG.id)) == published(
        published_staff, OFFICER_RG, "en"
    )
    await published_staff.say(OFFICER_RG, "📈 Statistics")
    stats = published_staff.api.last_text(OFFICER_RG.id)
    await published_staff.say(OFFICER_RG, "/stats")
    assert stats == published_staff.api.last_text(OFFICER_RG.id)
    # A button of another audience's keyboard (a resident typing an officer's label) is not run.
    await published_staff.say(RESIDENT, "📊 Số liệu")
    assert published_staff.api.last_text(RESIDENT.id).startswith("Tôi chưa hiểu")
    assert "KG" not in published_staff.api.last_text(RESIDENT.id)
