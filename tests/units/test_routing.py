"""Routing a map pin to a unit by its centroid: the units CSV columns and the tip it routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.config import ConfigError, load_settings
from bot.kernel.i18n import translator
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.units.routing import distance_km
from tests.tips.flow import OFFICERS, Answers, deliver, submit, tips_settings, visible

COMMUNE_CHAT = -1009990101
DISTRICT_CHAT = -1009990102
RESIDENT = Person(id=5550101, first_name="Lan")
HEADER = "code,parent_code,level,name_vi,name_en,active,chat_id,lat,lon\n"
# A small tree near Rạch Giá: the province's centroid, a district's, two communes'.
TREE = (
    HEADER
    + "AG,,province,Tỉnh An Giang,An Giang Province,1,,10.0125,105.0809\n"
    + f"RG,AG,district,Thành phố Rạch Giá,Rach Gia City,1,{DISTRICT_CHAT},10.0125,105.0809\n"
    + f"VT,RG,commune,Phường Vĩnh Thanh,Vinh Thanh Ward,1,{COMMUNE_CHAT},10.0150,105.0850\n"
    + "RS,RG,commune,Phường Rạch Sỏi,Rach Soi Ward,1,,9.9700,105.1200\n"
)
NEAR_VINH_THANH = (10.0160, 105.0860)
# Hồ Chí Minh City: about 190 km from every centroid above.
FAR_AWAY = (10.7700, 106.7000)


async def started(database_path: Path, units: str = TREE, **settings: Any) -> BotHarness:
    harness = BotHarness(tips_settings(database_path, **settings))
    await harness.__aenter__()
    plan = await harness.app.services.units.import_csv(units.encode(), harness.clock.now())
    assert plan.ok, plan.errors
    return harness


@pytest.fixture
async def bot(database_path: Path) -> AsyncIterator[BotHarness]:
    harness = await started(database_path)
    try:
        yield harness
    finally:
        await harness.__aexit__(None, None, None)


async def unit_code_of(harness: BotHarness, code: str) -> str | None:
    tip = await harness.app.services.tips.tips.by_code(code)
    assert tip is not None
    if tip.unit_id is None:
        return None
    unit = await harness.app.services.units.by_id(tip.unit_id)
    assert unit is not None
    return unit.code


def test_haversine_matches_a_known_distance() -> None:
    # A degree along a meridian is 111.19 km on the mean sphere; one of longitude at 60° is half.
    assert distance_km(10.0, 105.0, 11.0, 105.0) == pytest.approx(111.195, abs=0.01)
    assert distance_km(60.0, 0.0, 60.0, 1.0) == pytest.approx(55.6, abs=0.05)
    assert distance_km(10.0, 105.0, 10.0, 105.0) == 0


async def test_a_pin_near_a_commune_goes_to_that_commune_and_its_chat(bot: BotHarness) -> None:
    code = await submit(bot, RESIDENT, Answers(location=NEAR_VINH_THANH))
    # Within 15 km of the province, the district and both communes: the nearest commune wins.
    assert await unit_code_of(bot, code) == "VT"
    await deliver(bot)
    assert bot.api.sent_messages(OFFICERS) == []
    card = visible(bot.api.sent_messages(COMMUNE_CHAT)[0])
    assert code in card
    assert "Phường Vĩnh Thanh" in card
    assert bot.api.sent_messages(DISTRICT_CHAT) == []


async def test_a_pin_nearer_another_commune_goes_there(bot: BotHarness) -> None:
    code = await submit(bot, RESIDENT, Answers(location=(9.9710, 105.1190)))
    assert await unit_code_of(bot, code) == "RS"
    await deliver(bot)
    # Rạch Sỏi has no chat of its own: its district's.
    assert code in visible(bot.api.sent_messages(DISTRICT_CHAT)[0])


async def test_a_pin_far_from_every_centroid_stays_without_a_unit(bot: BotHarness) -> None:
    code = await submit(bot, RESIDENT, Answers(location=FAR_AWAY))
    assert await unit_code_of(bot, code) is None
    await deliver(bot)
    assert code in visible(bot.api.sent_messages(OFFICERS)[0])
    assert bot.api.sent_messages(COMMUNE_CHAT) == []


async def test_a_retired_commune_is_skipped_for_its_district(database_path: Path) -> None:
    retired = TREE.replace(f"1,{COMMUNE_CHAT},10.0150", f"0,{COMMUNE_CHAT},10.0150")
    assert retired != TREE
    harness = await started(database_path, retired)
    try:
        code = await submit(harness, RESIDENT, Answers(location=NEAR_VINH_THANH))
        # Rạch Sỏi (5 km away) is still within the radius and deeper than the district.
        assert await unit_code_of(harness, code) == "RS"
        await deliver(harness)
        assert harness.api.sent_messages(COMMUNE_CHAT) == []
    finally:
        await harness.__aexit__(None, None, None)


async def test_a_small_radius_keeps_only_the_units_within_it(database_path: Path) -> None:
    harness = await started(database_path, routing_radius_km=1)
    try:
        code = await submit(harness, RESIDENT, Answers(location=(9.9800, 105.1000)))
        # 2.4 km from Rạch Sỏi, 4 km from the district: nothing within 1 km.
        assert await unit_code_of(harness, code) is None
    finally:
        await harness.__aexit__(None, None, None)


async def test_a_radius_of_zero_turns_routing_off(database_path: Path) -> None:
    harness = await started(database_path, routing_radius_km=0)
    try:
        code = await submit(harness, RESIDENT, Answers(location=NEAR_VINH_THANH))
        assert await unit_code_of(harness, code) is None
        await deliver(harness)
        assert code in visible(harness.api.sent_messages(OFFICERS)[0])
    finally:
        await harness.__aexit__(None, None, None)


async def test_a_typed_address_is_not_routed(bot: BotHarness) -> None:
    code = await submit(bot, RESIDENT, Answers(address="Hẻm 12 đường Nguyễn Trung Trực"))
    assert await unit_code_of(bot, code) is None


async def test_centroids_round_trip_and_an_older_file_keeps_them(bot: BotHarness) -> None:
    units = bot.app.services.units
    exported = await units.export_csv()
    assert "VT,RG,commune,Phường Vĩnh Thanh,Vinh Thanh Ward,1,-1009990101,10.015,105.085" in (
        exported
    )
    # A file without lat/lon columns (written before centroids) leaves them as they are.
    older = "code,parent_code,level,name_vi,name_en,active\nVT,RG,commune,Phường Vĩnh Thanh,,1\n"
    assert (await units.import_csv(older.encode(), bot.clock.now())).ok
    commune = await units.by_code("VT")
    assert commune is not None
    assert (commune.latitude, commune.longitude) == (10.015, 105.085)
    # Emptying both cells removes the centroid; a comma as decimal mark is read (Excel, vi).
    cleared = (
        HEADER + 'VT,RG,commune,Phường Vĩnh Thanh,,1,,,\nRS,RG,commune,Rạch Sỏi,,1,,"9,5",105\n'
    )
    assert (await units.import_csv(cleared.encode(), bot.clock.now())).ok
    commune, rach_soi = await units.by_code("VT"), await units.by_code("RS")
    assert commune is not None
    assert rach_soi is not None
    assert (commune.latitude, commune.longitude) == (None, None)
    assert (rach_soi.latitude, rach_soi.longitude) == (9.5, 105.0)


@pytest.mark.parametrize(
    ("row", "english", "vietnamese"),
    [
        (
            "X,,province,Tỉnh X,,1,,91,105",
            "lat must be a number of degrees between -90 and 90",
            "lat phải là số độ từ -90 đến 90",
        ),
        (
            "X,,province,Tỉnh X,,1,,10,-181",
            "lon must be a number of degrees between -180 and 180",
            "lon phải là số độ từ -180 đến 180",
        ),
        ("X,,province,Tỉnh X,,1,,north,105", "not “north”", "không phải “north”"),
        ("X,,province,Tỉnh X,,1,,10,", "lat and lon go together", "lat và lon đi cùng nhau"),
        ("X,,province,Tỉnh X,,1,,,105", "lat and lon go together", "lat và lon đi cùng nhau"),
    ],
)
async def test_a_bad_centroid_refuses_the_file_naming_its_line(
    bot: BotHarness, row: str, english: str, vietnamese: str
) -> None:
    units = bot.app.services.units
    before = await units.count()
    good = "Y,,province,Tỉnh Y,,1,,10,105"
    plan = await units.import_csv((HEADER + good + "\n" + row + "\n").encode(), bot.clock.now())
    assert not plan.ok
    assert [error.line for error in plan.errors] == [3]
    assert english in plan.errors[0].plain(translator("en"))
    assert vietnamese in plan.errors[0].plain(translator("vi"))
    # Nothing of the file is written, not even its good row.
    assert await units.count() == before
    assert await units.by_code("Y") is None


@pytest.mark.parametrize("value", ["-1", "far", "501"])
def test_a_bad_routing_radius_stops_start_up_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ROUTING_RADIUS_KM", value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith("ROUTING_RADIUS_KM: ")
    assert "\n" not in message


def test_the_routing_radius_defaults_to_15_km(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTING_RADIUS_KM", raising=False)
    assert load_settings(_env_file=None).routing_radius_km == 15
