"""CSV import and export of the unit tree: all rows checked before anything is written."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from bot.db import Database, migrate
from bot.kernel.i18n import translator
from bot.units.csvio import BOM, check_units_csv, export_units_csv, import_units_csv
from bot.units.repository import UnitsRepository
from tests.officers.conftest import pre_reform_csv

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "code,parent_code,level,name_vi,name_en,active\n"
EN = translator("en")


def sample() -> bytes:
    return (resources.files("bot") / "data" / "kien_giang_units.csv").read_bytes()


def pre_reform() -> bytes:
    """The shipped file with Kiên Giang's tree active, as it stood before 1 July 2025."""
    return pre_reform_csv()


@pytest.fixture
async def units(database_path: Path) -> AsyncIterator[UnitsRepository]:
    db = Database(database_path)
    await db.open()
    await migrate(db)
    yield UnitsRepository(db)
    await db.close()


async def test_the_sample_holds_an_giang_today_and_kien_giang_retired_below_it(
    units: UnitsRepository,
) -> None:
    plan = await import_units_csv(units, sample(), NOW)
    assert plan.ok
    rows = sample().decode("utf-8").splitlines()[1:]
    assert (plan.created, plan.updated) == (len(rows), 0)
    an_giang = await units.by_code("AG")
    assert an_giang is not None
    assert (an_giang.name_vi, an_giang.name_en, an_giang.active, an_giang.parent_id) == (
        "Tỉnh An Giang",
        "An Giang Province",
        True,
        None,
    )
    below = {unit.code: unit for unit in await units.children(an_giang.id)}
    today = {code: unit for code, unit in below.items() if unit.active}
    assert {unit.name_vi for unit in today.values()} == {
        "Phường Rạch Giá",
        "Phường Vĩnh Thông",
        "Phường Hà Tiên",
        "Phường Tô Châu",
        "Đặc khu Phú Quốc",
        "Đặc khu Kiên Hải",
        "Đặc khu Thổ Châu",
    }
    # Two levels today: the communes have nothing below them, and each has a centroid.
    for unit in today.values():
        assert await units.children(unit.id) == []
        assert unit.latitude is not None
        assert unit.longitude is not None
    # The old tree is kept for history, retired as a whole, below An Giang (so its figures roll up).
    kien_giang = below["KG"]
    assert (kien_giang.name_vi, kien_giang.active) == ("Tỉnh Kiên Giang", False)
    districts = await units.children(kien_giang.id)
    assert len(districts) == 15
    assert {unit.level for unit in districts} == {"district"}
    assert {unit.name_vi for unit in districts} >= {
        "Thành phố Rạch Giá",
        "Thành phố Hà Tiên",
        "Thành phố Phú Quốc",
        "Huyện Giồng Riềng",
        "Huyện U Minh Thượng",
        "Huyện Vĩnh Thuận",
        "Huyện Hòn Đất",
    }
    old = [unit for unit in await units.all() if unit.code.startswith("KG")]
    assert len(old) == 28
    assert not any(unit.active for unit in old)
    assert set(await units.subtree_ids(an_giang.id)) >= {unit.id for unit in old}
    rach_gia = await units.by_code("KG-RG")
    assert rach_gia is not None
    assert len(await units.children(rach_gia.id)) == 12
    assert all(unicodedata.is_normalized("NFC", unit.name_vi) for unit in await units.all())


async def test_todays_search_offers_the_new_units_and_never_the_retired(
    units: UnitsRepository,
) -> None:
    assert (await import_units_csv(units, sample(), NOW)).ok
    assert [unit.code for unit in await units.search("rach gia")] == ["AG-RG"]
    assert await units.search("chau thanh") == []
    everything = await units.search("rach gia", active_only=False)
    assert {unit.code for unit in everything} >= {"AG-RG", "KG-RG"}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("rach gia", "KG-RG"),
        ("Rạch Giá", "KG-RG"),
        ("RACH GIA", "KG-RG"),
        (unicodedata.normalize("NFD", "Rạch Giá"), "KG-RG"),
        ("giong rieng", "KG-GR"),
        ("GIỒNG RIỀNG", "KG-GR"),
        ("u minh thuong", "KG-UMT"),
        ("hon dat", "KG-HD"),
        ("Hòn Đất", "KG-HD"),
        (unicodedata.normalize("NFD", "Vĩnh Thanh Vân"), "KG-RG-VTV"),
        ("rach soi", "KG-RG-RS"),
        ("Go Quao District", "KG-GQ"),
    ],
)
async def test_real_vietnamese_names_are_found_whatever_the_accents(
    units: UnitsRepository, query: str, code: str
) -> None:
    await import_units_csv(units, pre_reform(), NOW)
    found = await units.search(query)
    assert found
    assert found[0].code == code


async def test_names_in_nfd_are_stored_in_nfc(units: UnitsRepository) -> None:
    nfd = unicodedata.normalize("NFD", "Xã Mỹ Lâm")
    assert nfd != "Xã Mỹ Lâm"
    csv = HEADER + f"HD,,district,{unicodedata.normalize('NFD', 'Huyện Hòn Đất')},,1\n"
    csv += f"HD-ML,HD,commune,{nfd},My Lam Commune,1\n"
    plan = await import_units_csv(units, csv.encode(), NOW)
    assert plan.ok
    unit = await units.by_code("HD-ML")
    assert unit is not None
    assert unit.name_vi == "Xã Mỹ Lâm"
    assert (await units.search("my lam"))[0].code == "HD-ML"
    assert (await units.search("Mỹ Lâm"))[0].code == "HD-ML"


async def test_one_bad_row_writes_nothing_and_is_listed_with_its_line(
    units: UnitsRepository,
) -> None:
    lines = pre_reform().decode("utf-8").splitlines()
    lines.insert(10, "KG-XX,KG-NOWHERE,district,Huyện Không Có,,1")
    plan = await import_units_csv(units, "\n".join(lines).encode(), NOW)
    assert not plan.ok
    assert [(error.line, error.plain(EN)) for error in plan.errors] == [
        (11, "parent “KG-NOWHERE” is neither in this file nor among the existing units")
    ]
    assert await units.count() == 0


def _rows(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (
            _rows("A,,province,Tỉnh A,,1", "A,,province,Tỉnh A bis,,1"),
            3,
            "code “A” is already used on line 2",
        ),
        (
            _rows("A,,province,Tỉnh A,,1", "a,,province,Tỉnh a,,1"),
            3,
            "code “a” is already used on line 2",
        ),
        (_rows("A,,province,,Province A,1"), 2, "name_vi (the Vietnamese name) is empty"),
        (_rows("A,,Province Level,Tỉnh A,,1"), 2, "level “province level” is not a label"),
        (_rows("A,,,Tỉnh A,,1"), 2, "the level is empty"),
        (
            _rows("A,,province,Tỉnh A,,maybe"),
            2,
            "active must be 1 (active) or 0 (retired), not “maybe”",
        ),
        (_rows(",,province,Tỉnh A,,1"), 2, "the code is empty"),
        (_rows("Á B,,province,Tỉnh A,,1"), 2, "code “Á B” may only use letters A–Z"),
        (_rows("A,A,province,Tỉnh A,,1"), 2, "unit “A” cannot be its own parent"),
        (
            _rows("A,B,province,Tỉnh A,,1", "B,A,district,Huyện B,,1"),
            2,
            "the parents go round in a circle: A → B → A",
        ),
        (
            _rows("A,,province,Tỉnh A,,0", "B,A,district,Huyện B,,1"),
            3,
            "unit “B” is active but its parent “A” is retired",
        ),
        (_rows("A,,province,Tỉnh A,,1,extra"), 2, "7 fields, but the header names 6"),
        (_rows("A,,province," + "Đ" * 201 + ",,1"), 2, "name_vi is longer than 200 characters"),
        (_rows('A,,province,"Tỉnh\nA",,1'), 2, "name_vi contains a line break"),
        (
            _rows("A,,province,Tỉnh A,,1", header="code,parent,level,name_vi\n"),
            1,
            "unknown column “parent”",
        ),
        (_rows("A,,Tỉnh A", header="code,parent_code,name_vi\n"), 1, "column “level” is missing"),
        (_rows("A,A", header="code,code\n"), 1, "column “code” appears twice"),
        (b"", 1, "the file is empty"),
        (HEADER.encode(), 1, "the file has a header but no units"),
        (b"code,level,name_vi\nA,province,T\xe1nh A\n", 2, "the file is not UTF-8 text"),
        (
            _rows("A,,province,Tỉnh A,,1,-100x", header=HEADER.strip() + ",chat_id\n"),
            2,
            "chat_id must be a Telegram chat id",
        ),
        (
            _rows("A,,province,Tỉnh A,,1", "B,A,district," + "x" * 10_000 + ",,1"),
            3,
            "name_vi is longer than 200",
        ),
    ],
)
async def test_every_kind_of_bad_row_is_reported_with_line_and_reason(
    units: UnitsRepository, data: bytes, line: int, reason: str
) -> None:
    plan = await import_units_csv(units, data, NOW)
    assert not plan.ok
    assert any(error.line == line and reason in error.plain(EN) for error in plan.errors), [
        (error.line, error.plain(EN)) for error in plan.errors
    ]
    assert await units.count() == 0
    assert all(len(error.plain(EN)) < 400 for error in plan.errors)


async def test_every_problem_of_a_file_is_listed_at_once(units: UnitsRepository) -> None:
    plan = await check_units_csv(
        units,
        _rows(
            "A,,province,Tỉnh A,,1",
            "B,Z,district,Huyện B,,1",
            "C,A,district,,,1",
            "A,,province,Tỉnh A,,1",
        ),
    )
    assert [error.line for error in plan.errors] == [3, 4, 5]


async def test_a_cycle_through_existing_units_is_refused(units: UnitsRepository) -> None:
    assert (await import_units_csv(units, pre_reform(), NOW)).ok
    # Moving the province under one of its own wards would close a circle.
    plan = await import_units_csv(units, _rows("KG,KG-RG-VT,province,Tỉnh Kiên Giang,,1"), NOW)
    assert [error.plain(EN) for error in plan.errors] == [
        "the parents go round in a circle: KG → KG-RG-VT → KG-RG → KG"
    ]
    province = await units.by_code("KG")
    assert province is not None
    assert province.parent_id is None


async def test_retiring_a_unit_needs_its_active_units_below_retired_too(
    units: UnitsRepository,
) -> None:
    assert (await import_units_csv(units, pre_reform(), NOW)).ok
    plan = await import_units_csv(units, _rows("KG-RG,KG,district,Thành phố Rạch Giá,,0"), NOW)
    assert len(plan.errors) == 1
    assert (
        plan.errors[0]
        .plain(EN)
        .startswith(
            "unit “KG-RG” is retired but these active units below it are not in the file: "
            "KG-RG-AB, KG-RG-AH, KG-RG-PT, KG-RG-RS, KG-RG-VB, …"
        )
    )
    # Retiring the whole branch in one file is fine (2025: districts were abolished).
    rach_gia = [
        line.rsplit(",", 4)[0] + ",0,"
        for line in pre_reform().decode().splitlines()
        if line.startswith("KG-RG")
    ]
    plan = await import_units_csv(
        units, _rows(*rach_gia, header=HEADER.strip() + ",chat_id\n"), NOW
    )
    assert plan.ok, plan.errors
    assert plan.updated == 13
    assert [unit.code for unit in await units.search("rach gia")] == []
    assert [unit.code for unit in await units.search("rach gia", active_only=False)] == ["KG-RG"]


async def test_reimport_updates_in_place_and_moves_units(units: UnitsRepository) -> None:
    assert (await import_units_csv(units, pre_reform(), NOW)).ok
    rach_gia = await units.by_code("KG-RG")
    plan = await import_units_csv(
        units,
        _rows(
            "AG,,province,Tỉnh An Giang,An Giang Province,1",
            "KG-RG-VT,AG,commune,Phường Vĩnh Thanh,,1",
        ),
        NOW,
    )
    assert (plan.created, plan.updated) == (1, 1)
    moved = await units.by_code("KG-RG-VT")
    new_province = await units.by_code("AG")
    assert moved is not None
    assert new_province is not None
    assert rach_gia is not None
    assert moved.parent_id == new_province.id
    assert moved.name_en is None
    assert await units.by_code("KG-RG") == rach_gia


async def test_semicolons_bom_and_crlf_from_excel_are_read(units: UnitsRepository) -> None:
    excel = (BOM + "code;parent_code;level;name_vi\r\nKG;;province;Tỉnh Kiên Giang\r\n").encode()
    plan = await import_units_csv(units, excel, NOW)
    assert plan.ok, plan.errors
    assert await units.by_code("KG") is not None


async def test_chat_ids_are_kept_unless_the_file_has_the_column(units: UnitsRepository) -> None:
    with_chat = HEADER.strip() + ",chat_id\n" + "KG,,province,Tỉnh Kiên Giang,,1,-1001234567890\n"
    assert (await import_units_csv(units, with_chat.encode(), NOW)).ok
    assert (await import_units_csv(units, _rows("KG,,province,Tỉnh Kiên Giang,,1"), NOW)).ok
    unit = await units.by_code("KG")
    assert unit is not None
    assert unit.chat_id == -1001234567890
    cleared = HEADER.strip() + ",chat_id\n" + "KG,,province,Tỉnh Kiên Giang,,1,\n"
    assert (await import_units_csv(units, cleared.encode(), NOW)).ok
    unit = await units.by_code("KG")
    assert unit is not None
    assert unit.chat_id is None


async def test_export_then_import_gives_the_same_tree(
    units: UnitsRepository, tmp_path: Path
) -> None:
    assert (await import_units_csv(units, pre_reform(), NOW)).ok
    exported = await export_units_csv(units)
    assert exported.splitlines()[0] == (
        "code,parent_code,level,name_vi,name_en,active,chat_id,lat,lon"
    )
    assert exported.splitlines()[1] == (
        "KG,,province,Tỉnh Kiên Giang,Kien Giang Province,1,,10.0125,105.0809"
    )
    assert (await export_units_csv(units, bom=True)).startswith(BOM)
    other = Database(tmp_path / "other.sqlite3")
    await other.open()
    try:
        await migrate(other)
        copy = UnitsRepository(other)
        plan = await import_units_csv(copy, (BOM + exported).encode(), NOW)
        assert plan.ok
        assert await export_units_csv(copy) == exported
    finally:
        await other.close()
