"""The art. 147 clock through the bot: local dates, /overdue, untaken tips, the daily digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.kernel.clock import Clock
from bot.ptb.context import BotContext
from bot.testing.harness import BotHarness
from bot.triage.handlers import DIGEST_JOB, digest_job, send_digest
from tests.officers.conftest import OFFICER_GQ, OFFICER_RG
from tests.tips.flow import submit

from .conftest import OFFICERS, TIPSTER, card, deliver, fresh, open_desk, plant, press

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def _last(harness: BotHarness, chat_id: int) -> str:
    return harness.api.last_message(chat_id).plain_text


@pytest.mark.parametrize(
    ("zone", "received", "deadline"),
    [
        # 20:30 UTC on 31 January is 03:30 on 1 February in Vietnam.
        ("Asia/Ho_Chi_Minh", datetime(2026, 1, 31, 20, 30, tzinfo=UTC), date(2026, 2, 21)),
        ("UTC", datetime(2026, 1, 31, 20, 30, tzinfo=UTC), date(2026, 2, 20)),
        # 05:00 UTC on 1 March is still 28 February in California: 20 days of a short month.
        ("America/Los_Angeles", datetime(2026, 3, 1, 5, 0, tzinfo=UTC), date(2026, 3, 20)),
        # Just after midnight on a leap day.
        ("Asia/Ho_Chi_Minh", datetime(2028, 2, 28, 17, 30, tzinfo=UTC), date(2028, 3, 20)),
        # A minute before the new year, across the year end.
        ("Asia/Ho_Chi_Minh", datetime(2026, 12, 31, 16, 59, tzinfo=UTC), date(2027, 1, 20)),
    ],
)
async def test_a_tip_counts_its_20_days_from_the_local_date_of_receipt(
    database_path: Path, zone: str, received: datetime, deadline: date
) -> None:
    desk = await open_desk(database_path, clock=Clock(start=received), timezone=zone)
    try:
        code = await submit(desk, TIPSTER)
        tip = await desk.app.services.tips.tips.by_code(code)
        assert tip is not None
        assert tip.decision_deadline == deadline
        shown = deadline.strftime("%d/%m/%Y")
        assert f"Hạn giải quyết (20 ngày): {shown}" in (await card(desk, tip)).plain_text
        assert shown in "".join(desk.texts(TIPSTER.id))
    finally:
        await desk.stop()


async def test_overdue_lists_deadlines_within_3_days_and_past_them(database_path: Path) -> None:
    clock = Clock(start=T0)
    desk = await open_desk(database_path, clock=clock)
    try:
        open_tip = await plant(desk, status="verifying")
        closed = await plant(desk, status="closed")
        elsewhere = await plant(desk, unit="KG-GQ", status="verifying")
        assert open_tip.decision_deadline == date(2026, 1, 30)

        clock.advance(timedelta(days=16))  # 26 January: 4 days left
        await desk.say(OFFICER_RG, "/overdue")
        assert open_tip.code not in _last(desk, OFFICER_RG.id).split("Chưa ai nhận")[0]
        clock.advance(timedelta(days=1))  # 27 January: 3 days left
        await desk.say(OFFICER_RG, "/overdue")
        answer = _last(desk, OFFICER_RG.id)
        assert "Quá hạn hoặc còn không quá 3 ngày: 1" in answer
        assert "hạn 30/01/2026 (còn 3 ngày)" in answer
        clock.advance(timedelta(days=3))  # 30 January: the last day
        await desk.say(OFFICER_RG, "/overdue")
        assert "(hết hạn hôm nay)" in _last(desk, OFFICER_RG.id)
        clock.advance(timedelta(days=2))  # 1 February, across the month end
        await desk.say(OFFICER_RG, "/overdue")
        answer = _last(desk, OFFICER_RG.id)
        assert "(quá hạn 2 ngày)" in answer
        assert "— 01/02/2026" in answer
        assert closed.code not in answer
        assert elsewhere.code not in answer
        await desk.say(OFFICER_GQ, "/overdue")
        assert elsewhere.code in _last(desk, OFFICER_GQ.id)
        assert open_tip.code not in _last(desk, OFFICER_GQ.id)
    finally:
        await desk.stop()


async def test_overdue_lists_tips_nobody_took_after_the_configured_hours(
    database_path: Path,
) -> None:
    clock = Clock(start=T0)
    desk = await open_desk(database_path, clock=clock, untaken_alert_hours=6)
    try:
        waiting = await plant(desk)
        taken = await plant(desk)
        shown = await card(desk, taken)
        await press(desk, OFFICER_RG, shown, "🙋 Nhận xử lý")
        clock.advance(timedelta(hours=5))
        await desk.say(OFFICER_RG, "/overdue")
        assert "Chưa ai nhận sau 6 giờ: 0" in _last(desk, OFFICER_RG.id)
        clock.advance(timedelta(hours=2))
        await desk.say(OFFICER_RG, "/overdue")
        answer = _last(desk, OFFICER_RG.id)
        assert "Chưa ai nhận sau 6 giờ: 1" in answer
        assert waiting.code in answer
        assert taken.code not in answer
    finally:
        await desk.stop()


async def test_recording_an_extension_after_the_deadline_is_refused(database_path: Path) -> None:
    clock = Clock(start=T0)
    desk = await open_desk(database_path, clock=clock)
    try:
        tip = await plant(desk, status="verifying")
        shown = await card(desk, tip)
        # The menu was opened in time; the deadline passed before the choice was pressed.
        menu = await press(desk, OFFICER_RG, shown, "⏳ Gia hạn…")
        clock.advance(timedelta(days=21))
        await press(desk, OFFICER_RG, menu, "⏳ 2 tháng (vụ việc phức tạp)")
        answer = desk.api.calls_for("answerCallbackQuery")[-1].params
        assert answer["text"] == (
            "Thời hạn đã hết; việc gia hạn phải được đề nghị trước khi hết hạn."
        )
        assert (await fresh(desk, tip)).extension == "none"
    finally:
        await desk.stop()


@pytest.mark.parametrize(
    ("zone", "setting", "expected"),
    [
        ("Asia/Ho_Chi_Minh", None, time(7, 30)),
        ("America/Los_Angeles", "21:15", time(21, 15)),
        ("Asia/Ho_Chi_Minh", "6:05", time(6, 5)),
    ],
)
async def test_the_digest_is_scheduled_daily_at_digest_time_local(
    database_path: Path, zone: str, setting: str | None, expected: time
) -> None:
    extra: dict[str, Any] = {} if setting is None else {"digest_time": setting}
    desk = await open_desk(database_path, timezone=zone, **extra)
    try:
        [job] = desk.app.job_queue.get_jobs_by_name(DIGEST_JOB)  # type: ignore[union-attr]
        assert job.next_t is not None
        local = job.next_t.astimezone(ZoneInfo(zone))
        assert local.time().replace(microsecond=0) == expected
        assert job.next_t - datetime.now(UTC) <= timedelta(days=1)
        # The day after, at the same local time (a daily trigger).
        trigger: Any = job.job.trigger
        following = trigger.get_next_fire_time(job.next_t, job.next_t + timedelta(seconds=1))
        assert following.astimezone(ZoneInfo(zone)).time().replace(microsecond=0) == expected
        assert following.astimezone(ZoneInfo(zone)).date() == local.date() + timedelta(days=1)
    finally:
        await desk.stop()


async def test_the_digest_goes_to_each_chat_with_its_own_tips(database_path: Path) -> None:
    clock = Clock(start=T0)
    desk = await open_desk(database_path, clock=clock)
    gq_chat = -1009988776655
    try:
        await desk.app.services.db.conn.execute(
            "UPDATE units SET chat_id = ? WHERE code = 'KG-GQ'", (gq_chat,)
        )
        assert await send_digest(desk.app) == 0  # nothing to report, nothing sent
        due = await plant(desk, status="verifying")
        untaken = await plant(desk)
        elsewhere = await plant(desk, unit="KG-GQ")
        await deliver(desk)
        clock.advance(timedelta(days=18))
        [job] = desk.app.job_queue.get_jobs_by_name(DIGEST_JOB)  # type: ignore[union-attr]
        before = len(desk.api.sent_messages(OFFICERS))
        await digest_job(BotContext.from_job(job, desk.app))
        digest = desk.api.sent_messages(OFFICERS)[before:]
        assert len(digest) == 1
        text = digest[0].plain_text
        assert text.startswith("🗓 Bản tin tin báo hằng ngày — 28/01/2026")
        assert (
            f"{due.code} · 💊 Ma túy · Đang xác minh · KG-RG-VT · hạn 30/01/2026 (còn 2 ngày)"
            in (text)
        )
        assert untaken.code in text.split("Chưa ai nhận sau 24 giờ: 1")[1]
        assert elsewhere.code not in text
        assert elsewhere.code in desk.api.last_message(gq_chat).plain_text
    finally:
        await desk.stop()


async def test_the_wall_clock_decides_today_with_time_machine(database_path: Path) -> None:
    # The bot's clock follows the machine's: freeze it at 23:30 local on the 20th day.
    with time_machine.travel(datetime(2026, 1, 30, 16, 30, tzinfo=UTC), tick=False):
        desk = await open_desk(database_path)
        try:
            tip = await plant(desk, status="taken", received_at=T0)
            await desk.say(OFFICER_RG, "/overdue")
            assert f"{tip.code}" in _last(desk, OFFICER_RG.id)
            assert "(hết hạn hôm nay)" in _last(desk, OFFICER_RG.id)
        finally:
            await desk.stop()
