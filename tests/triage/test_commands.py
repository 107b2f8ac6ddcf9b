"""Officers' private commands, inside and outside the officer's subtree, and their bad input."""

from __future__ import annotations

import json

import pytest

from bot.kernel.periods import parse_period
from bot.kernel.status import Status
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.model import Tip
from bot.triage.model import TipQuery
from tests.officers.conftest import (
    ADMIN,
    ANALYST,
    DB_ADMIN,
    OFFICER_GQ,
    OFFICER_RG,
    RESIDENT,
    REVOKED,
)
from tests.tips.flow import Answers, submit

from .conftest import (
    OFFICERS,
    TIPSTER,
    UNKNOWN_COMMAND,
    audit_rows,
    card,
    deliver,
    events,
    fresh,
    plant,
    press,
)

STORY = "Có người bán ma túy ở đầu hẻm 12 mỗi tối, khoảng 9 giờ."


def last(harness: BotHarness, person: Person) -> str:
    return harness.api.last_message(person.id).plain_text


def since(harness: BotHarness, person: Person, count: int) -> list[str]:
    return [message.plain_text for message in harness.api.sent_messages(person.id)[count:]]


def commands_for(tip: Tip) -> dict[str, str]:
    """Every officers' command about one tip, with what a success says."""
    return {
        f"/tip {tip.code}": STORY,
        f"/assign {tip.code} {OFFICER_RG.id}": "do Lê Minh xử lý",
        f"/note {tip.code} Đã liên hệ tổ dân phố": "Đã ghi chú cho tin báo",
        f"/ask {tip.code} Người bán thường đi xe gì?": "Đang gửi câu hỏi",
        f"/transfer {tip.code} investigation": "Đã chuyển tin báo",
    }


async def test_an_officer_in_scope_can_use_every_command(desk: BotHarness) -> None:
    for command, success in commands_for(await plant(desk)).items():
        tip = await plant(desk)
        text = command.replace(command.split()[1], tip.code)
        before = len(desk.api.sent_messages(OFFICER_RG.id))
        await desk.say(OFFICER_RG, text)
        assert any(success in shown for shown in since(desk, OFFICER_RG, before)), text
    await desk.say(OFFICER_RG, "/nosuchcommand")
    unknown = last(desk, OFFICER_RG)
    for command in ("/tips", "/overdue"):
        await desk.say(OFFICER_RG, command)
        assert last(desk, OFFICER_RG) != unknown


@pytest.mark.parametrize(
    "person", [OFFICER_GQ, DB_ADMIN], ids=["officer of a sibling unit", "admin (control)"]
)
async def test_a_tip_outside_the_subtree_is_answered_like_a_code_that_does_not_exist(
    desk: BotHarness, person: Person
) -> None:
    tip = await plant(desk)
    missing = "TB-2345-6789"
    for command in commands_for(tip):
        await desk.say(person, command)
        answer = last(desk, person)
        if person is DB_ADMIN:
            assert "Không có tin báo" not in answer, command
            continue
        assert answer == f"Không có tin báo {tip.code} trong phạm vi đơn vị của bạn.", command
        await desk.say(person, command.replace(tip.code, missing))
        assert last(desk, person) == answer.replace(tip.code, missing)
        assert STORY not in "".join(since(desk, person, 0))
    if person is OFFICER_GQ:
        stored = await fresh(desk, tip)
        assert (stored.status, stored.assignee_id) == ("received", None)
        assert [row["event"] for row in await events(desk, tip)] == ["received"]


@pytest.mark.parametrize(
    "person", [RESIDENT, REVOKED, ANALYST], ids=["resident", "revoked officer", "analyst"]
)
async def test_people_who_are_not_case_workers_learn_nothing(
    desk: BotHarness, person: Person
) -> None:
    tip = await plant(desk)
    await desk.say(person, "/nosuchcommand")
    unknown = last(desk, person)
    assert UNKNOWN_COMMAND in unknown
    for command in [*commands_for(tip), "/tips", "/overdue", "/audit", f"/tips {tip.code}"]:
        before = len(desk.api.sent_messages(person.id))
        await desk.say(person, command)
        answers = since(desk, person, before)
        if command.startswith("/tip "):
            # "/tip CODE" is theirs too: it starts a tip, exactly as "/tip" does.
            assert answers[0].startswith("📨 Gửi tin báo"), answers
            await desk.say(person, "/cancel")
        else:
            assert answers == [unknown], command
        assert all(STORY not in answer and tip.code not in answer for answer in answers)
    stored = await fresh(desk, tip)
    assert (stored.status, stored.assignee_id) == ("received", None)
    assert await audit_rows(desk, "tip.view") == []


async def test_tip_code_for_a_resident_starts_a_tip_exactly_like_tip(desk: BotHarness) -> None:
    await desk.say(RESIDENT, "/tip")
    plain = [message.text for message in desk.api.sent_messages(RESIDENT.id)]
    await desk.say(RESIDENT, "/cancel")
    count = len(desk.api.sent_messages(RESIDENT.id))
    await desk.say(RESIDENT, "/tip TB-2345-6789")
    assert [message.text for message in desk.api.sent_messages(RESIDENT.id)[count:]] == plain


async def test_bad_input_gets_a_reason_not_a_crash(desk: BotHarness) -> None:
    tip = await plant(desk)
    two_units = " Mỗi biểu tượng cảm xúc hay chữ kiểu 𝐁 tính là hai."
    cases = {
        "/tip": None,  # an officer may send a tip too: the tip flow starts
        "/tip abc": "«abc» không phải là mã tin báo (mã có dạng TB-XXXX-XXXX).",
        "/tip TB-2345-6789 extra": "Cách dùng: /tip TB-XXXX-XXXX",
        "/note": "Cách dùng: /note TB-XXXX-XXXX nội dung.",
        f"/note {tip.code}": "Cách dùng: /note TB-XXXX-XXXX nội dung.",
        f"/note {tip.code} " + "x" * 10_000: (
            "Nội dung quá dài (10000 ký tự); tối đa 2000 ký tự." + two_units
        ),
        f"/ask {tip.code} " + "y" * 1001: (
            "Nội dung quá dài (1001 ký tự); tối đa 1000 ký tự." + two_units
        ),
        "/ask": "Cách dùng: /ask TB-XXXX-XXXX câu hỏi.",
        "/assign": "Cách dùng: /assign TB-XXXX-XXXX",
        f"/assign {tip.code} 12ab": "Cách dùng: /assign TB-XXXX-XXXX",
        f"/assign {tip.code} {OFFICER_GQ.id}": (
            f"Người có ID {OFFICER_GQ.id} không phải là cán bộ phụ trách đơn vị của tin báo này."
        ),
        f"/assign {tip.code} {ANALYST.id}": "không phải là cán bộ phụ trách",
        f"/transfer {tip.code}": "Cách dùng: /transfer TB-XXXX-XXXX ĐƠN_VỊ",
        f"/transfer {tip.code} Nowhere-Land": "Nowhere-Land",
        f"/transfer {tip.code} KG-RG-VT": "Tin báo đã thuộc đơn vị KG-RG-VT.",
        "/tips Nowhere-Land": "Nowhere-Land",
        "/audit": UNKNOWN_COMMAND,  # admins only
    }
    for text, expected in cases.items():
        before = len(desk.api.sent_messages(OFFICER_RG.id))
        await desk.say(OFFICER_RG, text)
        answers = since(desk, OFFICER_RG, before)
        if expected is None:
            assert answers[0].startswith("📨 Gửi tin báo")
            await desk.say(OFFICER_RG, "/cancel")
            continue
        assert len(answers) == 1, (text[:40], answers)
        assert expected in answers[0], (text[:40], answers[0])
    stored = await fresh(desk, tip)
    assert (stored.status, stored.assignee_id) == ("received", None)
    assert [row["event"] for row in await events(desk, tip)] == ["received"]
    # A sticker or an edited command is not a command.
    await desk.send(desk.updates.sticker(OFFICER_RG))
    assert last(desk, OFFICER_RG).startswith("Tôi chưa xử lý được loại nội dung này")


async def test_the_full_view_shows_everything_and_is_audited(desk: BotHarness) -> None:
    code = await submit(desk, TIPSTER, Answers(photos=2, location=(10.77, 106.70)))
    await deliver(desk)
    tip = await desk.app.services.tips.tips.by_code(code)
    assert tip is not None
    # A pin far from every unit centroid (Hồ Chí Minh City) has no unit: admins and officers at
    # the top of the tree see it.
    await desk.say(OFFICER_RG, f"/tip {code}")
    assert last(desk, OFFICER_RG) == f"Không có tin báo {code} trong phạm vi đơn vị của bạn."
    shown = await card(desk, tip)
    taken = await press(desk, DB_ADMIN, shown, "🙋 Nhận xử lý")
    assert "Người xử lý: Đỗ Quang" in taken.plain_text
    await desk.say(DB_ADMIN, f"/note {code} Đã cử tổ công tác xác minh.")
    await desk.say(DB_ADMIN, f"/ask {code} Người bán có đi một mình không?")
    before = len(desk.api.sent_messages(DB_ADMIN.id))
    await desk.say(DB_ADMIN, f"/tip {code}")
    view = desk.api.sent_messages(DB_ADMIN.id)[before:]
    assert [message.method for message in view] == [
        "sendMessage",
        "sendMessage",
        "sendLocation",
        "sendPhoto",
        "sendPhoto",
    ]
    head, history = view[0].plain_text, view[1].plain_text
    assert "Có người bán ma túy ở đầu hẻm mỗi tối" in head
    assert "Trạng thái: Đang xử lý" in head
    assert view[0].buttons()[0] == ["🔎 Xác minh", "❌ Không có cơ sở", "🚫 Tin rác"]
    for expected in (
        "Người báo tin: tiếp nhận tin báo",
        "Đỗ Quang: Đã tiếp nhận → Đang xử lý",
        "Đỗ Quang: 📝 ghi chú: Đã cử tổ công tác xác minh.",
        "Đỗ Quang: ❓ gửi câu hỏi cho người báo tin",
        "Trao đổi với người báo tin",
        "Người bán có đi một mình không?",
    ):
        assert expected in history, expected
    assert all(
        message.raw["reply_to_message"]["message_id"] == view[0].message_id for message in view[2:]
    )
    [viewed] = await audit_rows(desk, "tip.view")
    assert (viewed["actor"], viewed["target"]) == (f"officer:{DB_ADMIN.id}", f"tip:{code}")
    # Notes are internal: nothing about them reaches the tipster.
    await deliver(desk)
    assert all("tổ công tác" not in text for text in desk.texts(TIPSTER.id))


async def test_the_list_filters_and_pages_within_the_scope(desk: BotHarness) -> None:
    mine = [await plant(desk) for _ in range(11)]
    taken = await plant(desk, status="taken", category="fraud")
    closed = await plant(desk, status="closed")
    elsewhere = await plant(desk, unit="KG-GQ")
    await desk.say(OFFICER_RG, "/tips")
    page = desk.api.last_message(OFFICER_RG.id)
    assert "Tin báo 1–10 trên 12" in page.plain_text
    assert page.buttons()[-1] == ["Trang sau »"]
    assert elsewhere.code not in page.plain_text
    assert closed.code not in page.plain_text
    second = await press(desk, OFFICER_RG, page, "Trang sau »")
    assert "Tin báo 11–12 trên 12" in second.plain_text
    assert second.buttons()[-1] == ["« Trang trước"]
    listed = {tip.code for tip in [*mine, taken] if tip.code in page.plain_text + second.plain_text}
    assert listed == {tip.code for tip in [*mine, taken]}
    await desk.say(OFFICER_RG, "/tips taken fraud")
    assert "Tin báo 1–1 trên 1" in last(desk, OFFICER_RG)
    assert taken.code in last(desk, OFFICER_RG)
    await desk.say(OFFICER_RG, "/tips all KG-RG-VT")
    assert "trên 13" in last(desk, OFFICER_RG)
    await desk.say(OFFICER_RG, "/tips 2013")
    assert last(desk, OFFICER_RG) == (
        "Không có tin báo nào khớp bộ lọc trong phạm vi đơn vị của bạn."
    )
    await desk.say(OFFICER_GQ, "/tips")
    assert elsewhere.code in last(desk, OFFICER_GQ)
    assert mine[0].code not in last(desk, OFFICER_GQ)
    # A unit outside the subtree is not a filter one can use.
    await desk.say(OFFICER_GQ, "/tips KG-RG-VT")
    assert "KG-RG-VT" in last(desk, OFFICER_GQ)
    assert mine[0].code not in last(desk, OFFICER_GQ)
    # Opening from the list sends the full view, audited.
    before = len(desk.api.sent_messages(OFFICER_RG.id))
    await press(desk, OFFICER_RG, second, second.buttons()[0][0])
    assert STORY in since(desk, OFFICER_RG, before)[0]
    assert len(await audit_rows(desk, "tip.view")) == 1


async def test_assign_offers_the_officers_of_the_unit_and_tells_the_new_handler(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    await desk.say(DB_ADMIN, f"/assign {tip.code}")
    choose = desk.api.last_message(DB_ADMIN.id)
    names = {name for row in choose.buttons() for name in row}
    assert {"Lê Minh", "Đỗ Quang"} <= names
    assert "Võ Tuấn" not in names  # the Gò Quao officer does not cover Rạch Giá
    assert "Huỳnh Phương" not in names  # analysts never handle tips
    done = await press(desk, DB_ADMIN, choose, "Lê Minh")
    assert done.plain_text == f"👤 Tin báo {tip.code} do Lê Minh xử lý."
    stored = await fresh(desk, tip)
    assert (stored.status, stored.assignee_id) == ("taken", OFFICER_RG.id)
    assert f"Bạn được giao xử lý tin báo {tip.code}" in last(desk, OFFICER_RG)
    await desk.say(DB_ADMIN, f"/assign {tip.code} {OFFICER_RG.id}")
    assert last(desk, DB_ADMIN) == "Người này đã là người xử lý tin báo."
    [entry] = await audit_rows(desk, "tip.assign")
    assert json.loads(entry["details"])["assignee"] == OFFICER_RG.id
    shown = await card(desk, tip)
    assert "Người xử lý: Lê Minh" in shown.plain_text


async def test_transfer_to_a_unit_outside_the_subtree_hands_the_tip_over(
    desk: BotHarness,
) -> None:
    tip = await plant(desk, status="verifying")
    await desk.say(OFFICER_RG, f"/transfer {tip.code} Gò Quao")
    assert last(desk, OFFICER_RG) == f"↪️ Đã chuyển tin báo {tip.code} đến Huyện Gò Quao."
    stored = await fresh(desk, tip)
    assert (stored.status, stored.transferred_to) == ("transferred", "KG-GQ")
    # It is now the Gò Quao officers' tip, and no longer the Rạch Giá officer's.
    await desk.say(OFFICER_RG, f"/tip {tip.code}")
    assert "Không có tin báo" in last(desk, OFFICER_RG)
    await desk.say(OFFICER_GQ, "/overdue")
    await desk.say(OFFICER_GQ, f"/assign {tip.code} {OFFICER_GQ.id}")
    assert (await fresh(desk, tip)).status == "taken"


async def test_an_english_speaking_officer_reads_english(desk: BotHarness) -> None:
    await desk.app.services.set_language(OFFICER_RG.id, "en")
    tip = await plant(desk)
    await desk.say(OFFICER_RG, "/tip TB-2345-6789")
    assert last(desk, OFFICER_RG) == "There is no tip TB-2345-6789 within your units."
    await desk.say(OFFICER_RG, f"/tip {tip.code}")
    head = desk.api.sent_messages(OFFICER_RG.id)[-2]
    assert "Status: Received" in head.plain_text
    assert head.buttons()[0] == ["🙋 Take", "🚫 Spam"]
    await desk.say(OFFICER_RG, f"/note {tip.code} checked")
    assert last(desk, OFFICER_RG) == f"📝 Note added to tip {tip.code} (officers only)."
    # The officers' chat keeps the default language.
    assert "Trạng thái: Đã tiếp nhận" in (await card(desk, tip)).plain_text


async def test_audit_is_for_admins_filtered_and_paged(desk: BotHarness) -> None:
    tips = [await plant(desk) for _ in range(8)]
    for tip in tips:
        await desk.say(OFFICER_RG, f"/tip {tip.code}")
        await desk.say(OFFICER_RG, f"/note {tip.code} ok")
    await desk.say(ADMIN, "/audit")
    page = desk.api.last_message(ADMIN.id)
    assert "Nhật ký kiểm toán" in page.plain_text
    noted, viewed = "ghi chú nội bộ vào", "xem toàn bộ"
    assert page.plain_text.count(noted) + page.plain_text.count(viewed) == 15
    assert "tip.note" not in page.plain_text  # sentences, not codes
    assert f"Lê Minh (9100002) ghi chú nội bộ vào {tips[-1].code} (2 ký tự)" in page.plain_text
    await press(desk, ADMIN, page, "Cũ hơn »")
    older = last(desk, ADMIN)
    assert viewed in older
    await desk.say(ADMIN, f"/audit tip.note {tips[0].code}")
    only = last(desk, ADMIN)
    assert only.count(noted) == 1
    assert viewed not in only
    await desk.say(ADMIN, f"/audit {OFFICER_GQ.id}")
    assert last(desk, ADMIN) == "Nhật ký không có mục nào khớp."
    await desk.say(ADMIN, "/audit <script>")
    assert "Cách dùng: /audit" in last(desk, ADMIN)
    for person in (OFFICER_RG, ANALYST, RESIDENT):
        await desk.say(person, "/audit")
        assert UNKNOWN_COMMAND in last(desk, person)
    assert OFFICERS  # the officers' chat exists in this bot


async def test_transfer_to_the_investigation_body_in_words_officers_use(desk: BotHarness) -> None:
    for words in ("Cơ quan điều tra", "CQĐT", "investigation"):
        tip = await plant(desk, status="taken")
        await desk.say(OFFICER_RG, f"/transfer {tip.code} {words}")
        assert last(desk, OFFICER_RG) == (
            f"↪️ Đã chuyển tin báo {tip.code} đến Cơ quan điều tra có thẩm quyền."
        )
        assert (await fresh(desk, tip)).transferred_to == "investigation"


def test_list_filters_travel_in_buttons_within_telegrams_64_bytes() -> None:
    widest = TipQuery(
        frozenset({Status.RECEIVED, Status.TAKEN, Status.VERIFYING, Status.VERIFIED}),
        "loan_sharking",
        123456,
        parse_period("2013-01-01..2023-05-31"),
    )
    for query in (widest, TipQuery(), TipQuery(None), TipQuery(frozenset(Status))):
        encoded = query.encode()
        assert TipQuery.decode(encoded) == (
            TipQuery(None, query.category, query.unit_id, query.period)
            if query.statuses == frozenset(Status)
            else query
        )
        assert len(f"tl:99990:{encoded}".encode()) <= 64
    for broken in ("", "x|y", "9|||", "o|||notaperiod", "o||12a|", "*|drugs|1|2026|extra"):
        assert TipQuery.decode(broken) is None
