"""Officers see their commands in Telegram's menu; residents never do; changes republish."""

from __future__ import annotations

from typing import Any

from bot.officers.service import Actor
from bot.testing.harness import BotHarness

from .conftest import ADMIN, ANALYST, NEWCOMER, OFFICER_RG, RESIDENT, REVOKED

OFFICER_ONLY = {"officers", "addofficer", "setrole", "setunit", "removeofficer", "officerlog"}


def chat_scope(user_id: int) -> dict[str, Any]:
    return {"type": "chat", "chat_id": user_id}


def names(commands: list[dict[str, Any]]) -> set[str]:
    return {command["command"] for command in commands}


def chat_scoped_calls(harness: BotHarness, user_id: int) -> list[str]:
    return [
        call.method
        for call in harness.api.calls
        if call.method in {"setMyCommands", "deleteMyCommands"}
        and "chat" in str(call.params.get("scope"))
        and str(user_id) in str(call.params.get("scope"))
    ]


async def test_config_admin_gets_an_officer_menu_at_start_and_residents_do_not(
    staffed: BotHarness,
) -> None:
    vi = staffed.api.my_commands(chat_scope(ADMIN.id), "vi")
    en = staffed.api.my_commands(chat_scope(ADMIN.id), "en")
    fallback = staffed.api.my_commands(chat_scope(ADMIN.id))
    assert {"start", "help", "language", "cancel", "units", "whoami"} | OFFICER_ONLY <= names(vi)
    assert names(vi) == names(en) == names(fallback)
    descriptions = {command["command"]: command["description"] for command in en}
    assert descriptions["officers"] == "List officers"
    assert descriptions["language"] == "Change language"
    assert {c["command"]: c["description"] for c in vi}["officers"] == "Danh sách cán bộ"
    for language in ("vi", "en", ""):
        resident_menu = staffed.api.my_commands({"type": "all_private_chats"}, language)
        assert not names(resident_menu) & (OFFICER_ONLY | {"units", "whoami"})
        assert staffed.api.my_commands(chat_scope(RESIDENT.id), language) == []


async def test_menus_follow_every_registry_change(staffed: BotHarness) -> None:
    scope = chat_scope(NEWCOMER.id)
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} analyst KG-RG")
    analyst = names(staffed.api.my_commands(scope, "vi"))
    assert {"units", "whoami", "start"} <= analyst
    assert not analyst & OFFICER_ONLY
    await staffed.say(ADMIN, f"/setrole {NEWCOMER.id} admin")
    assert names(staffed.api.my_commands(scope, "en")) >= OFFICER_ONLY
    await staffed.say(ADMIN, f"/removeofficer {NEWCOMER.id}")
    await staffed.press(ADMIN, "🗑 Thu hồi")
    for language in ("vi", "en", ""):
        assert staffed.api.my_commands(scope, language) == []


async def test_a_move_within_the_same_role_does_not_republish(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
    published = len(chat_scoped_calls(staffed, NEWCOMER.id))
    assert published == 3  # vi, en, and the person's own language for any other client
    await staffed.say(ADMIN, f"/setunit {NEWCOMER.id} KG-GQ")
    assert len(chat_scoped_calls(staffed, NEWCOMER.id)) == published


async def test_restart_publishes_what_changed_and_clears_former_officers(
    staffed: BotHarness,
) -> None:
    # The staff was registered from the command line: the menus come at the next start.
    await staffed.stop()
    await staffed.start()
    assert "officers" not in names(staffed.api.my_commands(chat_scope(OFFICER_RG.id), "vi"))
    assert "whoami" in names(staffed.api.my_commands(chat_scope(OFFICER_RG.id), "vi"))
    assert "units" in names(staffed.api.my_commands(chat_scope(ANALYST.id), "en"))
    assert chat_scoped_calls(staffed, REVOKED.id) == []

    staffed.api.clear()
    await staffed.stop()
    await staffed.start()
    assert [call for call in staffed.api.calls if "chat_id" in str(call.params.get("scope"))] == []

    await staffed.app.services.officers.remove(Actor.cli(), OFFICER_RG.id)
    await staffed.stop()
    await staffed.start()
    assert chat_scoped_calls(staffed, OFFICER_RG.id) == ["deleteMyCommands"] * 3
    assert staffed.api.my_commands(chat_scope(OFFICER_RG.id), "vi") == []


async def test_the_menu_without_a_language_is_in_the_officers_own_language(
    staffed: BotHarness,
) -> None:
    await staffed.say(NEWCOMER, "/language")
    await staffed.press(NEWCOMER, "🇬🇧 English")
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
    fallback = staffed.api.my_commands(chat_scope(NEWCOMER.id))
    assert {c["command"]: c["description"] for c in fallback}["units"] == (
        "Browse and search units"
    )
    assert staffed.texts(NEWCOMER.id)[-1].startswith("You now have access to this bot as officer")


async def test_a_menu_telegram_refuses_is_retried_at_the_next_start(staffed: BotHarness) -> None:
    staffed.api.fail_next("setMyCommands", error="400", description="Bad Request: chat not found")
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
    assert staffed.api.last_text(ADMIN.id).startswith("✅")
    assert await staffed.app.services.officers.menu_digest(NEWCOMER.id) is None
    await staffed.stop()
    await staffed.start()
    assert "whoami" in names(staffed.api.my_commands(chat_scope(NEWCOMER.id), "vi"))


async def test_a_network_failure_on_the_menu_does_not_hide_the_change(staffed: BotHarness) -> None:
    staffed.api.fail_next("setMyCommands", error="network")
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
    assert staffed.api.last_text(ADMIN.id).startswith("✅")
    assert await staffed.app.services.officers.officer(NEWCOMER.id) is not None


async def test_start_up_does_not_wait_on_every_menu_when_telegram_is_unreachable(
    staffed: BotHarness,
) -> None:
    await staffed.stop()
    staffed.api.clear()
    staffed.api.fail_until_cleared("setMyCommands", error="timeout")
    await staffed.start()
    attempts = [
        call
        for call in staffed.api.calls_for("setMyCommands")
        if "chat_id" in str(call.params.get("scope"))
    ]
    assert len(attempts) == 1
    staffed.api.clear_failures()
    await staffed.say(RESIDENT, "/start")
    assert staffed.api.last_text(RESIDENT.id).startswith("Xin chào")
