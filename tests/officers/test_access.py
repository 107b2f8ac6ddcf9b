"""Access control in one place, proven from both sides over the whole command list."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bot.officers import handlers as officer_handlers
from bot.officers import unit_commands as unit_handlers
from bot.officers.access import (
    Officer,
    application_handlers,
    can_act_on_unit,
    current_officer,
    guard_of,
    officer_command,
    scope_unit_ids,
    walk_handlers,
)
from bot.officers.model import ADMIN_ONLY, Role
from bot.officers.service import Actor
from bot.ptb.commands import RESIDENT_COMMANDS
from bot.ptb.context import BotContext
from bot.testing.harness import BotHarness
from bot.testing.updates import Person

from .conftest import (
    ADMIN,
    ANALYST,
    DB_ADMIN,
    OFFICER_GQ,
    OFFICER_RG,
    RESIDENT,
    REVOKED,
    deepen,
)

RESIDENT_NAMES = {name for name, _key in RESIDENT_COMMANDS}
STALE = "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."

# Who tries, and the role they hold (None: no access at all).
PERSONAS: dict[str, tuple[Person, Role | None]] = {
    "resident": (RESIDENT, None),
    "revoked officer": (REVOKED, None),
    "analyst": (ANALYST, "analyst"),
    "officer of a sibling unit": (OFFICER_GQ, "officer"),
}


def guarded_command_roles(harness: BotHarness) -> dict[str, frozenset[Role]]:
    """Return every guarded command of the application (menu or not) with its roles."""
    found: dict[str, frozenset[Role]] = {}
    for handler in application_handlers(harness.app):
        guard = guard_of(handler)
        if guard is not None and isinstance(handler, CommandHandler):
            for name in handler.commands:
                found.setdefault(name, guard.roles)
    return found


async def count_changes(harness: BotHarness) -> int:
    return int(await harness.app.services.db.fetch_value("SELECT count(*) FROM officer_changes"))


async def test_every_command_is_a_resident_command_or_guarded(staffed: BotHarness) -> None:
    unguarded = sorted(
        name
        for handler in application_handlers(staffed.app)
        if isinstance(handler, CommandHandler) and guard_of(handler) is None
        for name in handler.commands
        if name not in RESIDENT_NAMES
    )
    assert unguarded == [], f"commands without a guard: {unguarded}"


async def test_the_whole_command_list_check_catches_a_new_unguarded_command(
    staffed: BotHarness,
) -> None:
    async def leak(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show something secret to whoever asks."""

    staffed.app.add_handler(CommandHandler("secrets", leak))
    unguarded = [
        name
        for handler in application_handlers(staffed.app)
        if isinstance(handler, CommandHandler) and guard_of(handler) is None
        for name in handler.commands
        if name not in RESIDENT_NAMES
    ]
    assert unguarded == ["secrets"]


def test_every_officer_and_unit_handler_is_guarded_except_cancel() -> None:
    handlers = list(walk_handlers([*officer_handlers.handlers(), *unit_handlers.handlers()]))
    assert len(handlers) >= 12
    for handler in handlers:
        if isinstance(handler, CommandHandler) and handler.commands == frozenset({"cancel"}):
            continue
        assert guard_of(handler) is not None, handler


async def people_like(harness: BotHarness, persona: str, count: int) -> list[Person]:
    """Return `count` people in the situation of `persona` (the first is the fixture's own).

    Residents' message bursts are cut off by the tips feature's flood guard (30 messages), so
    the long walk over every command is spread over several people in the same situation.
    """
    first, _role = PERSONAS[persona]
    officers = harness.app.services.officers
    units = harness.app.services.units
    people = [first]
    for index in range(1, count):
        person = Person(id=first.id + 1000 * index, first_name=f"{first.first_name} {index}")
        if persona != "resident":
            code = "KG-GQ" if persona == "officer of a sibling unit" else "KG-RG"
            role: Role = "analyst" if persona == "analyst" else "officer"
            await officers.add(Actor.cli(), person.id, role, await units.by_code(code))
            if persona == "revoked officer":
                await officers.remove(Actor.cli(), person.id)
        people.append(person)
    return people


@pytest.mark.parametrize("persona", PERSONAS)
async def test_refused_commands_answer_exactly_like_a_command_that_does_not_exist(
    staffed: BotHarness, persona: str
) -> None:
    _person, role = PERSONAS[persona]
    # A guarded extension of a resident command ("/tip CODE") answers refused people with the
    # resident meaning instead (tests/triage checks that it reveals nothing).
    refused = {
        name: roles
        for name, roles in guarded_command_roles(staffed).items()
        if role not in roles and name not in RESIDENT_NAMES
    }
    assert "officers" in refused
    assert "addofficer" in refused
    attempts = [
        f"/{name}{arguments}"
        for name in sorted(refused)
        for arguments in ("", f" {OFFICER_RG.id} officer KG-RG", " " + "x" * 10_000)
    ]
    per_person = 20
    people = await people_like(staffed, persona, -(-len(attempts) // per_person))
    changes = await count_changes(staffed)
    for index, text in enumerate(attempts):
        person = people[index // per_person]
        if index % per_person == 0:
            await staffed.say(person, "/nosuchcommand")
            baseline = staffed.api.calls_for("sendMessage")[-1].params
            assert "không có" in baseline["text"]
        calls_before = len(staffed.api.calls)
        await staffed.say(person, text)
        calls = staffed.api.calls[calls_before:]
        assert [call.method for call in calls] == ["sendMessage"], (text[:40], calls)
        assert calls[0].chat_id == person.id
        assert calls[0].params == baseline, text[:40]
    assert await count_changes(staffed) == changes


async def test_refused_commands_in_a_group_get_the_silence_of_a_missing_command(
    staffed: BotHarness,
) -> None:
    group = -1005550000
    for name in guarded_command_roles(staffed):
        update = staffed.updates.command(RESIDENT, f"/{name}", str(OFFICER_RG.id), chat_id=group)
        await staffed.send(update)
    assert staffed.api.sent_messages(group) == []
    assert staffed.api.sent_messages(RESIDENT.id) == []


async def test_refused_buttons_answer_exactly_like_stale_ones(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, f"/removeofficer {OFFICER_RG.id}")
    confirm = staffed.api.sent_messages(ADMIN.id)[-1]
    data = confirm.button_data("🗑 Thu hồi")
    for person, _role in PERSONAS.values():
        await staffed.send(staffed.updates.callback(person, confirm, data))
        answer = staffed.api.calls_for("answerCallbackQuery")[-1]
        assert answer.params.get("text") == STALE
        assert answer.params.get("show_alert") is True
    assert await staffed.app.services.officers.officer(OFFICER_RG.id) is not None
    assert [message.text for message in staffed.api.sent_messages()].count(confirm.text) == 1


async def test_an_admin_revoked_after_asking_cannot_confirm(staffed: BotHarness) -> None:
    await staffed.say(DB_ADMIN, f"/removeofficer {OFFICER_RG.id}")
    confirm = staffed.api.sent_messages(DB_ADMIN.id)[-1]
    await staffed.say(ADMIN, f"/removeofficer {DB_ADMIN.id}")
    await staffed.press(ADMIN, "🗑 Thu hồi")
    await staffed.send(
        staffed.updates.callback(DB_ADMIN, confirm, confirm.button_data("🗑 Thu hồi"))
    )
    assert staffed.api.calls_for("answerCallbackQuery")[-1].params.get("text") == STALE
    assert await staffed.app.services.officers.officer(OFFICER_RG.id) is not None


async def test_a_revoked_officer_mid_conversation_is_stopped(staffed: BotHarness) -> None:
    await staffed.say(DB_ADMIN, "/addofficer officer KG-HT")
    await staffed.say(ADMIN, f"/removeofficer {DB_ADMIN.id}")
    await staffed.press(ADMIN, "🗑 Thu hồi")
    await staffed.send(staffed.updates.forwarded_text(DB_ADMIN, "hi", from_person=RESIDENT))
    assert "Tôi chưa hiểu tin nhắn này" in staffed.api.last_text(DB_ADMIN.id)
    assert await staffed.app.services.officers.record(RESIDENT.id) is None


async def test_current_officer_knows_roles_and_scopes(staffed: BotHarness) -> None:
    officers = staffed.app.services.officers
    units = staffed.app.services.units

    async def lookup(person: Person) -> Officer | None:
        update = staffed.updates.text(person, "xin chào")
        context = BotContext.from_update(update, staffed.app)
        return await current_officer(update, context)

    config_admin = await lookup(ADMIN)
    assert config_admin is not None
    assert (config_admin.role, config_admin.unit_id, config_admin.from_config) == (
        "admin",
        None,
        True,
    )
    db_admin = await lookup(DB_ADMIN)
    assert db_admin is not None
    assert (db_admin.role, db_admin.from_config) == ("admin", False)
    officer = await lookup(OFFICER_RG)
    rach_gia = await units.by_code("KG-RG")
    assert officer is not None
    assert rach_gia is not None
    assert officer.role == "officer"
    assert officer.unit_id == rach_gia.id
    assert officer.display_name == "Lê Minh"
    assert scope_unit_ids(officer) == frozenset(await units.subtree_ids(rach_gia.id))
    assert len(officer.scope) == 13  # the city and its 12 wards and communes
    assert await lookup(REVOKED) is None
    assert await lookup(RESIDENT) is None
    assert await officers.officer(RESIDENT.id) is None


async def test_scope_reaches_every_depth_of_a_five_level_tree(staffed: BotHarness) -> None:
    await deepen(staffed)
    services = staffed.app.services
    units = {unit.code: unit.id for unit in await services.units.all()}
    city = await services.officers.officer(OFFICER_RG.id)
    district = await services.officers.officer(OFFICER_GQ.id)
    assert city is not None
    assert district is not None
    for code in ("KG-RG", "KG-RG-VT", "KG-RG-VT-1", "KG-RG-VT-1-A"):
        assert await can_act_on_unit(city, units[code]), code
        assert not await can_act_on_unit(district, units[code]), code
    for code in ("KG", "KG-GQ", "KG-HT", "AG", "AG-RG"):
        assert not await can_act_on_unit(city, units[code]), code
    quarter = Officer(
        1,
        "officer",
        units["KG-RG-VT-1"],
        scope=frozenset(await services.units.subtree_ids(units["KG-RG-VT-1"])),
    )
    assert await can_act_on_unit(quarter, units["KG-RG-VT-1-A"])
    assert not await can_act_on_unit(quarter, units["KG-RG-VT"])
    assert not await can_act_on_unit(quarter, units["KG-RG-VTV"])
    admin = await services.officers.officer(ADMIN.id)
    assert admin is not None
    assert scope_unit_ids(admin) is None
    assert all([await can_act_on_unit(admin, unit_id) for unit_id in units.values()])


async def test_scope_works_on_a_two_level_tree(staffed: BotHarness) -> None:
    await deepen(staffed)
    services = staffed.app.services
    units = {unit.code: unit for unit in await services.units.all()}
    await services.officers.add(
        Actor.cli(), 9200001, "officer", units["AG"], display_name="Tỉnh An Giang officer"
    )
    await services.officers.add(Actor.cli(), 9200002, "analyst", units["AG-RG"])
    province = await services.officers.officer(9200001)
    ward = await services.officers.officer(9200002)
    assert province is not None
    assert ward is not None
    assert province.scope == {units["AG"].id, units["AG-RG"].id, units["AG-VT"].id}
    assert await can_act_on_unit(ward, units["AG-RG"].id)
    assert not await can_act_on_unit(ward, units["AG-VT"].id)
    assert not await can_act_on_unit(ward, units["AG"].id)
    # The old Rạch Giá of Kiên Giang shares a name, not a scope.
    assert not await can_act_on_unit(province, units["KG-RG"].id)


def test_officer_invariants() -> None:
    with pytest.raises(ValueError, match="no unit"):
        Officer(1, "admin", 5)
    with pytest.raises(ValueError, match="needs a unit"):
        Officer(1, "analyst", None)
    by_hand = Officer(1, "officer", 7)
    assert by_hand.scope == {7}
    assert by_hand.covers(7)
    assert not by_hand.covers(8)
    revoked = Officer(1, "officer", 7, active=False)
    assert not revoked.covers(7)


def test_a_guard_needs_real_roles() -> None:
    async def callback(
        update: Update, context: ContextTypes.DEFAULT_TYPE, officer: Officer
    ) -> None:
        """Do nothing."""

    with pytest.raises(ValueError, match="roles"):
        officer_command("x", callback, roles=frozenset())
    with pytest.raises(ValueError, match="roles"):
        officer_command("x", callback, roles=frozenset({"resident"}))  # type: ignore[arg-type]
    handler = officer_command("x", callback, roles=ADMIN_ONLY)
    guard = guard_of(handler)
    assert guard is not None
    assert guard.roles == ADMIN_ONLY


async def test_residents_who_talk_to_the_bot_are_never_recorded(
    staffed: BotHarness, database_path: Path
) -> None:
    for text in ("/start", "/officers", "/whoami", "/units", "/addofficer", "xin chào"):
        await staffed.say(RESIDENT, text)
    assert await staffed.app.services.officers.record(RESIDENT.id) is None
    await staffed.stop()
    raw = b"".join(
        path.read_bytes() for path in database_path.parent.glob(database_path.name + "*")
    )
    assert str(RESIDENT.id).encode() not in raw
    await staffed.start()


async def test_who_covers_a_unit_is_its_officers_above_and_the_admins(staffed: BotHarness) -> None:
    services = staffed.app.services
    ward = await services.units.by_code("KG-RG-VT")
    assert ward is not None
    covering = await services.officers.covering(ward.id)
    assert {officer.user_id for officer in covering} == {ADMIN.id, DB_ADMIN.id, OFFICER_RG.id}
    with_analysts = await services.officers.covering(ward.id, roles=("officer", "analyst"))
    assert {officer.user_id for officer in with_analysts} == {OFFICER_RG.id, ANALYST.id}
    assert all(officer.covers(ward.id) for officer in covering)
