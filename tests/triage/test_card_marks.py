"""People first on the card: what is new, urgent or late shows in its title, and only moves
allowed now are offered (no extension after the deadline, no mediation after «unfounded», an
assignee picked from the unit's officers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.kernel.clock import Clock
from bot.kernel.i18n import Language
from bot.kernel.status import Outcome, Status
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.triage.render import OUTCOMES, VERB_ASSIGN_CARD, VERB_CLOSE, status_index
from tests.officers.conftest import ADMIN, ANALYST, OFFICER_GQ, OFFICER_RG, RESIDENT, REVOKED

from .conftest import (
    STALE,
    TIPSTER,
    audit_rows,
    card,
    fresh,
    open_desk,
    plant,
    press,
    press_data,
    signed,
)

T0 = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # 10:00 on 10 January in Vietnam: due 30 January


@dataclass(frozen=True)
class Words:
    """What an officer reads in one language."""

    title: str
    urgent: str
    one_day: str
    three_days: str
    speaks: str
    take: str
    verifying: str
    verified: str
    close: str
    extend: str
    assign: str
    back: str
    handler: str
    outcomes: tuple[str, ...]
    stale: str
    expired: str
    outcome_refused: str
    not_eligible: str
    assigned: str
    already: str
    closed: str


VI = Words(
    title="Tin báo",
    urgent="🚨 ĐANG DIỄN RA · ",
    one_day="⏰ quá hạn 1 ngày · ",
    three_days="⏰ quá hạn 3 ngày · ",
    speaks="🕶 Ẩn danh · ngôn ngữ: tiếng Việt",
    take="🙋 Nhận xử lý",
    verifying="🔎 Xác minh",
    verified="⭐ Có giá trị",
    close="✅ Kết thúc…",
    extend="⏳ Gia hạn…",
    assign="👤 Giao cho…",
    back="« Quay lại",
    handler="Người xử lý: Lê Minh",
    outcomes=("Đã giải quyết", "Hòa giải thành", "Khởi tố vụ án", "Không xử lý"),
    stale=STALE,
    expired="Thời hạn đã hết; việc gia hạn phải được đề nghị trước khi hết hạn.",
    outcome_refused=(
        "Tin báo ở «Không có cơ sở» không thể kết thúc với kết quả «Hòa giải thành»: "
        "tin không có cơ sở hoặc tin rác không được hòa giải hay khởi tố."
    ),
    not_eligible="Người có ID {id} không phải là cán bộ phụ trách đơn vị của tin báo này.",
    assigned="✅ Đã giao cho Lê Minh",
    already="Người này đã là người xử lý tin báo.",
    closed="Tin báo đã kết thúc, không thể thay đổi nữa.",
)
EN = Words(
    title="Tip",
    urgent="🚨 HAPPENING NOW · ",
    one_day="⏰ 1 day overdue · ",
    three_days="⏰ 3 days overdue · ",
    speaks="🕶 Anonymous · language: English",
    take="🙋 Take",
    verifying="🔎 Verify",
    verified="⭐ Of value",
    close="✅ Close…",
    extend="⏳ Extend…",
    assign="👤 Assign…",
    back="« Back",
    handler="Handled by: Lê Minh",
    outcomes=("Handled", "Mediated", "Case opened", "No action"),
    stale="This button is no longer active. Please use the latest menu.",
    expired="The deadline has passed; an extension must be asked for before it expires.",
    outcome_refused=(
        "A tip in “Unfounded” cannot be closed as “Mediated”: "
        "an unfounded tip or spam was neither mediated nor made a case."
    ),
    not_eligible="Person {id} is not an officer covering this tip's unit.",
    assigned="✅ Assigned to Lê Minh",
    already="This person already handles the tip.",
    closed="The tip is closed and can no longer change.",
)
WORDS = {"vi": VI, "en": EN}
BOTH = pytest.mark.parametrize("language", ["vi", "en"])


async def _desk(database_path: Path, language: Language, clock: Clock) -> BotHarness:
    """A bot whose officers' chat and officers all speak `language`."""
    desk = await open_desk(database_path, clock=clock, default_language=language)
    for person in (ADMIN, OFFICER_RG, OFFICER_GQ, ANALYST, REVOKED, RESIDENT):
        await desk.app.services.set_language(person.id, language)
    return desk


def _labels(rows: list[list[str]]) -> list[str]:
    return [label for row in rows for label in row]


def _title(text: str) -> str:
    return text.splitlines()[0]


@BOTH
async def test_the_title_marks_new_urgent_and_overdue_only_while_open(
    database_path: Path, language: Language
) -> None:
    words = WORDS[language]
    clock = Clock(start=T0)
    desk = await _desk(database_path, language, clock)
    try:
        tip = await plant(desk, occurred="now", language=language)
        shown = await card(desk, tip)
        assert _title(shown.plain_text) == f"🆕 {words.urgent}{words.title} {tip.code}"
        # The tipster's language is on the card; who they are is not.
        assert words.speaks in shown.plain_text
        for secret in (TIPSTER.first_name, TIPSTER.last_name, TIPSTER.username, str(TIPSTER.id)):
            assert str(secret) not in shown.text
        taken = await press(desk, OFFICER_RG, shown, words.take)
        assert _title(taken.plain_text) == f"{words.urgent}{words.title} {tip.code}"
        assert words.extend in _labels(taken.buttons())
        clock.advance(timedelta(days=21))  # 31 January: one day past the deadline
        late = await press(desk, OFFICER_RG, taken, words.verifying)
        assert _title(late.plain_text) == f"{words.urgent}{words.one_day}{words.title} {tip.code}"
        # Past the deadline the extension is no longer offered.
        assert words.extend not in _labels(late.buttons())
        clock.advance(timedelta(days=2))
        later = await press(desk, OFFICER_RG, late, words.verified)
        assert _title(later.plain_text) == (
            f"{words.urgent}{words.three_days}{words.title} {tip.code}"
        )
        menu = await press(desk, OFFICER_RG, later, words.close)
        closed = await press(desk, OFFICER_RG, menu, words.outcomes[0])
        assert (await fresh(desk, tip)).status == "closed"
        assert _title(closed.plain_text) == f"{words.title} {tip.code}"
        assert closed.buttons() == []
    finally:
        await desk.stop()


@BOTH
async def test_a_tip_not_happening_now_and_in_time_has_no_urgent_or_overdue_mark(
    database_path: Path, language: Language
) -> None:
    words = WORDS[language]
    clock = Clock(start=T0)
    desk = await _desk(database_path, language, clock)
    try:
        tip = await plant(desk, occurred="today", status="verifying")
        clock.advance(timedelta(days=20))  # the deadline's own day is not overdue
        shown = await card(desk, tip)
        assert _title(shown.plain_text) == f"{words.title} {tip.code}"
        assert words.extend in _labels(shown.buttons())
    finally:
        await desk.stop()


@BOTH
async def test_a_stale_extend_press_after_the_deadline_says_why_and_redraws(
    database_path: Path, language: Language
) -> None:
    words = WORDS[language]
    clock = Clock(start=T0)
    desk = await _desk(database_path, language, clock)
    try:
        tip = await plant(desk, status="verifying")
        shown = await card(desk, tip)
        assert words.extend in _labels(shown.buttons())
        clock.advance(timedelta(days=21))
        answer = await press_data(desk, OFFICER_RG, shown, shown.button_data(words.extend))
        assert answer["text"] == words.expired
        after = desk.api.message(shown.chat_id, shown.message_id)
        assert words.extend not in _labels(after.buttons())
        assert words.one_day in _title(after.plain_text)
        stored = await fresh(desk, tip)
        assert (stored.extension, stored.decision_deadline) == ("none", tip.decision_deadline)
        assert await audit_rows(desk, "tip.extend") == []
    finally:
        await desk.stop()


@BOTH
async def test_an_unfounded_tip_closes_only_without_mediation_or_a_case(
    database_path: Path, language: Language
) -> None:
    words = WORDS[language]
    desk = await _desk(database_path, language, Clock(start=T0))
    try:
        tip = await plant(desk, status="unfounded")
        shown = await card(desk, tip)
        menu = await press(desk, OFFICER_RG, shown, words.close)
        handled, mediated, case_opened, no_action = words.outcomes
        assert menu.buttons() == [[handled, no_action], [words.back]]
        # A forged close as «mediated» (or «case opened») is refused with a reason.
        for outcome in (Outcome.MEDIATED, Outcome.CASE_OPENED):
            forged = signed(
                desk,
                VERB_CLOSE,
                tip,
                status_index(Status.UNFOUNDED) + str(OUTCOMES.index(outcome)),
            )
            answer = await press_data(desk, OFFICER_RG, shown, forged)
            refusal = words.outcome_refused
            if outcome is Outcome.CASE_OPENED:
                refusal = refusal.replace(mediated, case_opened, 1)
            assert answer["text"] == refusal
            assert answer["show_alert"] is True
        assert (await fresh(desk, tip)).status == "unfounded"
        assert await audit_rows(desk, "tip.status") == []
        # A verified tip may still end in a case.
        verified = await plant(desk, status="verified")
        menu = await press(desk, OFFICER_RG, await card(desk, verified), words.close)
        assert menu.buttons() == [[handled, mediated], [case_opened, no_action], [words.back]]
    finally:
        await desk.stop()


@BOTH
async def test_the_card_assigns_one_of_the_units_officers_and_redraws(
    database_path: Path, language: Language
) -> None:
    words = WORDS[language]
    desk = await _desk(database_path, language, Clock(start=T0))
    try:
        tip = await plant(desk)
        shown = await card(desk, tip)
        menu = await press(desk, ADMIN, shown, words.assign)
        people = _labels(menu.buttons()[:-1])
        assert "Lê Minh" in people
        # Nobody of another unit, no analyst, no one whose role was taken away.
        assert all(name not in people for name in ("Tuấn Võ", "Phương Huỳnh", "Cường Đặng"))
        assert menu.buttons()[-1] == [words.back]
        before = len(desk.api.sent_messages(OFFICER_RG.id))
        after = await press(desk, ADMIN, menu, "Lê Minh")
        assert desk.api.calls_for("answerCallbackQuery")[-1].params["text"] == words.assigned
        stored = await fresh(desk, tip)
        assert (stored.status, stored.assignee_id) == ("taken", OFFICER_RG.id)
        assert words.handler in after.plain_text
        assert not _title(after.plain_text).startswith("🆕")
        assert words.take not in _labels(after.buttons())
        # The new handler is told, in private.
        told = desk.api.sent_messages(OFFICER_RG.id)[before:]
        assert len(told) == 1
        assert tip.code in told[0].plain_text
        assert len(await audit_rows(desk, "tip.assign")) == 1
        # Their name is marked in the list next time; choosing them again is refused.
        again = await press(desk, ADMIN, after, words.assign)
        assert "• Lê Minh" in _labels(again.buttons())
        answer = await press_data(desk, ADMIN, again, again.button_data("• Lê Minh"))
        assert answer["text"] == words.already
        assert len(await audit_rows(desk, "tip.assign")) == 1
    finally:
        await desk.stop()


@BOTH
async def test_a_forged_assignee_is_refused(database_path: Path, language: Language) -> None:
    words = WORDS[language]
    desk = await _desk(database_path, language, Clock(start=T0))
    try:
        tip = await plant(desk)
        shown = await card(desk, tip)
        for argument in ("abc", "1" * 17, "-5"):
            answer = await press_data(
                desk, OFFICER_RG, shown, signed(desk, VERB_ASSIGN_CARD, tip, argument)
            )
            assert answer["text"] == words.stale
        for person in (RESIDENT, ANALYST, OFFICER_GQ, REVOKED):
            forged = signed(desk, VERB_ASSIGN_CARD, tip, str(person.id))
            answer = await press_data(desk, OFFICER_RG, shown, forged)
            assert answer["text"] == words.not_eligible.format(id=person.id)
        stored = await fresh(desk, tip)
        assert (stored.status, stored.assignee_id) == ("received", None)
        assert await audit_rows(desk, "tip.assign") == []
        # The tip is closed elsewhere: the card's old «Assign…» says so instead of a list.
        stale = shown.button_data(words.assign)
        taken = await press(desk, OFFICER_RG, shown, words.take)
        closing = await press(desk, OFFICER_RG, taken, words.close)
        await press(desk, OFFICER_RG, closing, words.outcomes[0])
        answer = await press_data(desk, OFFICER_RG, shown, stale)
        assert answer["text"] == words.closed
        assert desk.api.message(shown.chat_id, shown.message_id).buttons() == []
        assert await audit_rows(desk, "tip.assign") == []
    finally:
        await desk.stop()


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "person",
    [RESIDENT, ANALYST, REVOKED, OFFICER_GQ],
    ids=["resident", "analyst", "revoked", "sibling"],
)
async def test_people_without_the_right_cannot_assign_from_the_card(
    database_path: Path, language: Language, person: Person
) -> None:
    words = WORDS[language]
    desk = await _desk(database_path, language, Clock(start=T0))
    try:
        tip = await plant(desk)
        shown = await card(desk, tip)
        menu = await press_data(desk, person, shown, shown.button_data(words.assign))
        assert menu["text"] == words.stale
        pick = signed(desk, VERB_ASSIGN_CARD, tip, str(OFFICER_RG.id))
        answer = await press_data(desk, person, shown, pick)
        assert answer["text"] == words.stale
        stored = await fresh(desk, tip)
        assert (stored.status, stored.assignee_id) == ("received", None)
        assert await audit_rows(desk, "tip.assign") == []
        assert desk.api.message(shown.chat_id, shown.message_id).buttons() == shown.buttons()
    finally:
        await desk.stop()


@BOTH
async def test_the_list_counts_down_only_for_open_tips(
    database_path: Path, language: Language
) -> None:
    clock = Clock(start=T0)
    desk = await _desk(database_path, language, clock)
    try:
        waiting = await plant(desk, status="verifying")
        closed = await plant(desk, status="closed")
        unfounded = await plant(desk, status="unfounded")
        clock.advance(timedelta(days=5))
        await desk.say(OFFICER_RG, "/tips all")
        lines = desk.api.last_message(OFFICER_RG.id).plain_text.splitlines()

        def line(code: str) -> str:
            (found,) = [text for text in lines if code in text]
            return found

        due = {"vi": "hạn 30/01/2026 (còn 15 ngày)", "en": "due 30/01/2026 (15 days left)"}
        assert due[language] in line(waiting.code)
        for decided in (closed, unfounded):
            assert "30/01/2026" not in line(decided.code)
            assert ("ngày" if language == "vi" else "day") not in line(decided.code)
    finally:
        await desk.stop()
