"""Telegram faults during submission, notification and report sending: nothing lost, no crash.

Faults are injected by the in-memory Bot API exactly as Telegram answers them: 429 with
`retry_after`, 5xx, timeouts, dropped connections, 403 (the person blocked the bot) and 400
(chat not found, message is not modified). Relays between officers and tipsters are built by
the triage feature and tested there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.kernel.i18n import translator
from bot.testing.botapi import NOT_MODIFIED_DESCRIPTION, FailureKind, InMemoryBotApi
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person
from bot.tips.handlers import expire_idle_drafts
from tests.figures.conftest import ADMIN, NOW, TREE
from tests.hardening import crowd
from tests.hardening.crowd import BotProcess, Crowd, cards_delivered, officers_group
from tests.tips.flow import (
    OFFICERS,
    Answers,
    deliver,
    label,
    last_shown,
    reach_review,
    receipt_code,
    submit,
)

APOLOGY = translator("vi")("error.generic")
CHAT_NOT_FOUND = "Bad Request: chat not found"
STORY = "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ."
# (kind, description): every answer Telegram gives when a send does not go through.
FAULTS: list[tuple[FailureKind, str | None]] = [
    ("429", None),
    ("5xx", None),
    ("timeout", None),
    ("network", None),
    ("403", None),
    ("400", CHAT_NOT_FOUND),
]
FAULT_IDS = [kind if kind != "400" else "400-chat-not-found" for kind, _ in FAULTS]

# PTB 22 warns when it builds a RetryAfter from a 429 (retry_after becomes a timedelta).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def count(bot: BotHarness, table: str) -> int:
    return int(await bot.app.services.db.fetch_value(f"SELECT count(*) FROM {table}"))


def fault(
    api: InMemoryBotApi, method: str, kind: FailureKind, description: str | None, chat_id: int
) -> Callable[[], None]:
    """Make Telegram fail the next `method` into a chat; return what ends the fault.

    A blocked bot (403) and a vanished chat (400 chat not found) are states of the chat, not
    one-off answers: everything sent there fails until they end.
    """
    if kind == "403":
        api.block(chat_id)
        return lambda: api.unblock(chat_id)
    if kind == "400" and description == CHAT_NOT_FOUND:
        api.unknown_chats.add(chat_id)
        return lambda: api.unknown_chats.discard(chat_id)
    api.fail_next(method, error=kind, retry_after=1, description=description, chat_id=chat_id)
    return lambda: None


# ---------------------------------------------------------------- submission


@pytest.mark.parametrize(("kind", "description"), FAULTS, ids=FAULT_IDS)
async def test_a_fault_on_the_receipt_never_loses_or_doubles_the_tip(
    bot: BotHarness, resident: Person, kind: FailureKind, description: str | None
) -> None:
    await reach_review(bot, resident, Answers(photos=1))
    review = bot.api.last_message(resident.id)
    data = review.button_data(label("tips.button.send"))
    before = bot.api.message_count(resident.id)
    end_fault = fault(bot.api, "sendMessage", kind, description, resident.id)
    await bot.send(bot.updates.callback(resident, review, data), allow_errors=True)
    end_fault()

    # Committed once, before any answer went out: the tip, its file, its event, its card.
    assert [await count(bot, t) for t in ("tips", "tip_evidence", "tip_events", "outbox")] == [
        1,
        1,
        1,
        1,
    ]
    code = (await bot.app.services.db.fetch_value("SELECT code FROM tips")) or ""
    # The button's own answer carries the code whatever happens to the message after it.
    assert code in bot.api.calls_for("answerCallbackQuery")[-1].params["text"]
    arrived = [m.text for m in bot.api.sent_messages(resident.id, start=before)]
    if kind == "429":
        assert receipt_code(bot, resident) == code  # waited out and sent
    elif kind in ("5xx", "timeout", "network"):
        assert arrived == [APOLOGY]  # a clear "please try again"
    else:
        assert arrived == []  # a blocked bot or a vanished chat: nobody to tell

    # Trying again with the same button gives the same receipt and writes nothing.
    await bot.send(bot.updates.callback(resident, review, data))
    assert receipt_code(bot, resident) == code
    assert await count(bot, "tips") == 1
    await bot.say(resident, "/mytips")
    assert code in last_shown(bot, resident.id)
    await deliver(bot)
    cards = [m for m in bot.api.sent_messages(OFFICERS) if m.method == "sendMessage"]
    assert len(cards) == 1
    assert code in cards[0].text


@pytest.mark.parametrize(
    ("method", "kind", "description"),
    [
        pytest.param("sendMessage", "429", None, id="429-on-the-question"),
        pytest.param(
            "editMessageText",
            "400",
            NOT_MODIFIED_DESCRIPTION,
            id="400-not-modified-on-the-pressed-message",
        ),
        pytest.param("editMessageText", "5xx", None, id="5xx-on-the-pressed-message"),
        pytest.param("answerCallbackQuery", "timeout", None, id="timeout-on-the-button-answer"),
        pytest.param("sendMessage", "5xx", None, id="5xx-on-the-question"),
        pytest.param("sendMessage", "timeout", None, id="timeout-on-the-question"),
    ],
)
async def test_after_a_fault_mid_tip_the_resident_can_go_on(
    bot: BotHarness, resident: Person, method: str, kind: FailureKind, description: str | None
) -> None:
    await bot.say(resident, "/tip")
    bot.api.fail_next(method, error=kind, retry_after=1, description=description)
    prompt = bot.api.last_message(resident.id)
    update = bot.updates.callback(resident, prompt, prompt.button_data("💊 Ma túy"))
    await bot.send(update, allow_errors=True)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.category == "drugs"
    # Whatever the resident saw (the question, or "please try again"), they answer on.
    await bot.say(resident, STORY)
    record = await bot.app.services.tips.load_draft(resident.id)
    assert record is not None
    assert record.draft.story_parts == [STORY]
    assert bot.api.last_message(resident.id).button_data(label("tips.button.done"))


# ---------------------------------------------------------------- notification


async def _row(bot: BotHarness) -> tuple[int, datetime, str | None]:
    row = await bot.app.services.db.fetch_one(
        "SELECT attempts, next_attempt_at, delivered_at FROM outbox"
    )
    assert row is not None
    return int(row[0]), datetime.fromisoformat(row[1]), row[2]


@pytest.mark.parametrize(("kind", "description"), FAULTS, ids=FAULT_IDS)
async def test_the_card_is_retried_with_backoff_until_delivered_once(
    bot: BotHarness, resident: Person, kind: FailureKind, description: str | None
) -> None:
    failures = 3
    bot.api.fail_next(
        "sendMessage",
        failures,
        error=kind,
        retry_after=30,
        description=description,
        chat_id=OFFICERS,
    )
    code = await submit(bot, resident, Answers(photos=1, location=(10.01, 105.08)))
    waits: list[timedelta] = []
    for attempt in range(1, failures + 1):
        assert await deliver(bot) == 0
        attempts, next_attempt, delivered = await _row(bot)
        assert (attempts, delivered) == (attempt, None)
        waits.append(next_attempt - bot.clock.now())
        # Not yet due: a run finds nothing to send and calls nothing.
        calls = len(bot.api.calls_to(OFFICERS))
        bot.clock.advance(waits[-1] - timedelta(seconds=1))
        assert await deliver(bot) == 0
        assert len(bot.api.calls_to(OFFICERS)) == calls
        bot.clock.advance(timedelta(seconds=1))
    if kind == "429":
        # As long as Telegram asked (stored to the second).
        assert all(timedelta(seconds=29) < wait <= timedelta(seconds=30) for wait in waits)
    else:
        assert waits[0] < waits[1] < waits[2] <= timedelta(minutes=10)  # backing off
    assert await deliver(bot) == 1
    assert (await _row(bot))[2] is not None
    sent = bot.api.sent_messages(OFFICERS)
    assert [m.method for m in sent] == ["sendMessage", "sendLocation", "sendPhoto"]
    assert code in sent[0].text
    # The receipt was never held up by the officers' chat.
    assert receipt_code(bot, resident) == code


async def test_a_file_telegram_refuses_is_noted_under_the_card_not_retried_for_ever(
    bot: BotHarness, resident: Person
) -> None:
    bot.api.fail_next(
        "sendPhoto",
        error="400",
        description="Bad Request: wrong file identifier/HTTP URL specified",
        chat_id=OFFICERS,
    )
    code = await submit(bot, resident, Answers(photos=2))
    assert await deliver(bot) == 1
    sent = bot.api.sent_messages(OFFICERS)
    assert [m.method for m in sent] == ["sendMessage", "sendMessage", "sendPhoto"]
    assert code in sent[0].text
    assert code in sent[1].text  # "attachment 1 of 2 could not be posted"
    assert (await _row(bot))[2] is not None


@pytest.mark.parametrize(("kind", "description"), FAULTS, ids=FAULT_IDS)
async def test_an_expiry_notice_that_fails_still_expires_the_draft(
    bot: BotHarness, resident: Person, kind: FailureKind, description: str | None
) -> None:
    await bot.say(resident, "/tip")
    bot.clock.advance(timedelta(minutes=61))
    end_fault = fault(bot.api, "sendMessage", kind, description, resident.id)
    assert await expire_idle_drafts(bot.app) == 1
    end_fault()
    assert await count(bot, "tip_drafts") == 0
    await bot.say(resident, "/tip")
    assert await count(bot, "tip_drafts") == 1


# ---------------------------------------------------------------- report sending


@pytest.fixture
async def reporting(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a bot with the figures' unit tree and an admin who asks for reports."""
    async with BotHarness(settings_for_tests(database_path, admin_user_ids=(ADMIN.id,))) as bot:
        await bot.app.services.units.save_all(TREE, NOW)
        yield bot


@pytest.mark.parametrize(
    ("method", "kind", "description"),
    [
        ("sendPhoto", "429", None),
        ("sendPhoto", "5xx", None),
        ("sendPhoto", "timeout", None),
        ("sendDocument", "network", None),
        ("sendDocument", "5xx", None),
        ("sendDocument", "403", None),
        ("sendDocument", "400", "Bad Request: file is too big"),
    ],
)
async def test_a_report_whose_files_fail_says_so_and_the_next_report_works(
    reporting: BotHarness, method: str, kind: FailureKind, description: str | None
) -> None:
    bot = reporting
    bot.api.fail_next(method, error=kind, retry_after=1, description=description)
    before = bot.api.message_count(ADMIN.id)
    await bot.send(bot.updates.command(ADMIN, "/report", "2020"), allow_errors=True)
    sent = bot.api.sent_messages(ADMIN.id, start=before)
    methods = [m.method for m in sent]
    summary = "Chưa có số liệu của tỉnh Kiên Giang trong năm 2020."
    assert sent[0].plain_text == summary
    if kind == "429":
        assert methods == ["sendMessage", "sendPhoto", "sendDocument"]
    elif kind == "403":
        # The officer blocked the bot as the workbook went out: there is nobody to tell.
        assert methods == ["sendMessage", "sendPhoto"]
    else:
        # What went out stays; what failed is replaced by a clear "please try again".
        assert methods[-1] == "sendMessage"
        assert sent[-1].text == APOLOGY
        assert method not in methods
    # Nothing crashed: the officer asks again and gets the whole pack.
    before = bot.api.message_count(ADMIN.id)
    await bot.say(ADMIN, "/report 2020")
    again = bot.api.sent_messages(ADMIN.id, start=before)
    assert [m.method for m in again] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert again[0].plain_text == summary


# ---------------------------------------------------------------- no crash loop


@pytest.mark.timeout(240)
async def test_the_process_rides_out_a_burst_of_faults_without_a_crash_loop(
    tmp_path: Path,
) -> None:
    api = InMemoryBotApi()
    officers_group(api)
    async with BotApiHttpServer(api) as server:
        bot = BotProcess(server, tmp_path)
        try:
            await bot.start()
            first = len(api.calls)

            def failed_polls(kind: str | None = None) -> int:
                return sum(
                    1
                    for call in api.calls[first:]
                    if call.method == "getUpdates"
                    and call.error is not None
                    and kind in (None, call.error.kind)
                )

            # Telegram goes down while residents write: polls get 502, then connections drop,
            # then "retry after"; the officers' chat refuses the bot all along.
            api.fail_until_cleared("getUpdates", error="5xx")
            api.fail_until_cleared("sendMessage", error="403", chat_id=crowd.OFFICERS)
            people = Crowd(api, size=3, seed=404, wanted=1, patience=30)
            residents = asyncio.create_task(people.run())
            assert await api.wait_until(lambda: failed_polls("5xx") >= 2, within=60)
            api.clear_failures()
            api.fail_until_cleared("sendMessage", error="403", chat_id=crowd.OFFICERS)
            api.fail_until_cleared("getUpdates", error="network")
            assert await api.wait_until(lambda: failed_polls("network") >= 1, within=60)
            api.clear_failures()
            api.fail_until_cleared("sendMessage", error="403", chat_id=crowd.OFFICERS)
            api.fail_next("getUpdates", error="429", retry_after=1)
            # Back up, Telegram first answers each resident's chat with a flood wait.
            for resident in people.residents:
                api.fail_next("sendMessage", error="429", retry_after=1, chat_id=resident.chat)
            await asyncio.wait_for(residents, 120)
            waits = [
                call
                for call in api.calls[first:]
                if call.method == "sendMessage" and call.error and call.error.kind == "429"
            ]
            assert len(waits) == len(people.residents)
            # The polls backed off instead of hammering Telegram (a crash loop would not).
            assert 4 <= failed_polls() <= 6
            assert bot.alive
            # The cards waited for the officers' chat; once it takes them, each goes once.
            api.clear_failures()
            codes = [code for resident in people.residents for code in resident.codes]
            assert len(codes) == 3
            await cards_delivered(api, codes, repeats_allowed=0)
            assert bot.alive
            assert await bot.stop() == 0
        finally:
            await bot.ensure_stopped()
    log = bot.log()
    assert "refuses messages" in log  # the outbox said what was wrong, and kept going
    assert all(resident.timeouts == 0 for resident in people.residents)
