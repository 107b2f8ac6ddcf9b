"""Admin commands over the registry: each done by an admin, with bad input answered clearly."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.officers.service import Actor
from bot.testing.harness import BotHarness
from bot.testing.updates import Person

from .conftest import (
    ADMIN,
    ANALYST,
    DB_ADMIN,
    NEWCOMER,
    OFFICER_GQ,
    OFFICER_RG,
    RESIDENT,
    add_staff,
    staffed_settings,
)

REMOVE = "🗑 Thu hồi"
KEEP = "Giữ nguyên"
STALE = "Nút này không còn hiệu lực. Vui lòng dùng menu mới nhất."
GROUP = -1009990001
# The second line of every "added" answer, the same whether or not the person was reached.
TOLD = (
    "\nℹ️ Người này được báo qua tin nhắn riêng, hoặc, nếu bot chưa nhắn được cho họ, khi họ bấm "
    "Bắt đầu (Start) lần tới."
)


async def changes(harness: BotHarness) -> list[sqlite3.Row]:
    return await harness.app.services.db.fetch_all("SELECT * FROM officer_changes ORDER BY id")


def command_in_reply(
    harness: BotHarness, person: Person, text: str, *, chat_id: int, reply_to: int
) -> Update:
    """Build "/command args" sent as a reply to an earlier message."""
    plain = harness.updates.text(person, text, chat_id=chat_id, reply_to=reply_to)
    data = plain.to_dict()
    data["message"]["entities"] = [
        {"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}
    ]
    return Update.de_json(data, harness.app.bot)


async def test_admin_adds_an_officer_by_id_who_is_told_and_gets_a_menu(
    staffed: BotHarness,
) -> None:
    before = len(await changes(staffed))
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
    assert staffed.api.last_text(ADMIN.id) == (
        f"✅ {NEWCOMER.id} nay là cán bộ (Thành phố Rạch Giá (KG-RG))." + TOLD
    )
    assert staffed.texts(NEWCOMER.id) == [
        "Bạn đã được cấp quyền trên bot này: cán bộ (Thành phố Rạch Giá (KG-RG)). Các lệnh "
        "của bạn có trong menu (/); /whoami liệt kê các lệnh đó."
    ]
    officer = await staffed.app.services.officers.officer(NEWCOMER.id)
    assert officer is not None
    assert officer.role == "officer"
    rows = await changes(staffed)
    assert len(rows) == before + 1
    change = rows[-1]
    assert (change["actor_id"], change["actor_via"], change["action"]) == (
        ADMIN.id,
        "telegram",
        "add",
    )
    assert change["officer_id"] == NEWCOMER.id
    assert datetime.fromisoformat(change["at"]).tzinfo is not None
    assert change["state_before"] is None
    after = json.loads(change["state_after"])
    assert after == {
        "active": True,
        "name": "",
        "role": "officer",
        "unit": "KG-RG",
        "unit_id": officer.unit_id,
    }
    # Canonical JSON: byte-stable, so a later audit chain can hash it as it is.
    assert change["state_after"] == json.dumps(after, sort_keys=True, separators=(",", ":"))
    menu = staffed.api.my_commands({"type": "chat", "chat_id": NEWCOMER.id}, "vi")
    names = {command["command"] for command in menu}
    assert {"start", "help", "units", "whoami"} <= names
    assert "officers" not in names
    await staffed.say(NEWCOMER, "/whoami")
    assert staffed.api.last_text(NEWCOMER.id).startswith(
        "Bạn là <b>cán bộ</b>: Thành phố Rạch Giá (KG-RG)."
    )


async def test_unit_names_are_found_without_accents(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} analyst rach gia")
    assert "cán bộ phân tích (Thành phố Rạch Giá (KG-RG))" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ADMIN, f"/setunit {NEWCOMER.id} GÒ QUAO")
    assert "(Huyện Gò Quao (KG-GQ))" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ADMIN, f"/setunit {NEWCOMER.id} hon dat")
    assert "(Huyện Hòn Đất (KG-HD))" in staffed.api.last_text(ADMIN.id)


async def test_admin_adds_by_replying_to_a_message_in_a_group(staffed: BotHarness) -> None:
    hello = staffed.updates.text(NEWCOMER, "Chào các anh chị", chat_id=GROUP)
    await staffed.send(hello)
    assert hello.message is not None
    await staffed.send(
        command_in_reply(
            staffed,
            ADMIN,
            "/addofficer officer KG-HT",
            chat_id=GROUP,
            reply_to=hello.message.message_id,
        )
    )
    assert staffed.api.last_text(GROUP) == (
        f"✅ Phạm Hoa ({NEWCOMER.id}) nay là cán bộ (Thành phố Hà Tiên (KG-HT))." + TOLD
    )
    record = await staffed.app.services.officers.record(NEWCOMER.id)
    assert record is not None
    assert record.display_name == "Phạm Hoa"


async def test_a_reply_to_the_bot_or_to_oneself_is_not_a_new_officer(
    staffed: BotHarness,
) -> None:
    await staffed.say(ADMIN, "/whoami")
    bot_message = staffed.api.sent_messages(ADMIN.id)[-1]
    await staffed.send(
        command_in_reply(
            staffed,
            ADMIN,
            "/addofficer officer KG-HT",
            chat_id=ADMIN.id,
            reply_to=bot_message.message_id,
        )
    )
    assert staffed.api.last_text(ADMIN.id) == "Bot không thể là cán bộ."
    own = staffed.updates.text(DB_ADMIN, "ghi chú", chat_id=GROUP)
    await staffed.send(own)
    assert own.message is not None
    await staffed.send(
        command_in_reply(
            staffed, DB_ADMIN, "/addofficer admin", chat_id=GROUP, reply_to=own.message.message_id
        )
    )
    assert "đã là quản trị viên" in staffed.api.last_text(GROUP)


async def test_admin_adds_by_forwarding_a_message(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/addofficer officer KG-HT")
    assert staffed.api.last_text(ADMIN.id).startswith("Bây giờ hãy chuyển tiếp cho tôi")
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "tin nhắn cũ", from_person=NEWCOMER))
    assert staffed.api.last_text(ADMIN.id) == (
        f"✅ Phạm Hoa ({NEWCOMER.id}) nay là cán bộ (Thành phố Hà Tiên (KG-HT))." + TOLD
    )
    # The conversation is over: the next forward is an ordinary message again.
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "khác", from_person=RESIDENT))
    assert await staffed.app.services.officers.record(RESIDENT.id) is None


async def test_a_hidden_forward_is_explained_and_a_typed_id_or_contact_works(
    staffed: BotHarness,
) -> None:
    await staffed.say(ADMIN, "/addofficer analyst KG")
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "ẩn danh", from_person=None))
    assert "ẩn tài khoản khi tin nhắn được chuyển tiếp" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ADMIN, "không phải số")
    assert staffed.api.last_text(ADMIN.id).startswith("Hãy chuyển tiếp một tin nhắn")
    await staffed.say(ADMIN, f"{NEWCOMER.id}")
    assert "cán bộ phân tích (Tỉnh Kiên Giang (KG))" in staffed.api.last_text(ADMIN.id)

    someone = Person(id=9100010, first_name="Bình")
    await staffed.say(ADMIN, "/addofficer officer KG-AB")
    await staffed.send(staffed.updates.contact(someone, "+84900000000", own=True))
    await staffed.send(
        Update.de_json(
            {
                "update_id": staffed.api.allocate_update_id(),
                "message": {
                    "message_id": staffed.api.allocate_message_id(ADMIN.id),
                    "date": 0,
                    "chat": ADMIN.private_chat_dict(),
                    "from": ADMIN.user_dict(),
                    "contact": {
                        "phone_number": "+84900000000",
                        "first_name": "Bình",
                        "user_id": someone.id,
                    },
                },
            },
            staffed.app.bot,
        )
    )
    assert staffed.api.last_text(ADMIN.id) == (
        f"✅ Bình ({someone.id}) nay là cán bộ (Huyện An Biên (KG-AB))." + TOLD
    )


async def test_cancel_stops_waiting_for_the_person(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/addofficer officer KG-HT")
    await staffed.say(ADMIN, "/cancel")
    assert staffed.api.last_text(ADMIN.id) == "Đã hủy. Không thêm ai."
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "x", from_person=NEWCOMER))
    assert await staffed.app.services.officers.record(NEWCOMER.id) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/addofficer", "<b>Thêm cán bộ</b>"),
        ("/setrole", "<b>Đổi vai trò</b>"),
        ("/setunit", "<b>Đổi đơn vị</b>"),
        ("/removeofficer", "<b>Thu hồi quyền cán bộ</b>"),
        ("/addofficer 12ab officer KG-RG", "“12ab” không phải mã số người dùng Telegram"),
        ("/addofficer -1001234567 officer KG-RG", "“-1001234567” không phải mã số người dùng"),
        ("/addofficer 1234567890123456789 officer KG-RG", "không phải mã số người dùng"),
        ("/addofficer 7000000001 officer KG-RG", "Bot không thể là cán bộ."),
        ("/addofficer 9100009", "Vai trò nào?"),
        ("/addofficer 9100009 chief KG-RG", "“chief” không phải là vai trò"),
        ("/addofficer 9100009 officer", "cần có đơn vị"),
        ("/addofficer 9100009 admin KG-RG", "không ghi đơn vị"),
        ("/addofficer 9100009 officer KG-XX", "Không có đơn vị nào khớp với “KG-XX”"),
        ("/addofficer 9100009 officer vinh thanh", "Có nhiều đơn vị khớp với “vinh thanh”"),
        ("/addofficer 9100009 officer " + "x" * 10_000, "quá dài cho lệnh này (tối đa 300"),
        ("/addofficer " + "9" * 10_000, "quá dài cho lệnh này"),
        (f"/addofficer {ADMIN.id} admin", "theo cấu hình ADMIN_USER_IDS"),
        (f"/addofficer {DB_ADMIN.id} admin", f"Đỗ Quang ({DB_ADMIN.id}) đã là quản trị viên"),
        (f"/addofficer {OFFICER_RG.id} analyst KG", "đã là cán bộ (Thành phố Rạch Giá (KG-RG))"),
        ("/setrole 9100009 officer", "không phải là cán bộ"),
        (f"/setrole {OFFICER_RG.id}", "Vai trò nào?"),
        (f"/setrole {OFFICER_RG.id} officer", "đã là cán bộ"),
        (f"/setrole {OFFICER_RG.id} admin KG", "không ghi đơn vị"),
        (f"/setrole {ADMIN.id} officer KG-RG", "theo cấu hình ADMIN_USER_IDS"),
        (f"/setunit {DB_ADMIN.id} KG-GQ", "làm việc trên toàn bộ đơn vị"),
        (f"/setunit {OFFICER_RG.id} KG-RG", "đã là cán bộ"),
        (f"/setunit {OFFICER_RG.id}", "Đơn vị nào?"),
        (f"/setunit {OFFICER_RG.id} " + "Đ" * 150, "quá dài để là một đơn vị"),
        (f"/removeofficer {ADMIN.id}", "theo cấu hình ADMIN_USER_IDS"),
        (f"/removeofficer {RESIDENT.id}", f"{RESIDENT.id} không phải là cán bộ"),
        (f"/removeofficer {OFFICER_RG.id} now", "Tôi không cần “now” ở đây."),
        (f"/officerlog {OFFICER_RG.id} extra", "Tôi không cần “extra” ở đây."),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    staffed: BotHarness, text: str, expected: str
) -> None:
    before = len(await changes(staffed))
    await staffed.say(ADMIN, text)
    reply = staffed.api.last_text(ADMIN.id)
    assert expected in reply
    assert len(reply) < 1500, "input is never echoed at length"
    assert len(await changes(staffed)) == before


async def test_a_retired_unit_cannot_take_officers(staffed: BotHarness) -> None:
    units = staffed.app.services.units
    phu_quoc = await units.by_code("KG-PQ")
    assert phu_quoc is not None
    from bot.units.repository import UnitRecord

    await units.save_all(
        [UnitRecord("KG-PQ", phu_quoc.name_vi, phu_quoc.name_en, "KG", "district", active=False)],
        datetime.now().astimezone(),
    )
    await staffed.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-PQ")
    assert "Đơn vị này đã giải thể" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ADMIN, f"/setunit {OFFICER_RG.id} KG-PQ")
    assert "Đơn vị này đã giải thể" in staffed.api.last_text(ADMIN.id)


async def test_roles_change_and_units_follow(staffed: BotHarness) -> None:
    officers = staffed.app.services.officers
    await staffed.say(ADMIN, f"/setrole {OFFICER_RG.id} analyst")
    assert staffed.api.last_text(ADMIN.id) == (
        f"✅ Lê Minh ({OFFICER_RG.id}) nay là cán bộ phân tích (Thành phố Rạch Giá (KG-RG))."
    )
    await staffed.say(ADMIN, f"/setrole {OFFICER_RG.id} admin")
    assert "nay là quản trị viên (toàn bộ đơn vị)" in staffed.api.last_text(ADMIN.id)
    record = await officers.record(OFFICER_RG.id)
    assert record is not None
    assert record.unit_id is None
    await staffed.say(ADMIN, f"/setrole {OFFICER_RG.id} officer")
    assert "là quản trị viên nên chưa có đơn vị" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ADMIN, f"/setrole {OFFICER_RG.id} officer Gò Quao")
    assert "nay là cán bộ (Huyện Gò Quao (KG-GQ))" in staffed.api.last_text(ADMIN.id)
    moved = await officers.officer(OFFICER_RG.id)
    gq = await staffed.app.services.units.by_code("KG-GQ")
    assert moved is not None
    assert gq is not None
    assert moved.scope == {gq.id}
    assert staffed.texts(OFFICER_RG.id)[-1] == (
        "Quyền của bạn trên bot này đã thay đổi: nay bạn là cán bộ (Huyện Gò Quao (KG-GQ))."
    )
    actions = [row["action"] for row in await changes(staffed)][-3:]
    assert actions == ["role", "role", "role"]


async def test_the_last_admin_can_be_neither_removed_nor_demoted(database_path: Path) -> None:
    async with BotHarness(staffed_settings(database_path, admin_user_ids=())) as harness:
        await add_staff(harness)
        await harness.say(DB_ADMIN, f"/setrole {DB_ADMIN.id} officer KG-RG")
        assert "là quản trị viên cuối cùng" in harness.api.last_text(DB_ADMIN.id)
        await harness.say(DB_ADMIN, f"/removeofficer {DB_ADMIN.id}")
        await harness.press(DB_ADMIN, REMOVE)
        assert "là quản trị viên cuối cùng" in harness.api.last_text(DB_ADMIN.id)
        assert await harness.app.services.officers.officer(DB_ADMIN.id) is not None
        # With a second admin, the first may step down.
        await harness.say(DB_ADMIN, f"/setrole {OFFICER_GQ.id} admin")
        await harness.say(DB_ADMIN, f"/removeofficer {DB_ADMIN.id}")
        await harness.press(DB_ADMIN, REMOVE)
        assert harness.api.last_text(DB_ADMIN.id).startswith("✅ Đã thu hồi quyền")
        await harness.say(OFFICER_GQ, f"/removeofficer {OFFICER_GQ.id}")
        await harness.press(OFFICER_GQ, REMOVE)
        assert "là quản trị viên cuối cùng" in harness.api.last_text(OFFICER_GQ.id)


async def test_removal_asks_first_then_revokes_and_restores_on_request(
    staffed: BotHarness,
) -> None:
    officers = staffed.app.services.officers
    await staffed.say(ADMIN, f"/removeofficer {OFFICER_RG.id}")
    confirm = staffed.api.sent_messages(ADMIN.id)[-1]
    assert confirm.text == (
        f"Thu hồi quyền của Lê Minh ({OFFICER_RG.id}) (cán bộ, Thành phố Rạch Giá (KG-RG))? "
        "Quyền chấm dứt ngay; lịch sử vẫn được lưu."
    )
    assert confirm.buttons() == [[REMOVE, KEEP]]
    await staffed.press(ADMIN, KEEP)
    assert staffed.api.message(ADMIN.id, confirm.message_id).text == "Không có gì thay đổi."
    assert await officers.officer(OFFICER_RG.id) is not None

    await staffed.say(ADMIN, f"/removeofficer {OFFICER_RG.id}")
    await staffed.press(ADMIN, REMOVE)
    assert staffed.api.sent_messages(ADMIN.id)[-1].text == (
        f"✅ Đã thu hồi quyền cán bộ của Lê Minh ({OFFICER_RG.id})."
    )
    assert await officers.officer(OFFICER_RG.id) is None
    assert staffed.texts(OFFICER_RG.id)[-1].startswith("Quyền cán bộ của bạn trên bot này")
    await staffed.say(OFFICER_RG, "/whoami")
    assert staffed.api.last_text(OFFICER_RG.id).startswith("Lệnh này không có.")
    assert staffed.api.my_commands({"type": "chat", "chat_id": OFFICER_RG.id}, "vi") == []

    await staffed.say(ADMIN, "/officers")
    assert "Cán bộ đã bị thu hồi quyền: 2" in staffed.api.last_text(ADMIN.id)

    await staffed.say(ADMIN, f"/addofficer {OFFICER_RG.id} officer KG-RG")
    assert staffed.api.last_text(ADMIN.id) == (
        f"✅ Lê Minh ({OFFICER_RG.id}) được cấp lại quyền: cán bộ (Thành phố Rạch Giá (KG-RG))."
        + TOLD
    )
    assert [row["action"] for row in await changes(staffed)][-2:] == ["remove", "restore"]


async def test_stale_and_forged_confirmations_change_nothing(staffed: BotHarness) -> None:
    officers = staffed.app.services.officers
    await staffed.say(ADMIN, f"/removeofficer {OFFICER_RG.id}")
    confirm = staffed.api.sent_messages(ADMIN.id)[-1]
    data = confirm.button_data(REMOVE)
    prefix, user_id, version, signature = data.rsplit(":", 3)
    forged = [
        f"{prefix}:{OFFICER_GQ.id}:{version}:{signature}",
        f"{prefix}:{user_id}:{int(version) + 1}:{signature}",
        f"{prefix}:{user_id}:{version}:{'A' * len(signature)}",
        f"{prefix}:{user_id}:{version}",
        f"{prefix}:x:y:z",
        f"{prefix}:{user_id}:{version}:{signature}:{'x' * 40}",
    ]
    for fake in forged:
        await staffed.send(staffed.updates.callback(ADMIN, confirm, fake))
        assert staffed.api.calls_for("answerCallbackQuery")[-1].params.get("text") == STALE
    # A button made for one admin does not work for another.
    await staffed.send(staffed.updates.callback(DB_ADMIN, confirm, data))
    assert staffed.api.calls_for("answerCallbackQuery")[-1].params.get("text") == STALE
    assert await officers.officer(OFFICER_RG.id) is not None
    assert await officers.officer(OFFICER_GQ.id) is not None

    # The officer changes after the question was asked: the old confirmation is refused.
    await staffed.say(ADMIN, f"/setunit {OFFICER_RG.id} KG-HT")
    await staffed.send(staffed.updates.callback(ADMIN, confirm, data))
    assert staffed.api.message(ADMIN.id, confirm.message_id).text.startswith(
        f"Xác nhận này đã cũ: quyền của Lê Minh ({OFFICER_RG.id}) đã thay đổi"
    )
    assert await officers.officer(OFFICER_RG.id) is not None


async def test_officers_list_shows_roles_units_and_names(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/officers")
    text = staffed.api.last_text(ADMIN.id)
    assert text.startswith("<b>Cán bộ</b> (5)")
    assert f"• Trần Hà ({ADMIN.id}) (ADMIN_USER_IDS)" in text  # its name, seen just now
    assert f"• Đỗ Quang ({DB_ADMIN.id})" in text
    assert f"• Lê Minh ({OFFICER_RG.id}): Thành phố Rạch Giá (KG-RG)" in text
    assert f"• Võ Tuấn ({OFFICER_GQ.id}): Huyện Gò Quao (KG-GQ)" in text
    assert f"📊 <b>Cán bộ phân tích</b>\n• Huỳnh Phương ({ANALYST.id})" in text
    assert "Cán bộ đã bị thu hồi quyền: 1" in text
    assert "Cường" not in text  # the revoked officer is counted, not listed


async def test_history_says_who_changed_whom_and_when(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, f"/setunit {OFFICER_RG.id} KG-HT")
    await staffed.say(ADMIN, "/officerlog")
    text = staffed.api.last_text(ADMIN.id)
    lines = text.split("\n")
    assert lines[0] == "<b>Thay đổi gần nhất</b> (7), mới nhất trước:"
    assert lines[1].endswith(
        f"Trần Hà ({ADMIN.id}) đã chuyển đơn vị của Lê Minh ({OFFICER_RG.id}): "
        "cán bộ · KG-RG → cán bộ · KG-HT"
    )
    assert "dòng lệnh đã thu hồi quyền của Đặng Cường" in lines[2]
    assert "(trước đó: cán bộ · KG-RG)" in lines[2]
    assert "dòng lệnh đã thêm Đỗ Quang" in text
    stamp = lines[1].split(": ", 1)[0]
    assert datetime.strptime(stamp, "%d/%m/%Y %H:%M")
    await staffed.say(ADMIN, f"/officerlog {OFFICER_RG.id}")
    only = staffed.api.last_text(ADMIN.id).split("\n")
    assert only[0] == "<b>Thay đổi gần nhất</b> (2), mới nhất trước:"
    await staffed.say(ADMIN, f"/officerlog {NEWCOMER.id}")
    assert staffed.api.last_text(ADMIN.id) == "Chưa có thay đổi nào được ghi nhận."


async def test_history_is_append_only(staffed: BotHarness) -> None:
    db = staffed.app.services.db
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as conn:
            await conn.execute("UPDATE officer_changes SET actor_id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM officer_changes")
    assert len(await changes(staffed)) == 6


async def test_officers_names_follow_telegram(staffed: BotHarness) -> None:
    renamed = Person(id=OFFICER_RG.id, first_name="Minh", last_name="Lê Văn")
    await staffed.say(renamed, "/whoami")
    record = await staffed.app.services.officers.record(OFFICER_RG.id)
    assert record is not None
    assert record.display_name == "Lê Văn Minh"


@pytest.mark.parametrize(
    ("person", "expected", "absent"),
    [
        (OFFICER_RG, "Bạn là <b>cán bộ</b>: Thành phố Rạch Giá (KG-RG).", "/officers"),
        (ANALYST, "Bạn là <b>cán bộ phân tích</b>: Thành phố Rạch Giá (KG-RG).", "/officers"),
        (DB_ADMIN, "Bạn là <b>quản trị viên</b>: toàn bộ đơn vị.", "ADMIN_USER_IDS"),
    ],
)
async def test_whoami_tells_role_scope_and_commands(
    staffed: BotHarness, person: Person, expected: str, absent: str
) -> None:
    await staffed.say(person, "/whoami")
    text = staffed.api.last_text(person.id)
    assert text.startswith(expected)
    assert "/units — Xem và tìm đơn vị" in text
    assert absent not in text


async def test_changes_by_the_command_line_are_recorded_too(staffed: BotHarness) -> None:
    services = staffed.app.services
    unit = await services.units.by_code("KG-KL")
    await services.officers.add(Actor.cli(), NEWCOMER.id, "officer", unit)
    row: Any = (await changes(staffed))[-1]
    assert (row["actor_id"], row["actor_via"], row["action"]) == (None, "cli", "add")


async def test_editing_an_old_command_does_not_run_it_again(staffed: BotHarness) -> None:
    command = staffed.updates.command(ADMIN, "/setrole", str(OFFICER_RG.id), "analyst")
    await staffed.send(command)
    assert command.message is not None
    before = len(await changes(staffed))
    text = f"/setrole {OFFICER_RG.id} admin"
    edited = staffed.updates.edited_text(ADMIN, command.message.message_id, text).to_dict()
    edited["edited_message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 8}]
    await staffed.send(Update.de_json(edited, staffed.app.bot))
    assert len(await changes(staffed)) == before
    record = await staffed.app.services.officers.record(OFFICER_RG.id)
    assert record is not None
    assert record.role == "analyst"


async def test_names_from_telegram_are_shown_as_text_never_as_markup(staffed: BotHarness) -> None:
    sly = Person(id=9100011, first_name="<i>Sly</i>", last_name="& <b>co</b>")
    await staffed.say(ADMIN, "/addofficer officer KG-RG")
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "x", from_person=sly))
    shown = staffed.api.sent_messages(ADMIN.id)[-1]
    assert shown.plain_text == (
        f"✅ & <b>co</b> <i>Sly</i> ({sly.id}) nay là cán bộ (Thành phố Rạch Giá (KG-RG))." + TOLD
    )
    assert "entities" not in shown.raw
    assert "&amp; &lt;b&gt;co&lt;/b&gt; &lt;i&gt;Sly&lt;/i&gt;" in shown.text
    for command in ("/officers", "/officerlog"):
        await staffed.say(ADMIN, command)
        listed = staffed.api.sent_messages(ADMIN.id)[-1]
        assert "& <b>co</b> <i>Sly</i>" in listed.plain_text
        assert "&lt;i&gt;Sly&lt;/i&gt;" in listed.text
