"""An end for every delivery: permanent refusals end in a dead letter, told once to the admins.

Transient failures (429, 5xx, timeouts) are retried for ever; a tipster who blocked the bot is
given up at once (not a dead letter); an admin lists dead letters and puts them back.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.outbox.alerts import ADMIN_ALERT, enqueue_admin_alert
from bot.testing.botapi import FailureKind
from bot.testing.harness import TEST_SECRET, BotHarness, run_bot_cli
from bot.testing.updates import Person
from tests.officers.conftest import ADMIN, ANALYST, DB_ADMIN, OFFICER_RG, add_staff
from tests.tips.flow import OFFICERS, Answers, deliver, label, submit, tips_settings, visible
from tests.triage.conftest import TIPSTER, card, open_desk, plant

PARSE_ERROR = "Bad Request: can't parse entities: unsupported start tag"


def _settings(database_path: Path, **overrides: Any) -> Any:
    return tips_settings(database_path, admin_user_ids=(ADMIN.id,), **overrides)


@pytest.fixture
async def bot(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot with an officers' chat and ADMIN as the ADMIN_USER_IDS admin."""
    async with BotHarness(_settings(database_path)) as running:
        yield running


async def _rows(bot: BotHarness, kind: str) -> list[Any]:
    return await bot.app.services.db.fetch_all(
        "SELECT * FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    )


async def _later(bot: BotHarness, runs: int = 1) -> None:
    """Let the outbox run `runs` more times, each after every backoff (10 minutes at most)."""
    for _ in range(runs):
        bot.clock.advance(timedelta(minutes=11))
        await deliver(bot)


def _cards(bot: BotHarness) -> list[Any]:
    return [call for call in bot.api.calls_to(OFFICERS) if call.method == "sendMessage"]


async def test_a_card_refused_for_good_is_a_dead_letter_and_the_admins_are_told_once(
    bot: BotHarness, resident: Person
) -> None:
    bot.api.fail_until_cleared(
        "sendMessage", error="400", description=PARSE_ERROR, chat_id=OFFICERS
    )
    code = await submit(bot, resident)
    await deliver(bot)
    for tries in range(1, 5):
        [row] = await _rows(bot, "tip_card")
        assert (row["permanent_failures"], row["dead_at"]) == (tries, None)
        assert bot.api.sent_messages(ADMIN.id) == []
        await _later(bot)
    [row] = await _rows(bot, "tip_card")
    assert row["dead_at"] is not None
    assert (row["attempts"], row["permanent_failures"], row["delivered_at"]) == (5, 5, None)
    assert "can't parse entities" in row["last_error"].lower()
    tip = await bot.app.services.tips.tips.by_code(code)
    assert tip is not None
    assert row["payload"] == f'{{"tip_id": {tip.id}}}'  # kept whole, never deleted
    assert len(_cards(bot)) == 5
    [alert] = bot.api.sent_messages(ADMIN.id)
    text = visible(alert)
    assert "Một lần gửi đã thất bại hẳn" in text
    assert f"Hàng đợi #{row['id']} (tip_card), tin báo {code}" in text
    assert "Can't parse entities" in text
    assert f"/deadletters retry {row['id']}" in text
    # Later runs neither try the dead card again nor tell the admins a second time.
    await _later(bot, 3)
    assert len(_cards(bot)) == 5
    assert len(bot.api.sent_messages(ADMIN.id)) == 1
    assert len(await _rows(bot, ADMIN_ALERT)) == 1
    assert await bot.app.services.tips.outbox.pending_count() == 0


async def test_the_number_of_tries_is_the_setting(database_path: Path, resident: Person) -> None:
    async with BotHarness(_settings(database_path, outbox_max_permanent_failures=2)) as bot:
        bot.api.fail_until_cleared(
            "sendMessage", error="400", description=PARSE_ERROR, chat_id=OFFICERS
        )
        await submit(bot, resident)
        await deliver(bot)
        [row] = await _rows(bot, "tip_card")
        assert row["dead_at"] is None
        await _later(bot)
        [row] = await _rows(bot, "tip_card")
        assert row["dead_at"] is not None
        assert len(bot.api.sent_messages(ADMIN.id)) == 1


@pytest.mark.parametrize(
    ("failure", "description"), [("403", None), ("400", "Bad Request: chat not found")]
)
async def test_an_officers_chat_that_refuses_holds_cards_and_the_admins_are_told_once(
    bot: BotHarness, resident: Person, failure: FailureKind, description: str | None
) -> None:
    # A configuration to fix, not a dead letter: the cards wait and go out once it is fixed.
    bot.api.fail_until_cleared("*", error=failure, description=description, chat_id=OFFICERS)
    codes = [await submit(bot, resident)]
    await deliver(bot)
    await _later(bot, 3)
    assert bot.api.sent_messages(ADMIN.id) == []
    await _later(bot)
    [alert] = bot.api.sent_messages(ADMIN.id)
    assert "Một nhóm cán bộ đang từ chối bot" in visible(alert)
    assert f"Nhóm {OFFICERS} trả lời:" in visible(alert)
    assert f"Tin báo {codes[0]} và các tin khác" in visible(alert)
    # More runs and more cards for the same chat: no second alert, and nothing dies.
    codes.append(await submit(bot, resident, Answers(category="fraud")))
    await _later(bot, 12)
    assert len(bot.api.sent_messages(ADMIN.id)) == 1
    rows = await _rows(bot, "tip_card")
    assert [row["dead_at"] for row in rows] == [None, None]
    assert sum(row["attempts"] for row in rows) >= 16
    # Capped backoff: never more than 10 minutes away, however long the chat refuses.
    waits = [datetime.fromisoformat(row["next_attempt_at"]) - bot.clock.now() for row in rows]
    assert max(waits) <= timedelta(minutes=10)
    bot.api.clear_failures()
    await _later(bot)
    posted = " ".join(visible(message) for message in bot.api.sent_messages(OFFICERS))
    assert all(code in posted for code in codes)
    assert await bot.app.services.tips.outbox.pending_count() == 0


# PTB 22 itself warns when it builds a RetryAfter from a 429 (retry_after becomes a timedelta).
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize("failure", ["429", "5xx", "timeout", "network"])
async def test_transient_failures_are_retried_for_ever_and_never_die(
    bot: BotHarness, resident: Person, failure: FailureKind
) -> None:
    bot.api.fail_until_cleared("sendMessage", error=failure, retry_after=30, chat_id=OFFICERS)
    code = await submit(bot, resident)
    await deliver(bot)
    await _later(bot, 12)
    [row] = await _rows(bot, "tip_card")
    assert row["attempts"] >= 12
    assert (row["permanent_failures"], row["dead_at"], row["delivered_at"]) == (0, None, None)
    assert bot.api.sent_messages(ADMIN.id) == []
    assert await _rows(bot, ADMIN_ALERT) == []
    bot.api.clear_failures()
    await _later(bot)
    assert code in visible(bot.api.sent_messages(OFFICERS)[0])


async def test_transient_failures_do_not_count_towards_the_permanent_ones(
    bot: BotHarness, resident: Person
) -> None:
    api = bot.api
    api.fail_next("sendMessage", 4, error="400", description=PARSE_ERROR, chat_id=OFFICERS)
    await submit(bot, resident)
    await deliver(bot)
    await _later(bot, 3)
    api.fail_next("sendMessage", 6, error="5xx", chat_id=OFFICERS)
    await _later(bot, 6)
    [row] = await _rows(bot, "tip_card")
    assert (row["attempts"], row["permanent_failures"], row["dead_at"]) == (10, 4, None)
    await _later(bot)
    [row] = await _rows(bot, "tip_card")
    assert row["delivered_at"] is not None


async def test_a_relay_to_a_tipster_who_blocked_the_bot_is_given_up_not_a_dead_letter(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path)
    try:
        tip = await plant(desk)
        await card(desk, tip)
        desk.api.block(TIPSTER.id)
        await desk.say(OFFICER_RG, f"/ask {tip.code} Mấy giờ thì họ đến?")
        await deliver(desk)
        [row] = await _rows(desk, "relay_question")
        # Given up at the first refusal: the officer who asked is told (tests/triage), nobody
        # else; there is nothing for an administrator to fix.
        assert row["undeliverable_at"] is not None
        assert (row["attempts"], row["dead_at"]) == (0, None)
        assert "không gửi được câu hỏi" in desk.api.last_message(OFFICER_RG.id).plain_text.lower()
        await _later(desk, 6)
        assert await _rows(desk, ADMIN_ALERT) == []
        await desk.say(ADMIN, "/deadletters")
        assert desk.api.last_message(ADMIN.id).plain_text == (
            "Không có thư hỏng: mọi lần gửi đã đi hoặc vẫn đang được thử lại."
        )
    finally:
        await desk.stop()


async def test_a_relay_refused_for_another_reason_dies_and_names_its_tip(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path)
    try:
        tip = await plant(desk)
        await card(desk, tip)
        desk.api.fail_until_cleared(
            "sendMessage", error="400", description=PARSE_ERROR, chat_id=TIPSTER.id
        )
        await desk.say(OFFICER_RG, f"/ask {tip.code} Mấy giờ thì họ đến?")
        await deliver(desk)
        await _later(desk, 4)
        [row] = await _rows(desk, "relay_question")
        assert row["dead_at"] is not None
        assert row["undeliverable_at"] is None
        await deliver(desk)
        assert f"(relay_question), tin báo {tip.code}" in visible(
            desk.api.sent_messages(ADMIN.id)[-1]
        )
    finally:
        await desk.stop()


async def _dead_card(bot: BotHarness, resident: Person) -> tuple[str, int]:
    bot.api.fail_until_cleared(
        "sendMessage", error="400", description=PARSE_ERROR, chat_id=OFFICERS
    )
    code = await submit(bot, resident)
    await deliver(bot)
    await _later(bot, 4)
    [row] = await _rows(bot, "tip_card")
    assert row["dead_at"] is not None
    return code, int(row["id"])


async def test_admins_list_dead_letters_in_their_language_and_retry_one(
    bot: BotHarness, resident: Person
) -> None:
    code, row_id = await _dead_card(bot, resident)
    await bot.say(ADMIN, "/deadletters")
    listing = bot.api.last_message(ADMIN.id).plain_text
    assert listing.startswith("Thư hỏng: 1 (mới nhất 1 bên dưới).")
    assert f"#{row_id} · tip_card · tin báo {code} · hỏng lúc " in listing
    assert "sau 5 lần thử" in listing
    assert "Can't parse entities" in listing

    await bot.say(ADMIN, "/language")
    await bot.press(ADMIN, label("language.name", "en"))
    await bot.say(ADMIN, "/deadletters")
    listing = bot.api.last_message(ADMIN.id).plain_text
    assert listing.startswith("Dead letters: 1 (the newest 1 below).")
    assert f"#{row_id} · tip_card · tip {code} · died " in listing
    assert "after 5 tries" in listing
    await bot.say(ADMIN, "/deadletters retry")
    assert "/deadletters retry ID" in bot.api.last_message(ADMIN.id).plain_text
    await bot.say(ADMIN, f"/deadletters retry {row_id + 100}")
    assert bot.api.last_message(ADMIN.id).plain_text == f"There is no dead letter #{row_id + 100}."

    # The fault is gone; the admin puts the card back and it is posted.
    bot.api.clear_failures()
    await bot.say(ADMIN, f"/deadletters retry {row_id}")
    assert bot.api.last_message(ADMIN.id).plain_text == (
        f"Outbox #{row_id} is back in the queue; it is being delivered now."
    )
    await deliver(bot)
    assert code in visible(bot.api.sent_messages(OFFICERS)[-1])
    [row] = await _rows(bot, "tip_card")
    assert (row["dead_at"], row["permanent_failures"]) == (None, 0)
    assert row["delivered_at"] is not None
    await bot.say(ADMIN, "/deadletters")
    assert bot.api.last_message(ADMIN.id).plain_text.startswith("No dead letters")


async def test_a_card_put_back_gets_the_full_tries_and_one_new_alert_if_it_dies_again(
    bot: BotHarness, resident: Person
) -> None:
    await _dead_card(bot, resident)
    await bot.say(ADMIN, "/deadletters retry all")
    assert bot.api.last_message(ADMIN.id).plain_text.startswith("1 thư hỏng đã trở lại")
    await deliver(bot)
    [row] = await _rows(bot, "tip_card")
    assert (row["dead_at"], row["permanent_failures"]) == (None, 1)
    await _later(bot, 4)
    [row] = await _rows(bot, "tip_card")
    assert row["dead_at"] is not None
    assert len(await _rows(bot, ADMIN_ALERT)) == 2  # one per death


async def test_anyone_but_an_admin_gets_the_unknown_command_answer(
    bot: BotHarness, resident: Person
) -> None:
    await add_staff(bot)  # officers and analysts of the registry, who are not admins
    _code, row_id = await _dead_card(bot, resident)
    for person in (resident, OFFICER_RG, ANALYST):
        await bot.say(person, "/nosuchcommand")
        baseline = bot.api.calls_for("sendMessage")[-1].params
        for text in ("/deadletters", f"/deadletters retry {row_id}", "/deadletters retry all"):
            before = len(bot.api.calls)
            await bot.say(person, text)
            calls = bot.api.calls[before:]
            assert [call.method for call in calls] == ["sendMessage"]
            assert calls[0].params == baseline
    [row] = await _rows(bot, "tip_card")
    assert row["dead_at"] is not None  # still dead: the refused retry did nothing


async def test_an_alert_refused_for_good_dies_without_an_alert_about_it(
    bot: BotHarness, resident: Person
) -> None:
    bot.api.block(ADMIN.id)
    await _dead_card(bot, resident)
    await _later(bot, 6)
    [alert] = await _rows(bot, ADMIN_ALERT)
    assert alert["dead_at"] is not None
    assert "no administrator could be reached" in alert["last_error"]
    assert "blocked" in alert["last_error"]
    await _later(bot, 3)
    assert len(await _rows(bot, ADMIN_ALERT)) == 1  # no alert about the dead alert: no loop


async def test_alerts_go_to_admin_chat_id_when_it_is_set(
    database_path: Path, resident: Person
) -> None:
    admins = -1009998887776
    async with BotHarness(_settings(database_path, admin_chat_id=admins)) as bot:
        await _dead_card(bot, resident)
        await deliver(bot)
        [alert] = bot.api.sent_messages(admins)
        assert "Một lần gửi đã thất bại hẳn" in visible(alert)
        assert bot.api.sent_messages(ADMIN.id) == []


async def test_an_alert_is_queued_in_the_callers_transaction(bot: BotHarness) -> None:
    services = bot.app.services
    outbox = services.tips.outbox
    now = services.clock.now()

    async def change_that_fails() -> None:
        async with services.db.transaction() as conn:
            await enqueue_admin_alert(
                conn, outbox, "alerts.dead_letter", now, id=1, kind="x", tip="—", error="e"
            )
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        await change_that_fails()
    assert await _rows(bot, ADMIN_ALERT) == []  # rolled back with the caller's change
    with pytest.raises(KeyError, match="missing"):
        async with services.db.transaction() as conn:
            await enqueue_admin_alert(conn, outbox, "alerts.no_such_key", now)
    with pytest.raises(KeyError):
        async with services.db.transaction() as conn:
            await enqueue_admin_alert(conn, outbox, "alerts.dead_letter", now, id=1)
    async with services.db.transaction() as conn:
        await enqueue_admin_alert(
            conn, outbox, "alerts.dead_letter", now, id=7, kind="inbox", tip="—", error="<b>"
        )
    await deliver(bot)
    [alert] = bot.api.sent_messages(ADMIN.id)
    assert "Hàng đợi #7 (inbox)" in visible(alert)
    assert "Lỗi: <b>" in visible(alert)  # values are escaped, shown as written


async def test_check_lists_dead_letters_and_fails(database_path: Path, resident: Person) -> None:
    async with BotHarness(_settings(database_path)) as bot:
        clean = await asyncio.to_thread(lambda: _check(database_path))
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "ok   dead letters: none" in clean.stdout
        code, row_id = await _dead_card(bot, resident)
    result = await asyncio.to_thread(lambda: _check(database_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ok   integrity: ok" in result.stdout
    assert "FAIL dead letters: 1 deliveries failed for good" in result.stdout
    assert f"#{row_id} tip_card tip {code} died " in result.stdout
    assert "after 5 tries: Can't parse entities" in result.stdout


def _check(database_path: Path) -> subprocess.CompletedProcess[str]:
    return run_bot_cli("check", DATABASE_PATH=str(database_path), SECRET_KEY=TEST_SECRET)


async def test_each_admin_gets_the_alert_in_their_own_language(
    bot: BotHarness, resident: Person
) -> None:
    await add_staff(bot)  # DB_ADMIN: an admin of the registry, not of ADMIN_USER_IDS
    await bot.say(ADMIN, "/language")
    await bot.press(ADMIN, label("language.name", "en"))
    code, row_id = await _dead_card(bot, resident)
    english = visible(bot.api.sent_messages(ADMIN.id)[-1])
    assert english.startswith("⚠️ A delivery failed for good")
    assert f"Outbox #{row_id} (tip_card), tip {code}" in english
    [vietnamese] = bot.api.sent_messages(DB_ADMIN.id)
    assert visible(vietnamese).startswith("⚠️ Một lần gửi đã thất bại hẳn")
    assert bot.api.sent_messages(OFFICER_RG.id) == []  # officers are not administrators
