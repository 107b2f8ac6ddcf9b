"""The sandbox with the features built alongside it: demo data, a tip from both sides, figures.

These drive the features of issues 3 to 6 through the sandbox.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from bot.kernel.i18n import translator
from bot.sandbox import demo
from bot.sandbox.demo import load_demo
from bot.sandbox.people import ANALYST, OFFICER
from bot.sandbox.session import Sandbox
from tests.sandbox.conftest import Play

RECEIPT_CODE = re.compile(r"TB-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def _demo(sandbox: Sandbox) -> None:
    report = await load_demo(sandbox.app.services)
    assert not report.failed, report.notes


async def _submit_tip(play: Play) -> str:
    """Send a tip as the resident, with buttons where the bot offers them; return the code."""
    t = translator("vi")
    played = await play(
        "\n".join(
            [
                "/start",
                t.label("tips.menu.send"),
                "1",  # the first category
                "Có nhóm thanh niên tụ tập bán ma túy gần chợ Rạch Sỏi vào buổi tối.",
                f":press {t.label('tips.button.done')}",
                ":location 10.01245 105.08091",
                f":press {t.label('tips.button.when_now')}",
                f":press {t.label('tips.button.evidence_none')}",
                f":press {t.label('tips.button.anonymous')}",
                f":press {t.label('tips.button.send')}",
            ]
        )
    )
    assert played.code == 0, played.transcript
    answer = played.transcript.split(f"> :press {t.label('tips.button.send')}\n", 1)[-1]
    codes = RECEIPT_CODE.findall(answer)
    assert codes, played.transcript
    return str(codes[0])


async def test_demo_loads_the_sample_units_and_registers_the_demo_staff(sandbox: Sandbox) -> None:
    report = await load_demo(sandbox.app.services)
    assert not report.failed, report.notes
    services = sandbox.app.services
    shipped = (resources.files("bot") / "data" / demo.UNITS_CSV).read_text("utf-8")
    assert await services.units.count() == len(shipped.splitlines()) - 1
    # The demo officer works at the province valid today (An Giang), not at retired Kiên Giang.
    province = await services.units.by_code("AG")
    assert province is not None
    for identity in (OFFICER, ANALYST):
        officer = await services.officers.officer(identity.person.id)
        assert officer is not None
        assert (officer.role, officer.unit_id) == (identity.role, province.id)
    # Loading again changes nothing and still succeeds.
    again = await load_demo(services)
    assert not again.failed, again.notes
    assert await services.units.count() == len(shipped.splitlines()) - 1


async def test_a_resident_submits_a_tip_and_receives_a_receipt_code(
    sandbox: Sandbox, play: Play
) -> None:
    await _demo(sandbox)
    code = await _submit_tip(play)
    status = await sandbox.app.services.db.fetch_value(
        "SELECT status FROM tips WHERE code = ?", (code,)
    )
    assert status == "received"


async def test_the_officers_chat_shows_the_card_of_a_new_tip(sandbox: Sandbox, play: Play) -> None:
    await _demo(sandbox)
    code = await _submit_tip(play)
    played = await play(":as officer")
    card = played.transcript.split("officers' chat ---\n", 1)[1]
    assert card.startswith("bot: ")
    assert code in card
    assert "Có nhóm thanh niên tụ tập bán ma túy" in card


async def test_an_officer_takes_the_tip_from_the_card(sandbox: Sandbox, play: Play) -> None:
    await _demo(sandbox)
    code = await _submit_tip(play)
    # The first button of the card takes the tip.
    played = await play(":as officer\n1")
    assert played.code == 0, played.transcript
    assert "bot (edited): " in played.transcript
    status = await sandbox.app.services.db.fetch_value(
        "SELECT status FROM tips WHERE code = ?", (code,)
    )
    assert status == "taken"


async def test_figures_in_demo_mode_show_the_seed_articles_numbers(
    sandbox: Sandbox, play: Play
) -> None:
    await _demo(sandbox)
    played = await play(":as analyst\n/figures KG 2013..2023\n/figures 2013..2023")
    assert played.code == 0, played.transcript
    retired, answer = played.transcript.split("/figures KG 2013..2023\n", 1)[1].split(
        "/figures 2013..2023\n", 1
    )
    # Kiên Giang is retired but its figures are still asked for by name, and they roll up
    # into An Giang, the province it merged into in 2025.
    assert "Tỉnh Kiên Giang (KG)" in retired
    assert "Tỉnh An Giang (AG)" in answer
    for figure in ("54.307", "40", "134", "39", "53"):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])", retired), figure
    # Vietnamese writes thousands with a dot: 54.307 disputes mediated.
    for figure in ("54.307", "40", "134", "39", "53"):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])", answer), figure


async def test_demo_skips_with_a_note_what_its_sample_files_lack(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every feature has landed; only a sample file can be missing (a trimmed install).
    monkeypatch.setattr(demo, "_sample", lambda _name: None)
    report = await load_demo(sandbox.app.services)
    assert not report.failed
    assert report.notes == [
        "demo: no kien_giang_units.csv: units skipped",
        "demo: Hùng (:as admin) is an administrator through ADMIN_USER_IDS",
        "demo: no unit AG: officer and analyst need a unit; skipped",
        "demo: no kien_giang_figures_2013_2023.csv: figures skipped",
    ]
    assert await sandbox.app.services.units.count() == 0
