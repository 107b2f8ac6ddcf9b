"""Triage from the card: the moves the machine allows, refused ones with a reason, concurrency."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest

from bot.kernel.status import Outcome, Status
from bot.testing.harness import BotHarness
from bot.tips.model import Tip
from bot.tips.status import ALLOWED
from bot.triage.render import (
    OUTCOMES,
    VERB_CLOSE,
    VERB_STATUS,
    VERB_TO_INVESTIGATION,
    action_data,
    status_index,
)
from tests.officers.conftest import ADMIN, ANALYST, OFFICER_GQ, OFFICER_RG, RESIDENT, REVOKED

from .conftest import (
    OFFICERS,
    STALE,
    TIPSTER,
    alert,
    audit_rows,
    card,
    deliver,
    events,
    fresh,
    plant,
    press,
    press_data,
    signed,
)

TAKE = "🙋 Nhận xử lý"


def _move_data(harness: BotHarness, tip: Tip, current: Status, wanted: Status) -> str:
    """Return the genuine data a card would carry for this move (closing: with an outcome)."""
    here = status_index(current)
    if wanted is Status.CLOSED:
        return signed(harness, VERB_CLOSE, tip, here + str(OUTCOMES.index(Outcome.HANDLED)))
    if wanted is Status.TRANSFERRED:
        return signed(harness, VERB_TO_INVESTIGATION, tip, here)
    return signed(harness, VERB_STATUS, tip, here + status_index(wanted))


async def test_a_new_card_offers_only_the_moves_a_received_tip_allows(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    assert shown.chat_id == OFFICERS
    assert shown.buttons() == [
        [TAKE, "🚫 Tin rác"],
        ["↪️ Chuyển…", "👤 Giao cho…"],
        ["❓ Hỏi người báo tin", "⚖️ Phân loại…", "⏳ Gia hạn…"],
    ]
    assert "Trạng thái: Đã tiếp nhận" in shown.plain_text
    assert "Người xử lý" not in shown.plain_text


async def test_taking_a_tip_edits_the_card_and_records_who_when_from_to(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    after = await press(desk, OFFICER_RG, shown, TAKE)

    assert "Trạng thái: Đang xử lý" in after.plain_text
    assert "Người xử lý: Lê Minh" in after.plain_text
    assert after.buttons()[0] == ["🔎 Xác minh", "❌ Không có cơ sở", "🚫 Tin rác"]
    assert alert(desk) == "✅ Đang xử lý"
    stored = await fresh(desk, tip)
    assert (stored.status, stored.assignee_id) == ("taken", OFFICER_RG.id)
    assert stored.first_action_at is not None
    history = await events(desk, tip)
    assert history[-1]["actor_ref"] == f"officer:{OFFICER_RG.id}"
    assert (history[-1]["from_status"], history[-1]["to_status"]) == ("received", "taken")
    assert history[-1]["at"]
    [entry] = await audit_rows(desk, "tip.status")
    assert entry["actor"] == f"officer:{OFFICER_RG.id}"
    assert entry["target"] == f"tip:{tip.code}"
    assert json.loads(entry["details"]) == {"from": "received", "to": "taken"}
    # The tipster is told, in their words, with content protection.
    await deliver(desk)
    notice = desk.api.last_message(TIPSTER.id)
    assert f"Tin báo {tip.code} của bạn: Đang được xử lý" in notice.plain_text
    assert notice.protect_content


async def test_every_pair_of_statuses_is_done_or_refused_with_a_reason_through_the_bot(
    desk: BotHarness,
) -> None:
    pairs = list(itertools.product(list(Status), list(Status)))
    planted = [(await plant(desk, status=current), current, wanted) for current, wanted in pairs]
    await deliver(desk)
    refusals = set()
    for tip, current, wanted in planted:
        shown = await card(desk, tip)
        answer = await press_data(desk, ADMIN, shown, _move_data(desk, tip, current, wanted))
        stored = await fresh(desk, tip)
        if wanted in ALLOWED[current]:
            assert stored.status == wanted, (current, wanted, answer)
            assert not answer.get("show_alert"), (current, wanted, answer)
        else:
            assert stored.status == current, (current, wanted)
            assert answer.get("show_alert") is True, (current, wanted, answer)
            refusals.add(str(answer["text"]))

    # Every refusal says why, in the officer's words.
    assert "Tin báo đã kết thúc, không thể thay đổi nữa." in refusals
    assert "Không thể chuyển tin báo từ «Đã tiếp nhận» sang «Đang xác minh»." in refusals
    assert "Tin báo đã ở trạng thái «Đang xử lý»." in refusals
    assert all(text.endswith(".") for text in refusals)
    changes = await audit_rows(desk, "tip.status")
    transfers = await audit_rows(desk, "tip.transfer")
    allowed = sum(1 for current, wanted in pairs if wanted in ALLOWED[current])
    assert len(changes) + len(transfers) == allowed


async def test_closing_asks_for_an_outcome_and_leaves_a_card_without_buttons(
    desk: BotHarness,
) -> None:
    tip = await plant(desk, status="verifying")
    shown = await card(desk, tip)
    menu = await press(desk, OFFICER_RG, shown, "✅ Kết thúc…")
    assert menu.buttons() == [
        ["Đã giải quyết", "Hòa giải thành"],
        ["Khởi tố vụ án", "Không xử lý"],
        ["« Quay lại"],
    ]
    assert (await fresh(desk, tip)).status == "verifying"
    back = await press(desk, OFFICER_RG, menu, "« Quay lại")
    assert back.buttons()[0] == ["⭐ Có giá trị", "❌ Không có cơ sở"]
    await press(desk, OFFICER_RG, back, "✅ Kết thúc…")
    closed = await press(desk, OFFICER_RG, back, "Khởi tố vụ án")
    assert "Trạng thái: Đã kết thúc" in closed.plain_text
    assert "Kết quả: Khởi tố vụ án" in closed.plain_text
    assert closed.buttons() == []
    stored = await fresh(desk, tip)
    assert (stored.status, stored.outcome) == ("closed", "case_opened")
    # Closing without an outcome is refused with its reason, even with genuine data.
    other = await plant(desk, status="verified")
    other_card = await card(desk, other)
    data = signed(
        desk, VERB_STATUS, other, status_index(Status.VERIFIED) + status_index(Status.CLOSED)
    )
    answer = await press_data(desk, OFFICER_RG, other_card, data)
    assert answer["text"] == "Cần chọn kết quả để kết thúc tin báo."
    assert (await fresh(desk, other)).status == "verified"


async def test_verified_marks_the_tip_of_value_for_stats(desk: BotHarness) -> None:
    tip = await plant(desk, status="verifying")
    shown = await card(desk, tip)
    await press(desk, OFFICER_RG, shown, "⭐ Có giá trị")
    assert (await fresh(desk, tip)).of_value
    year = (await fresh(desk, tip)).received_at.year
    await desk.say(OFFICER_RG, f"/stats {year}")
    stats = desk.api.last_message(OFFICER_RG.id).plain_text
    assert "Tin có giá trị: 1" in stats
    # The first officer action is when it was first acted on: the median is reported.
    assert "(1 tin đã xử lý, 0 tin chưa)" in stats


async def test_two_officers_pressing_at_once_leave_one_consistent_change(
    desk: BotHarness,
) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    take = shown.button_data(TAKE)
    spam = shown.button_data("🚫 Tin rác")
    await asyncio.gather(
        desk.send(desk.updates.callback(ADMIN, shown, take, chat_id=OFFICERS)),
        desk.send(desk.updates.callback(OFFICER_RG, shown, spam, chat_id=OFFICERS)),
    )
    stored = await fresh(desk, tip)
    history = [row for row in await events(desk, tip) if row["event"] == "status"]
    assert len(history) == 1
    assert stored.status == history[0]["to_status"]
    assert stored.status in {"taken", "spam"}
    assert len(await audit_rows(desk, "tip.status")) == 1
    answers = [call.params for call in desk.api.calls_for("answerCallbackQuery")[-2:]]
    assert sorted(bool(answer.get("show_alert")) for answer in answers) == [False, True]
    refused = next(answer for answer in answers if answer.get("show_alert"))
    assert "Tin báo vừa được cập nhật" in refused["text"]
    # The card shows the state that won.
    final = desk.api.message(shown.chat_id, shown.message_id).plain_text
    assert ("Đang xử lý" if stored.status == "taken" else "Tin rác") in final
    # Two takes at once: one handler, one event.
    again = await plant(desk)
    again_card = await card(desk, again)
    data = again_card.button_data(TAKE)
    await asyncio.gather(
        *(
            desk.send(desk.updates.callback(person, again_card, data, chat_id=OFFICERS))
            for person in (ADMIN, OFFICER_RG, ADMIN, OFFICER_RG)
        )
    )
    taken = [row for row in await events(desk, again) if row["event"] == "status"]
    assert len(taken) == 1
    assert (await fresh(desk, again)).assignee_id == int(taken[0]["actor_ref"].split(":")[1])


async def test_a_button_from_before_a_change_is_refused_not_applied(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    old_spam = shown.button_data("🚫 Tin rác")
    await press(desk, ADMIN, shown, TAKE)
    # Spam is allowed from "taken" too, but this button was made for a received tip.
    answer = await press_data(desk, OFFICER_RG, shown, old_spam)
    assert answer["show_alert"] is True
    assert (
        answer["text"]
        == "Tin báo vừa được cập nhật, hiện là «Đang xử lý». Hãy xem lại thẻ tin báo."
    )
    assert (await fresh(desk, tip)).status == "taken"


@pytest.mark.parametrize(
    "person",
    [RESIDENT, ANALYST, REVOKED, OFFICER_GQ],
    ids=["resident", "analyst", "revoked", "sibling"],
)
async def test_people_without_the_tip_in_scope_get_the_stale_answer(
    desk: BotHarness, person: object
) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    for label in (
        TAKE,
        "🚫 Tin rác",
        "↪️ Chuyển…",
        "⚖️ Phân loại…",
        "⏳ Gia hạn…",
        "❓ Hỏi người báo tin",
    ):
        answer = await press_data(desk, person, shown, shown.button_data(label))  # type: ignore[arg-type]
        assert answer == {
            "callback_query_id": answer["callback_query_id"],
            "text": STALE,
            "show_alert": True,
        }
    assert (await fresh(desk, tip)).status == "received"
    assert await audit_rows(desk, "tip.status") == []
    assert desk.api.message(shown.chat_id, shown.message_id).buttons() == shown.buttons()


async def test_forged_or_tampered_buttons_are_dead(desk: BotHarness) -> None:
    tip = await plant(desk)
    other = await plant(desk, unit="KG-GQ")
    shown = await card(desk, tip)
    genuine = shown.button_data(TAKE)
    verb_tip_arg = genuine.split(":")
    forged = [
        f"tr:s:{tip.id}:01:AAAAAAAAAA",  # wrong signature
        genuine.replace(f":{tip.id}:", f":{other.id}:"),  # another tip, same signature
        genuine[:-1],
        "tr:s",
        "tr:" + "x" * 60,
        ":".join([*verb_tip_arg[:3], "07", verb_tip_arg[4]]),  # another move, same signature
    ]
    for data in forged:
        answer = await press_data(desk, ADMIN, shown, data)
        assert answer["text"] == STALE, data
    assert (await fresh(desk, tip)).status == "received"
    assert (await fresh(desk, other)).status == "received"
    # A genuine button of a tip outside the presser's scope is dead too.
    forged_in_scope = action_data(desk.app.services.keyring, VERB_STATUS, other.id, "01")
    answer = await press_data(desk, OFFICER_RG, shown, forged_in_scope)
    assert answer["text"] == STALE
    assert (await fresh(desk, other)).status == "received"


async def test_transfer_from_the_card_to_the_investigation_body_and_up(desk: BotHarness) -> None:
    tip = await plant(desk, status="taken")
    shown = await card(desk, tip)
    menu = await press(desk, OFFICER_RG, shown, "↪️ Chuyển…")
    assert menu.buttons() == [
        ["🏛 Cơ quan điều tra có thẩm quyền"],
        ["⬆️ Thành phố Rạch Giá"],
        ["« Quay lại"],
    ]
    moved = await press(desk, OFFICER_RG, menu, "⬆️ Thành phố Rạch Giá")
    assert "Trạng thái: Đã chuyển" in moved.plain_text
    assert "Đã chuyển đến: Thành phố Rạch Giá" in moved.plain_text
    stored = await fresh(desk, tip)
    rach_gia = await desk.app.services.units.by_code("KG-RG")
    assert rach_gia is not None
    assert (stored.status, stored.unit_id, stored.assignee_id) == ("transferred", rach_gia.id, None)
    # The receiving unit takes it up again, then hands it to the investigation body.
    await press(desk, OFFICER_RG, moved, TAKE)
    menu = await press(desk, OFFICER_RG, moved, "↪️ Chuyển…")
    final = await press(desk, OFFICER_RG, menu, "🏛 Cơ quan điều tra có thẩm quyền")
    assert "Đã chuyển đến: Cơ quan điều tra có thẩm quyền" in final.plain_text
    assert (await fresh(desk, tip)).transferred_to == "investigation"
    [first, second] = await audit_rows(desk, "tip.transfer")
    assert json.loads(first["details"])["to"] == "KG-RG"
    assert json.loads(second["details"])["to"] == "investigation"


async def test_a_transfer_to_a_unit_with_its_own_chat_moves_the_card(desk: BotHarness) -> None:
    unit_chat = -1009988776655
    await desk.app.services.db.conn.execute(
        "UPDATE units SET chat_id = ? WHERE code = 'KG-GQ'", (unit_chat,)
    )
    tip = await plant(desk, status="taken")
    shown = await card(desk, tip)
    await desk.say(ADMIN, f"/transfer {tip.code} KG-GQ")
    assert "Đã chuyển tin báo" in desk.api.last_message(ADMIN.id).plain_text
    old = desk.api.message(shown.chat_id, shown.message_id)
    assert old.buttons() == []  # the old card stays as a record, without buttons
    assert "Đã chuyển đến: Huyện Gò Quao" in old.plain_text
    new_card = await card(desk, tip)
    assert new_card.chat_id == unit_chat
    assert new_card.buttons()[0] == [TAKE]
    # The Gò Quao officer now acts on it; the Rạch Giá officer no longer can.
    taken = await press(desk, OFFICER_GQ, new_card, TAKE)
    assert "Người xử lý: Võ Tuấn" in taken.plain_text
    answer = await press_data(desk, OFFICER_RG, old, signed(desk, VERB_STATUS, tip, "12"))
    assert answer["text"] == STALE


async def test_extensions_move_the_deadline_and_are_recorded_once(desk: BotHarness) -> None:
    tip = await plant(desk, status="verifying")
    shown = await card(desk, tip)
    menu = await press(desk, OFFICER_RG, shown, "⏳ Gia hạn…")
    assert menu.buttons() == [["⏳ 2 tháng (vụ việc phức tạp)"], ["« Quay lại"]]
    after = await press(desk, OFFICER_RG, menu, "⏳ 2 tháng (vụ việc phức tạp)")
    stored = await fresh(desk, tip)
    assert stored.extension == "complex"
    assert stored.decision_deadline > tip.decision_deadline
    assert "Hạn giải quyết (gia hạn 2 tháng):" in after.plain_text
    menu = await press(desk, OFFICER_RG, after, "⏳ Gia hạn…")
    assert menu.buttons() == [["⏳ Thêm 2 tháng (Viện kiểm sát)"], ["« Quay lại"]]
    final = await press(desk, OFFICER_RG, menu, "⏳ Thêm 2 tháng (Viện kiểm sát)")
    assert "Viện kiểm sát gia hạn thêm 2 tháng" in final.plain_text
    assert ["⏳ Gia hạn…"] not in final.buttons()
    assert all("⏳ Gia hạn…" not in row for row in final.buttons())
    # Recording the same extension again is refused with a reason.
    again = await press_data(desk, OFFICER_RG, final, signed(desk, "x", tip, "2"))
    assert again["text"] == "Gia hạn này đã được ghi."
    assert [
        json.loads(row["details"])["extension"] for row in await audit_rows(desk, "tip.extend")
    ] == [
        "complex",
        "procuracy",
    ]


async def test_an_officer_corrects_the_legal_type_from_the_card(desk: BotHarness) -> None:
    tip = await plant(desk)
    shown = await card(desk, tip)
    menu = await press(desk, OFFICER_RG, shown, "⚖️ Phân loại…")
    assert menu.buttons()[0] == ["• Tố giác tội phạm"]
    after = await press(desk, OFFICER_RG, menu, "Phản ánh")
    assert "Phân loại: Phản ánh (cán bộ phân loại)" in after.plain_text
    stored = await fresh(desk, tip)
    assert (stored.legal_type, stored.legal_type_source) == ("phan_anh", "officer")
    assert stored.status == "received"  # the legal type is not a status
