"""Each legal type on its own clock: art. 147 for crime reports, the unit's target otherwise."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.clock import Clock
from bot.kernel.i18n import Language
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.deadlines import (
    CLOCK_ART_147,
    CLOCK_SERVICE,
    Extension,
    extended_deadline,
    first_deadline,
    follows_art_147,
    reclassified_clock,
)
from tests.officers.conftest import OFFICER_RG
from tests.tips.flow import Answers, submit, visible

from .conftest import (
    ENGLISH_TIPSTER,
    TIPSTER,
    audit_rows,
    card,
    events,
    fresh,
    open_desk,
    plant,
    press,
    press_data,
    signed,
)

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # 10:00 on 10 January in Vietnam
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_only_crime_reports_run_on_art_147() -> None:
    assert follows_art_147("to_giac")
    assert follows_art_147("tin_bao")
    assert follows_art_147("kien_nghi_khoi_to")
    assert not follows_art_147("phan_anh")
    assert first_deadline(T0, ZONE, "to_giac", 15) == date(2026, 1, 30)
    assert first_deadline(T0, ZONE, "phan_anh", 15) == date(2026, 1, 25)
    assert first_deadline(T0, ZONE, "phan_anh", 7) == date(2026, 1, 17)


def test_a_reclassification_changes_the_clock_only_across_the_statute() -> None:
    def clock(old: str, new: str) -> tuple[str, date] | None:
        return reclassified_clock(
            old, new, received_at=T0, today=date(2026, 1, 14), zone=ZONE, service_days=15
        )

    assert clock("to_giac", "tin_bao") is None
    assert clock("phan_anh", "phan_anh") is None
    assert clock("phan_anh", "to_giac") == (CLOCK_ART_147, date(2026, 2, 3))
    assert clock("tin_bao", "phan_anh") == (CLOCK_SERVICE, date(2026, 1, 25))


def test_an_extension_counts_from_the_clock_in_force_not_the_receipt() -> None:
    # The art. 147 clock started on 14 January (deadline 3 February): 2 months run to 14 March.
    assert extended_deadline(date(2026, 2, 3), Extension.NONE, Extension.COMPLEX) == date(
        2026, 3, 14
    )
    assert extended_deadline(date(2026, 3, 14), Extension.COMPLEX, Extension.PROCURACY) == date(
        2026, 5, 14
    )
    with pytest.raises(ValueError, match="no extension"):
        extended_deadline(date(2026, 2, 3), Extension.NONE, Extension.PROCURACY)


@pytest.mark.parametrize(
    ("person", "language", "cited", "target"),
    [
        (TIPSTER, "vi", "Điều 147", "mục tiêu phục vụ của đơn vị, không phải thời hạn luật định"),
        (ENGLISH_TIPSTER, "en", "article 147", "the unit's own service target, not a legal"),
    ],
)
async def test_a_neighbourhood_quarrel_gets_the_units_target_not_art_147(
    database_path: Path, person: Person, language: Language, cited: str, target: str
) -> None:
    desk = await open_desk(database_path, clock=Clock(start=T0), service_target_days=12)
    try:
        await desk.app.services.set_language(person.id, language)
        answers = Answers(category="dispute", story=("Hàng xóm cãi nhau về lối đi chung.",))
        code = await submit(desk, person, answers, language=language)
        receipt = visible(desk.api.last_message(person.id))
        assert cited not in receipt
        assert target in receipt
        assert "12" in receipt
        assert "22/01/2026" in receipt
        tip = await desk.app.services.tips.tips.by_code(code)
        assert tip is not None
        assert (tip.legal_type, tip.decision_deadline) == ("phan_anh", date(2026, 1, 22))
        shown = await card(desk, tip)
        assert "Mục tiêu trả lời của đơn vị (12 ngày): 22/01/2026" in shown.plain_text
        assert "Hạn giải quyết (20 ngày)" not in shown.plain_text
        assert all("⏳ Gia hạn…" not in row for row in shown.buttons())
        # A crime report still cites art. 147, in the same language.
        crime = await submit(desk, person, Answers(), language=language)
        assert cited in visible(desk.api.last_message(person.id))
        stored = await desk.app.services.tips.tips.by_code(crime)
        assert stored is not None
        assert stored.decision_deadline == date(2026, 1, 30)
    finally:
        await desk.stop()


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("vi", "Phản ánh, kiến nghị không có gia hạn theo Điều 147"),
        ("en", "A “phản ánh” (report or request) has no art. 147 extension"),
    ],
)
async def test_a_forged_extension_of_a_phan_anh_is_refused(
    desk: BotHarness, language: Language, refusal: str
) -> None:
    await desk.app.services.set_language(OFFICER_RG.id, language)
    tip = await plant(desk, status="verifying", legal_type="phan_anh", category="dispute")
    shown = await card(desk, tip)
    answer = await press_data(desk, OFFICER_RG, shown, signed(desk, "x", tip, "1"))
    assert str(answer["text"]).startswith(refusal)
    after = await fresh(desk, tip)
    assert (after.extension, after.decision_deadline) == ("none", tip.decision_deadline)
    assert await audit_rows(desk, "tip.extend") == []


@pytest.mark.parametrize(
    ("language", "started", "fallback"),
    [
        (
            "vi",
            "bắt đầu tính thời hạn 20 ngày theo Điều 147 BLTTHS từ hôm nay: hạn 03/02/2026",
            "áp dụng mục tiêu trả lời của đơn vị, hạn 25/01/2026",
        ),
        (
            "en",
            "the 20-day clock of Criminal Procedure Code art. 147 starts today: due 03/02/2026",
            "the unit's answer target applies, due 25/01/2026",
        ),
    ],
)
async def test_reclassifying_a_phan_anh_as_a_crime_report_starts_art_147_that_day(
    database_path: Path, language: Language, started: str, fallback: str
) -> None:
    clock = Clock(start=T0)
    desk = await open_desk(database_path, clock=clock)
    try:
        await desk.app.services.set_language(OFFICER_RG.id, language)
        tip = await plant(desk, status="taken", legal_type="phan_anh", category="dispute")
        assert tip.decision_deadline == date(2026, 1, 25)
        shown = await card(desk, tip)
        clock.advance(timedelta(days=4))  # 14 January: the quarrel turns out to hide a crime
        # The card speaks the chat's language (Vietnamese); /tip speaks the officer's.
        legal = "⚖️ Phân loại…"
        menu = await press(desk, OFFICER_RG, shown, legal)
        after = await press(desk, OFFICER_RG, menu, "Tố giác tội phạm")
        stored = await fresh(desk, tip)
        assert (stored.legal_type, stored.decision_deadline) == ("to_giac", date(2026, 2, 3))
        assert "Hạn giải quyết (20 ngày): 03/02/2026" in after.plain_text
        assert [row["note"] for row in await events(desk, tip) if row["event"] == "clock"] == [
            "art147:2026-02-03"
        ]
        details = json.loads((await audit_rows(desk, "tip.legal_type"))[-1]["details"])
        assert details == {"from": "phan_anh", "to": "to_giac", "deadline": "2026-02-03"}
        # Now on art. 147, it may be extended: 2 months from the clock's own start.
        extend = "⏳ Gia hạn…"
        menu = await press(desk, OFFICER_RG, after, extend)
        extended = await press(desk, OFFICER_RG, menu, "⏳ 2 tháng (vụ việc phức tạp)")
        assert (await fresh(desk, tip)).decision_deadline == date(2026, 3, 14)
        # Back to «phản ánh»: the statute and its extension no longer apply.
        menu = await press(desk, OFFICER_RG, extended, legal)
        back = await press(desk, OFFICER_RG, menu, "Phản ánh")
        stored = await fresh(desk, tip)
        assert (stored.legal_type, stored.extension) == ("phan_anh", "none")
        assert stored.decision_deadline == date(2026, 1, 25)
        assert all(extend not in row for row in back.buttons())
        await desk.say(OFFICER_RG, f"/tip {tip.code}")
        full = "\n".join(desk.texts(OFFICER_RG.id))
        assert started in full
        assert fallback in full
    finally:
        await desk.stop()
