"""The unit tree: any depth, lookups insensitive to case, diacritics and Unicode form."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db import Database, migrate
from bot.units.repository import UnitRecord, UnitsRepository

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def units(database_path: Path) -> AsyncIterator[UnitsRepository]:
    db = Database(database_path)
    await db.open()
    await migrate(db)
    repository = UnitsRepository(db)
    await repository.save_all(
        [
            UnitRecord("KG", "Tỉnh Kiên Giang", "Kien Giang Province", None, "province"),
            UnitRecord("KG-RG", "Thành phố Rạch Giá", "Rach Gia City", "KG", "district"),
            UnitRecord("KG-GQ", "Huyện Gò Quao", None, "KG", "district"),
            UnitRecord("KG-RG-VT", "Phường Vĩnh Thanh", None, "KG-RG", "commune"),
            UnitRecord("KG-RG-VT-1", "Khu phố 1", None, "KG-RG-VT", "quarter"),
            UnitRecord("KG-RG-VT-1-A", "Tổ dân phố A", None, "KG-RG-VT-1", "group"),
        ],
        NOW,
    )
    try:
        yield repository
    finally:
        # aiosqlite's threads are not daemons: an open connection would keep pytest from exiting.
        await db.close()


@pytest.mark.parametrize(
    "query",
    ["rach gia", "Rạch Giá", "RACH GIA", unicodedata.normalize("NFD", "Rạch Giá"), "  rạch   GIÁ "],
)
async def test_name_lookup_ignores_case_diacritics_and_form(
    units: UnitsRepository, query: str
) -> None:
    found = await units.search(query)
    assert found
    assert found[0].code == "KG-RG"


async def test_d_with_stroke_folds_to_d(units: UnitsRepository) -> None:
    await units.save_all([UnitRecord("KG-DH", "Xã Đông Hòa", None, "KG", "commune")], NOW)
    assert [unit.code for unit in await units.search("dong hoa")] == ["KG-DH"]


async def test_codes_match_exactly_and_case_insensitively(units: UnitsRepository) -> None:
    assert (await units.search("kg-gq"))[0].name_vi == "Huyện Gò Quao"
    unit = await units.by_code("kg-rg")
    assert unit is not None
    assert unit.name("en") == "Rach Gia City"
    gq = await units.by_code("KG-GQ")
    assert gq is not None
    assert gq.name("en") == "Huyện Gò Quao"  # no English name: the Vietnamese one


async def test_five_level_subtree_and_ancestors(units: UnitsRepository) -> None:
    province = await units.by_code("KG")
    leaf = await units.by_code("KG-RG-VT-1-A")
    assert province is not None
    assert leaf is not None
    assert len(await units.subtree_ids(province.id)) == 6
    assert [unit.code for unit in await units.ancestors(leaf.id)] == [
        "KG",
        "KG-RG",
        "KG-RG-VT",
        "KG-RG-VT-1",
        "KG-RG-VT-1-A",
    ]
    assert await units.is_within(leaf.id, province.id)
    gq = await units.by_code("KG-GQ")
    assert gq is not None
    assert not await units.is_within(leaf.id, gq.id)


async def test_two_level_tree_after_2025(units: UnitsRepository) -> None:
    await units.save_all(
        [
            UnitRecord("AG", "Tỉnh An Giang", "An Giang Province", None, "province"),
            UnitRecord("AG-RG", "Phường Rạch Giá", None, "AG", "commune"),
        ],
        NOW,
    )
    province = await units.by_code("AG")
    assert province is not None
    assert [unit.code for unit in await units.children(province.id)] == ["AG-RG"]
    assert len(await units.subtree_ids(province.id)) == 2
    # Same name in the old and the new tree: both are found, the exact matches first.
    assert {unit.code for unit in await units.search("rach gia")} >= {"KG-RG", "AG-RG"}


async def test_like_wildcards_in_a_query_are_literal(units: UnitsRepository) -> None:
    assert await units.search("%") == []
    assert await units.search("_") == []
