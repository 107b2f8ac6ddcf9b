"""/stats speaks both languages and counts the tips of no unit where /tips lists them."""

from __future__ import annotations

from datetime import datetime

from bot.kernel.periods import Period
from bot.officers.service import Actor
from bot.testing.updates import Person
from tests.figures.conftest import ADMIN_EN, OFFICER_RG, Figures, seen

PROVINCE_OFFICER = Person(id=7100011, first_name="Cán bộ tỉnh")
PROVINCE_OFFICER_EN = Person(id=7100012, first_name="Province", language_code="en")


async def _add_tip(figures: Figures, code: str, unit: str | None, status: str) -> None:
    now = datetime.now(figures.bot.settings.zone).isoformat()
    unit_id = None if unit is None else await figures.unit_id(unit)
    async with figures.bot.app.services.db.transaction() as conn:
        await conn.execute(
            """
            INSERT INTO tips (code, submission_key, category, legal_type, legal_type_source,
                story, place_kind, unit_id, occurred, anonymous, reporter_pseudonym,
                language, status, received_at, decision_deadline, first_action_at, updated_at)
            VALUES (?, ?, 'drugs', 'to_giac', 'category', 'chuyện', 'unit', ?, 'unknown', 1,
                'pseudonym', 'vi', ?, ?, ?, ?, ?)
            """,
            (code, f"key-{code}", unit_id, status, now, now[:10], now, now),
        )


async def _three_tips(figures: Figures) -> str:
    """Write a tip of Vĩnh Thanh and two of no unit; return this year's period label."""
    await _add_tip(figures, "TB-TEST-0001", "KG-RG-VT", "taken")
    await _add_tip(figures, "TB-TEST-0002", None, "spam")
    await _add_tip(figures, "TB-TEST-0003", None, "unfounded")
    services = figures.bot.app.services
    province = await services.units.by_code("KG")
    await services.officers.add(Actor.cli(), PROVINCE_OFFICER.id, "officer", province)
    await services.officers.add(Actor.cli(), PROVINCE_OFFICER_EN.id, "officer", province)
    await services.set_language(PROVINCE_OFFICER_EN.id, "en")
    return Period.year(datetime.now(figures.bot.settings.zone).year).label()


async def _ask(figures: Figures, person: Person, text: str) -> str:
    await figures.bot.say(person, text)
    return seen(figures.bot, person)


async def test_a_province_officer_counts_the_tips_of_no_unit_in_vietnamese(
    figures: Figures,
) -> None:
    period = await _three_tips(figures)
    stats = await _ask(figures, PROVINCE_OFFICER, f"/stats {period}")
    assert "Tổng số tin tiếp nhận: 3" in stats
    assert "Trong đó chưa rõ đơn vị: 2" in stats
    statuses = next(line for line in stats.splitlines() if line.startswith("Theo trạng thái"))
    for label in ("Đang xử lý 1", "Tin rác 1", "Không có cơ sở 1"):
        assert label in statuses
    for code in ("spam", "taken", "unfounded"):
        assert code not in statuses
    # /tips all lists the same three tips to the same officer.
    listing = await _ask(figures, PROVINCE_OFFICER, "/tips all")
    for code in ("TB-TEST-0001", "TB-TEST-0002", "TB-TEST-0003"):
        assert code in listing


async def test_a_province_officer_reads_statuses_and_unknown_units_in_english(
    figures: Figures,
) -> None:
    period = await _three_tips(figures)
    for person in (PROVINCE_OFFICER_EN, ADMIN_EN):
        stats = await _ask(figures, person, f"/stats {period} KG")
        assert "Tips received: 3" in stats
        assert "Of which unit unknown: 2" in stats
        assert "By status:" in stats
        for label in ("Taken 1", "Spam 1", "Unfounded 1"):
            assert label in stats


async def test_a_district_officer_does_not_count_the_tips_of_no_unit(figures: Figures) -> None:
    period = await _three_tips(figures)
    stats = await _ask(figures, OFFICER_RG, f"/stats {period}")
    assert "Tổng số tin tiếp nhận: 1" in stats
    assert "chưa rõ đơn vị" not in stats
