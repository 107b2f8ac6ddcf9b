"""/addofficer is no oracle: the admin's answer never says whether the person ever started the bot.

Telegram refuses a bot's first message to someone who never started it ("bot can't initiate
conversation with a user"). The old answer said so ("they have not opened the bot yet"), which
told any admin whether a given Telegram id had ever used the bot. Now the notice waits for the
person's next Start instead, and the answer is the same either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.kernel.i18n import translator
from bot.testing.harness import BotHarness

from .conftest import ADMIN, NEWCOMER, add_staff, staffed_settings

NEVER_STARTED = "Forbidden: bot can't initiate conversation with a user"
NOTICE_RG = (
    "Bạn đã được cấp quyền trên bot này: cán bộ (Thành phố Rạch Giá (KG-RG)). Các lệnh của bạn có "
    "trong menu (/); /whoami liệt kê các lệnh đó."
)


def never_started(harness: BotHarness, person_id: int) -> None:
    """Make Telegram refuse the bot's messages to a person as it does before their first Start."""
    harness.api.fail_until_cleared(
        "sendMessage", error="403", description=NEVER_STARTED, chat_id=person_id
    )


def as_received(harness: BotHarness, chat_id: int, since: int) -> list[dict[str, Any]]:
    """Return the messages a chat received after the first `since`, without ids and dates."""
    return [
        {key: value for key, value in message.raw.items() if key not in ("message_id", "date")}
        for message in harness.api.sent_messages(chat_id)[since:]
    ]


@asynccontextmanager
async def added_before_their_start(path: Path) -> AsyncIterator[BotHarness]:
    """Yield a bot whose admin added NEWCOMER by id before NEWCOMER ever started it."""
    async with BotHarness(staffed_settings(path)) as harness:
        await add_staff(harness)
        never_started(harness, NEWCOMER.id)
        await harness.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
        yield harness


async def add_newcomer(path: Path, *, started: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Add NEWCOMER by id on a fresh bot; return what the admin got, and what NEWCOMER got."""
    async with BotHarness(staffed_settings(path)) as harness:
        await add_staff(harness)
        if started:
            await harness.say(NEWCOMER, "/start")
        else:
            never_started(harness, NEWCOMER.id)
        since = len(harness.api.sent_messages(ADMIN.id))
        told = len(harness.api.sent_messages(NEWCOMER.id))
        await harness.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
        return as_received(harness, ADMIN.id, since), harness.texts(NEWCOMER.id)[told:]


async def test_addofficer_answers_byte_for_byte_the_same_whether_or_not_the_id_started_the_bot(
    tmp_path: Path,
) -> None:
    after_start, told_at_once = await add_newcomer(tmp_path / "started.sqlite3", started=True)
    never, told_never = await add_newcomer(tmp_path / "never.sqlite3", started=False)
    # The two bots did differ: one reached the person, the other was refused.
    assert told_at_once == [NOTICE_RG]
    assert told_never == []
    assert len(after_start) == 1
    assert after_start == never


async def test_a_new_officer_who_never_started_the_bot_is_told_when_they_press_start(
    database_path: Path,
) -> None:
    async with added_before_their_start(database_path) as harness:
        # A move before they start: the first contact waits, telling the unit of the moment.
        await harness.say(ADMIN, f"/setunit {NEWCOMER.id} KG-GQ")
        assert harness.texts(NEWCOMER.id) == []
        harness.api.clear_failures()
        await harness.say(NEWCOMER, "/start")
        welcome = translator("vi")("start.welcome", name=NEWCOMER.first_name)
        assert harness.texts(NEWCOMER.id) == [
            NOTICE_RG.replace("Thành phố Rạch Giá (KG-RG)", "Huyện Gò Quao (KG-GQ)"),
            welcome,
        ]
        # Told once: the next Start is only a welcome.
        await harness.say(NEWCOMER, "/start")
        assert harness.texts(NEWCOMER.id)[2:] == [welcome]


async def test_someone_removed_before_they_ever_started_the_bot_is_told_nothing(
    database_path: Path,
) -> None:
    async with added_before_their_start(database_path) as harness:
        await harness.say(ADMIN, f"/removeofficer {NEWCOMER.id}")
        await harness.press(ADMIN, "🗑 Thu hồi")
        harness.api.clear_failures()
        await harness.say(NEWCOMER, "/start")
        assert harness.texts(NEWCOMER.id) == [
            translator("vi")("start.welcome", name=NEWCOMER.first_name)
        ]
