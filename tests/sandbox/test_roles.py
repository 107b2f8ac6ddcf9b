"""Issue 15 in the plain sandbox: `:as` makes roles real, numbers press only the latest buttons."""

from __future__ import annotations

from bot.kernel.i18n import translator
from bot.officers.service import Actor
from bot.sandbox.people import ANALYST, OFFICER
from bot.sandbox.render import placeholder
from bot.sandbox.session import HELP, Sandbox
from tests.sandbox.conftest import Play
from tests.sandbox.test_features import _submit_tip

SET_UP_OFFICER = (
    "(set up for you: the sample units (kien_giang_units.csv) and Minh as officer of AG)\n"
    "--- you are Minh (officer) in officers' chat ---"
)


async def test_as_officer_registers_the_officer_and_the_sample_units(
    sandbox: Sandbox, play: Play
) -> None:
    services = sandbox.app.services
    assert await services.units.count() == 0
    played = await play(":as officer")
    assert played.code == 0, played.transcript
    assert SET_UP_OFFICER in played.transcript
    officer = await services.officers.officer(OFFICER.person.id)
    province = await services.units.by_code("AG")
    assert officer is not None
    assert province is not None
    assert (officer.role, officer.unit_id, officer.display_name) == (
        "officer",
        province.id,
        "Trần Văn Minh",
    )
    # Once real, switching back says nothing more about setting up.
    again = await play(":as resident\n:as officer")
    assert "set up for you" not in again.transcript


async def test_as_analyst_after_the_units_exist_registers_only_the_analyst(
    sandbox: Sandbox, play: Play
) -> None:
    await play(":as officer")
    played = await play(":as analyst")
    assert "(set up for you: Thu as analyst of AG)\n--- you are Thu (analyst)" in played.transcript
    analyst = await sandbox.app.services.officers.officer(ANALYST.person.id)
    assert analyst is not None
    assert analyst.role == "analyst"


async def test_an_officer_an_admin_removed_stays_removed(sandbox: Sandbox, play: Play) -> None:
    await play(":as officer")
    officers = sandbox.app.services.officers
    await officers.remove(Actor.cli(), OFFICER.person.id)
    played = await play(":as resident\n:as officer\n/tips")
    assert "(Minh was removed from the officers' registry)\n--- you are Minh" in played.transcript
    assert await officers.officer(OFFICER.person.id) is None


async def test_admin_and_resident_need_no_setting_up(sandbox: Sandbox, play: Play) -> None:
    played = await play(":as admin\n:as resident")
    assert "set up for you" not in played.transcript
    assert await sandbox.app.services.units.count() == 0


async def test_the_plain_sandboxs_officer_takes_a_tip_and_lists_tips(
    sandbox: Sandbox, play: Play
) -> None:
    code = await _submit_tip(play)
    # Before issue 15 "Take" said the button was no longer valid and /tips was unknown.
    played = await play(":as officer\n1\n:as officer private\n/tips")
    assert played.code == 0, played.transcript
    status = await sandbox.app.services.db.fetch_value(
        "SELECT status FROM tips WHERE code = ?", (code,)
    )
    assert status == "taken"
    t = translator("vi")
    assert t("callback.stale") not in played.transcript
    assert code in played.transcript.split("> /tips\n", 1)[1]


async def test_a_number_never_presses_buttons_of_an_older_answer(play: Play) -> None:
    played = await play("/language\n/start\n1")
    assert played.code == 0, played.transcript
    after_start = played.transcript.split("> /start\n", 1)[1]
    # /start's answer has no inline buttons: 1 is the first keyboard key, not «Tiếng Việt».
    assert "[1] 🇻🇳" not in after_start
    assert "(pressed 🇻🇳 Tiếng Việt)" not in played.transcript
    assert "keyboard: [1] " in after_start
    # The older buttons stay reachable by label.
    pressed = await play(":press 🇬🇧 English")
    assert "(pressed 🇬🇧 English)" in pressed.transcript


async def test_help_and_a_missing_label_say_how_to_reach_older_buttons(play: Play) -> None:
    assert "older buttons: :press LABEL" in HELP
    played = await play("/start\n:press Nope")
    assert played.code == 1
    assert "numbers press only the latest answer's buttons; :press searches" in played.transcript


def test_a_shared_contact_is_named_family_name_first() -> None:
    contact = {"first_name": "Lan", "last_name": "Nguyễn Thị", "phone_number": "+84 912"}
    assert placeholder({"contact": contact}) == "[contact Nguyễn Thị Lan, +84 912]"
