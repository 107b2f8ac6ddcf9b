"""/audit in sentences: every kind the code writes is said in words, in Vietnamese and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.audit import AuditEntry
from bot.audit.actions import AUDIT_ACTIONS, UnknownAuditAction
from bot.kernel.i18n import Language, translator
from bot.triage.audit_text import SENTENCE_KEYS, VALUES, audit_sentence
from tests.officers.conftest import ADMIN, NEWCOMER, OFFICER_RG
from tests.triage.conftest import audit_rows, card, deliver, open_desk, plant, press

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NAMES = {9100002: "Minh Lê", 9100003: "Tuấn Võ"}
# Each kind with details as its writer records them. A kind added to AUDIT_ACTIONS without a
# sample here fails the first test, so a new kind cannot reach /audit without a sentence.
SAMPLES: dict[str, tuple[str | None, dict[str, Any]]] = {
    "tip.status": ("tip:TB-AAAA-BBBB", {"from": "verified", "to": "closed", "outcome": "mediated"}),
    "tip.transfer": (
        "tip:TB-AAAA-BBBB",
        {"from": "taken", "from_unit": "KG-RG", "to": "Công an huyện Gò Quao"},
    ),
    "tip.assign": (
        "tip:TB-AAAA-BBBB",
        {"assignee": 9100003, "previous": None, "status": "taken"},
    ),
    "tip.note": ("tip:TB-AAAA-BBBB", {"length": 17}),
    "tip.extend": ("tip:TB-AAAA-BBBB", {"extension": "complex", "deadline": "2026-05-01"}),
    "tip.legal_type": (
        "tip:TB-AAAA-BBBB",
        {"from": "phan_anh", "to": "to_giac", "deadline": "2026-03-21"},
    ),
    "tip.view": ("tip:TB-AAAA-BBBB", {}),
    "tip.file": ("tip:TB-AAAA-BBBB", {"position": 2}),
    "relay.ask": ("tip:TB-AAAA-BBBB", {"message": 4}),
    "officer.add": (
        "officer:9100003",
        {"before": None, "after": {"active": True, "role": "officer", "unit": "KG-GQ"}},
    ),
    "officer.restore": (
        "officer:9100003",
        {
            "before": {"active": False, "role": "officer", "unit": "KG-GQ"},
            "after": {"active": True, "role": "officer", "unit": "KG-GQ"},
        },
    ),
    "officer.role": (
        "officer:9100003",
        {
            "before": {"active": True, "role": "officer", "unit": "KG-GQ"},
            "after": {"active": True, "role": "analyst", "unit": "KG-GQ"},
        },
    ),
    "officer.unit": (
        "officer:9100003",
        {
            "before": {"active": True, "role": "officer", "unit": "KG-GQ"},
            "after": {"active": True, "role": "officer", "unit": "KG-RG"},
        },
    ),
    "officer.remove": (
        "officer:9100003",
        {
            "before": {"active": True, "role": "officer", "unit": "KG-GQ"},
            "after": {"active": False, "role": "officer", "unit": "KG-GQ"},
        },
    ),
    "export.tips": ("unit:KG", {"format": "csv", "period": "2026", "rows": 12}),
    "export.report": ("unit:KG", {"period": "2026-Q1"}),
    "retention.purge": (
        "tip:TB-AAAA-BBBB",
        {"closed_at": "2025-01-01T00:00:00+00:00", "evidence": 3, "retention_days": 365},
    ),
}
WORDS: dict[Language, dict[str, str]] = {
    "vi": {
        "tip.status": "Minh Lê (9100002) chuyển TB-AAAA-BBBB từ «Đã xác minh – có giá trị» sang"
        " «Đã kết thúc»"
        " (kết quả: Hòa giải thành)",
        "tip.assign": "giao TB-AAAA-BBBB cho Tuấn Võ (9100003)",
        "tip.legal_type": "sửa phân loại TB-AAAA-BBBB: Phản ánh → Tố giác tội phạm"
        " (hạn 21/03/2026)",
        "officer.role": "đổi vai trò của cán bộ Tuấn Võ (9100003)",
        "retention.purge": "Hệ thống xóa danh tính người báo tin khỏi TB-AAAA-BBBB sau 365 ngày",
    },
    "en": {
        "tip.status": "Minh Lê (9100002) moved TB-AAAA-BBBB from “Verified – of value” to “Closed”"
        " (outcome: Mediated)",
        "tip.assign": "assigned TB-AAAA-BBBB to Tuấn Võ (9100003)",
        "tip.legal_type": "reclassified TB-AAAA-BBBB: Public order report (phản ánh) → Crime "
        "report (tố giác) (due 21/03/2026)",
        "officer.role": "changed the role of officer Tuấn Võ (9100003)",
        "retention.purge": "The system erased the tipster's identity from TB-AAAA-BBBB after 365",
    },
}


def _entry(action: str) -> AuditEntry:
    target, details = SAMPLES[action]
    actor = "system" if action == "retention.purge" else "officer:9100002"
    return AuditEntry(1, T0, actor, action, target, details)


def test_every_kind_written_has_a_sentence_and_a_sample() -> None:
    assert set(SAMPLES) == set(AUDIT_ACTIONS)
    assert set(SENTENCE_KEYS) == set(AUDIT_ACTIONS)
    assert set(VALUES) == set(AUDIT_ACTIONS)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("action", sorted(AUDIT_ACTIONS))
def test_each_kind_reads_as_a_sentence_without_code_or_json(
    action: str, language: Language
) -> None:
    said = audit_sentence(translator(language), _entry(action), NAMES)
    assert action not in said
    assert not re.search(r"[{}\[\]]|\"\w+\":", said), said
    assert "?" not in said, said  # every value the sample carries is said
    assert "TB-AAAA-BBBB" in said or "9100003" in said or "KG" in said
    if action in WORDS[language]:
        assert WORDS[language][action] in said


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_older_row_missing_details_still_reads_and_an_unknown_kind_shows_its_code(
    language: Language,
) -> None:
    t = translator(language)
    bare = audit_sentence(t, AuditEntry(2, T0, "cli", "tip.extend", "tip:TB-X", {}), NAMES)
    assert "?" in bare
    assert "{" not in bare
    old = audit_sentence(t, AuditEntry(3, T0, "officer:77", "tip.merge", None, {}), NAMES)
    assert old == "77: <code>tip.merge</code> · —"


async def test_a_kind_without_a_sentence_is_refused_and_nothing_is_written(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path)
    try:
        before = await audit_rows(desk)
        with pytest.raises(UnknownAuditAction):
            await desk.app.services.audit.record(at=T0, actor="system", action="tip.merge")
        assert await audit_rows(desk) == before
    finally:
        await desk.stop()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "vi",
            [
                "xem toàn bộ",
                "ghi chú nội bộ vào",
                "từ «Đã tiếp nhận» sang «Đang xử lý»",
                "thêm cán bộ",
                "Dòng lệnh (quản trị) thêm cán bộ",
            ],
        ),
        (
            "en",
            [
                "opened",
                "added an internal note to",
                "from “Received” to “Taken”",
                "added officer",
                "The command line added officer",
            ],
        ),
    ],
)
async def test_audit_through_the_bot_speaks_the_admins_language(
    database_path: Path, language: Language, expected: list[str]
) -> None:
    desk = await open_desk(database_path)
    try:
        await desk.app.services.set_language(ADMIN.id, language)
        tip = await plant(desk)
        shown = await card(desk, tip)
        await press(desk, OFFICER_RG, shown, "🙋 Nhận xử lý")
        await desk.say(OFFICER_RG, f"/tip {tip.code}")
        await desk.say(OFFICER_RG, f"/note {tip.code} Đã xác minh sơ bộ")
        await desk.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
        await deliver(desk)
        await desk.say(ADMIN, "/audit")
        page = desk.api.last_message(ADMIN.id).plain_text
        for words in expected:
            assert words in page, page
        for code in ("tip.status", "tip.view", "tip.note", "officer.add", '"from"'):
            assert code not in page
    finally:
        await desk.stop()
