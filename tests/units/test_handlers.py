"""/units within one's scope, and CSV import and export by admins, in Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import BotHarness
from bot.units.csvio import BOM
from tests.officers.conftest import (
    ADMIN,
    ANALYST,
    OFFICER_GQ,
    OFFICER_RG,
    add_staff,
    sample_csv,
    staffed_settings,
)


@pytest.fixture
async def staffed(database_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(staffed_settings(database_path)) as harness:
        await add_staff(harness)
        yield harness


async def test_an_officer_sees_their_unit_and_what_is_below_it(staffed: BotHarness) -> None:
    await staffed.say(OFFICER_RG, "/units")
    text = staffed.api.last_text(OFFICER_RG.id)
    lines = text.split("\n")
    assert lines[0] == "<b>Thành phố Rạch Giá</b> (KG-RG) · cấp huyện"
    assert lines[1] == "Tỉnh Kiên Giang › Thành phố Rạch Giá"
    assert lines[2] == "Các đơn vị trực thuộc (12):"
    assert "• <code>KG-RG-VTV</code> Phường Vĩnh Thanh Vân · cấp xã" in lines
    assert "Gò Quao" not in text
    shown = staffed.api.sent_messages(OFFICER_RG.id)[-1].text
    assert "Phường Rạch Sỏi" in shown


async def test_a_unit_outside_ones_scope_is_answered_like_a_missing_one(
    staffed: BotHarness,
) -> None:
    await staffed.say(OFFICER_GQ, "/units KG-NOPE")
    missing = staffed.api.last_text(OFFICER_GQ.id)
    await staffed.say(OFFICER_GQ, "/units KG-RG")
    outside = staffed.api.last_text(OFFICER_GQ.id)
    assert outside == missing.replace("KG-NOPE", "KG-RG")
    assert outside.startswith("Không có đơn vị nào khớp với “KG-RG”")
    await staffed.say(OFFICER_GQ, "/units vinh")
    assert "Vĩnh" not in staffed.api.last_text(OFFICER_GQ.id)


async def test_search_stays_within_scope_and_ignores_accents(staffed: BotHarness) -> None:
    await staffed.say(OFFICER_RG, "/units vinh")
    text = staffed.api.last_text(OFFICER_RG.id)
    assert text.startswith("Các đơn vị khớp với “vinh” (8):")
    assert "Vĩnh Thuận" not in text  # a district of the same province, outside Rạch Giá
    await staffed.say(ADMIN, "/units vinh")
    assert "Huyện Vĩnh Thuận" in staffed.api.last_text(ADMIN.id)
    await staffed.say(ANALYST, "/units RACH SOI")
    assert staffed.api.last_text(ANALYST.id).startswith(
        "<b>Phường Rạch Sỏi</b> (KG-RG-RS) · cấp xã\n"
        "Tỉnh Kiên Giang › Thành phố Rạch Giá › Phường Rạch Sỏi\n"
        "Không có đơn vị trực thuộc."
    )


async def test_admins_start_at_the_top_and_long_queries_are_refused(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/units")
    assert staffed.api.last_text(ADMIN.id).startswith(
        "<b>Tỉnh Kiên Giang</b> (KG) · tỉnh\nTỉnh Kiên Giang\nCác đơn vị trực thuộc (15):"
    )
    await staffed.say(ADMIN, "/units " + "x" * 10_000)
    assert staffed.api.last_text(ADMIN.id) == (
        "Nội dung quá dài để là một đơn vị (tối đa 100 ký tự)."
    )


async def test_admin_imports_a_file_in_telegram_only_when_every_row_is_valid(
    staffed: BotHarness,
) -> None:
    units = staffed.app.services.units
    before = await units.count()
    await staffed.say(ADMIN, "/importunits")
    assert staffed.api.last_text(ADMIN.id).startswith("Hãy gửi tệp CSV")
    await staffed.say(ADMIN, "đây là tệp")
    assert staffed.api.last_text(ADMIN.id).startswith("Vui lòng gửi CSV dưới dạng tệp")
    bad = (
        "code,parent_code,level,name_vi\n"
        "AG,,province,Tỉnh An Giang\n"
        "AG-LX,AG,commune,<b>Phường Long Xuyên</b>\n"
        "AG-X,AG-NONE,commune,Xã X\n"
    ).encode()
    await staffed.send(staffed.updates.document(ADMIN, file_name="ag.csv", content=bad))
    text = staffed.api.last_text(ADMIN.id)
    assert text.startswith("❌ Chưa nhập gì: tệp có 1 lỗi.")
    assert "• dòng 4: đơn vị cấp trên “AG-NONE” không có trong tệp này" in text
    assert await units.count() == before
    good = bad.replace(b"AG-NONE", b"AG")
    await staffed.send(staffed.updates.document(ADMIN, file_name="ag.csv", content=good))
    assert staffed.api.last_text(ADMIN.id) == "✅ Đã nhập đơn vị: 3 mới, 0 cập nhật."
    long_xuyen = await units.by_code("AG-LX")
    assert long_xuyen is not None
    assert long_xuyen.name_vi == "<b>Phường Long Xuyên</b>"
    await staffed.say(ADMIN, "/units AG-LX")
    assert (
        "&lt;b&gt;Phường Long Xuyên&lt;/b&gt;"
        in staffed.api.calls_for("sendMessage")[-1].params["text"]
    )


async def test_import_refuses_huge_files_and_can_be_cancelled(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/importunits")
    await staffed.send(
        staffed.updates.document(ADMIN, file_name="big.csv", content=b"x", file_size=50_000_000)
    )
    assert staffed.api.last_text(ADMIN.id) == "Tệp quá lớn (tối đa 2048 KB)."
    await staffed.say(ADMIN, "/cancel")
    assert staffed.api.last_text(ADMIN.id) == "Đã hủy nhập. Không ghi gì."
    await staffed.send(staffed.updates.document(ADMIN, file_name="late.csv", content=sample_csv()))
    assert not staffed.api.last_text(ADMIN.id).startswith("✅")


async def test_admin_exports_the_tree_as_a_file_excel_reads(staffed: BotHarness) -> None:
    await staffed.say(ADMIN, "/exportunits")
    sent = staffed.api.sent_messages(ADMIN.id)[-1]
    assert sent.method == "sendDocument"
    document = sent.raw["document"]
    assert document["file_name"].startswith("units-")
    assert document["file_name"].endswith(".csv")
    assert sent.text == (
        "Toàn bộ đơn vị (28) dạng CSV (UTF-8). Có thể sửa bằng Excel rồi gửi lại bằng /importunits."
    )
    content = staffed.api.file_content(document["file_id"]).decode("utf-8")
    assert content.startswith(
        BOM + "code,parent_code,level,name_vi,name_en,active,chat_id,lat,lon\n"
    )
    assert "KG-RG-VTV,KG-RG,commune,Phường Vĩnh Thanh Vân,Vinh Thanh Van Ward,1," in content
