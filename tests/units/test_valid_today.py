"""Today's tips see today's units (the two-level tree of 2025); history keeps the old tree.

The shipped sample holds An Giang's communes of today and Kiên Giang's three-level tree,
retired below An Giang: a resident picks, and a pin routes to, only units valid today, while
officers registered before the reform keep working at their retired units.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.i18n import Language
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.conversation.callbacks import CB_UNIT
from tests.officers.conftest import (
    ADMIN,
    NEWCOMER,
    OFFICER_RG,
    add_staff,
    reform,
    sample_csv,
    staffed_settings,
)
from tests.tips.flow import CATEGORY_LABELS, Answers, label, submit, tips_settings

RESIDENT = Person(id=5550201, first_name="Lan")
# The centre of Rạch Giá: the old city's and today's ward's centroid are both here.
IN_RACH_GIA = (10.0130, 105.0815)


@pytest.fixture
async def bot(database_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(tips_settings(database_path)) as harness:
        plan = await harness.app.services.units.import_csv(sample_csv(), harness.clock.now())
        assert plan.ok, plan.errors
        yield harness


async def open_picker(bot: BotHarness, person: Person, language: Language) -> None:
    if language == "en":
        await bot.say(person, "/language")
        await bot.press(person, "🇬🇧 English")
    await bot.say(person, "/tip")
    await bot.press(person, CATEGORY_LABELS[language]["drugs"])
    await bot.say(person, "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ.")
    await bot.press(person, label("tips.button.done", language))
    await bot.say(person, label("tips.button.pick_unit", language))


@pytest.mark.parametrize(
    ("language", "new", "old"),
    [("vi", "Phường Rạch Giá", "Thành phố Rạch Giá"), ("en", "Rach Gia Ward", "Rach Gia City")],
)
async def test_the_unit_picker_offers_todays_units_never_the_retired(
    bot: BotHarness, language: Language, new: str, old: str
) -> None:
    person = RESIDENT
    await open_picker(bot, person, language)
    await bot.say(person, "Rạch Giá")
    offered = [text for row in bot.api.last_message(person.id).buttons() for text in row]
    assert any(new in text for text in offered), offered
    assert not any(old in text for text in offered), offered
    # A district abolished in 2025 is not offered at all.
    await bot.say(person, "Châu Thành")
    assert bot.api.last_message(person.id).buttons() == []
    assert "Châu Thành" in bot.api.last_text(person.id)
    # A forged button for the retired district is refused and records nothing.
    retired = await bot.app.services.units.by_code("KG-CT")
    assert retired is not None
    assert not retired.active
    picker = next(m for m in reversed(bot.api.sent_messages(person.id)) if m.buttons())
    await bot.send(bot.updates.callback(person, picker, f"{CB_UNIT}{retired.id}"))
    alert = bot.api.calls_for("answerCallbackQuery")[-1].params
    assert alert.get("text") == label("tips.stale_button", language)
    draft = await bot.app.services.tips.load_draft(person.id)
    assert draft is not None
    assert draft.draft.unit_id is None
    # The ward of today is recorded on the draft.
    await bot.press(person, next(text for text in offered if new in text))
    ward = await bot.app.services.units.by_code("AG-RG")
    record = await bot.app.services.tips.load_draft(person.id)
    assert ward is not None
    assert record is not None
    assert record.draft.unit_id == ward.id


async def test_a_pin_in_rach_gia_routes_to_the_ward_of_today_not_the_retired_city(
    bot: BotHarness,
) -> None:
    code = await submit(bot, RESIDENT, Answers(location=IN_RACH_GIA))
    tip = await bot.app.services.tips.tips.by_code(code)
    assert tip is not None
    assert tip.unit_id is not None
    unit = await bot.app.services.units.by_id(tip.unit_id)
    assert unit is not None
    assert (unit.code, unit.active) == ("AG-RG", True)
    # The retired city sits deeper in the tree and on the same centroid: it would win if
    # retired units were candidates.
    old = await bot.app.services.units.by_code("KG-RG")
    assert old is not None
    assert old.latitude == unit.latitude
    assert not old.active


async def test_officers_registered_before_the_reform_keep_working_new_ones_go_to_todays_units(
    database_path: Path,
) -> None:
    async with BotHarness(staffed_settings(database_path)) as harness:
        await add_staff(harness)
        await reform(harness)
        services = harness.app.services
        officer = await services.officers.officer(OFFICER_RG.id)
        old_city = await services.units.by_code("KG-RG")
        assert officer is not None
        assert old_city is not None
        assert not old_city.active
        assert officer.unit_id == old_city.id
        await harness.say(OFFICER_RG, "/units")
        assert "Thành phố Rạch Giá" in harness.api.last_text(OFFICER_RG.id)
        await harness.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
        assert "Đơn vị này đã giải thể" in harness.api.last_text(ADMIN.id)
        assert await services.officers.officer(NEWCOMER.id) is None
        await harness.say(ADMIN, f"/addofficer {NEWCOMER.id} officer AG-RG")
        assert "nay là cán bộ (Phường Rạch Giá (AG-RG))" in harness.api.last_text(ADMIN.id)
        # Figures recorded on the retired province are still asked for by its code.
        await harness.say(ADMIN, "/figures KG 2013..2023")
        assert "<b>Tỉnh Kiên Giang</b> (KG)" in harness.api.last_text(ADMIN.id)
