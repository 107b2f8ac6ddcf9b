"""Simulated residents sending tips to the bot running as its own process, over loopback HTTP.

The bot is `python -m bot run`, polling a `BotApiHttpServer` on 127.0.0.1 that keeps every
update until a later getUpdates offset confirms it, as Telegram does. Each resident reads only
what the bot sent to their own chat, decides from the latest message what a person would do
(press the category, type the story, share the place, ...) and queues that update. When nothing
comes back in time (the update was lost in a crash, or the bot is slow) the resident decides
again from what they see: press the same button again, or send /tip, which shows a draft in
progress where it stands.

Shared by the crash test (SIGKILL at random moments) and the load test (`make load`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from telegram import Bot, Update

from bot.kernel.crypto import Keyring
from bot.kernel.i18n import translator
from bot.testing.botapi import InMemoryBotApi, SentMessage
from bot.testing.harness import TEST_SECRET, TEST_TOKEN, process_environment
from bot.testing.http_server import BotApiHttpServer
from bot.testing.updates import Person, UpdateBuilder
from bot.tips import steps
from bot.tips.conversation import (
    CB_CATEGORY,
    CB_EVIDENCE_DONE,
    CB_IDENTITY,
    CB_SEND,
    CB_STORY_DONE,
    CB_WHEN,
)

OFFICERS = -1009000000001
RECEIPT_CODE = re.compile(r"TB-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")
_T = translator("vi")
# "Bước n/6" as each step's question shows it.
_PROGRESS = {n: _T("tips.progress", n=n, total=steps.COUNTED) for n in range(1, steps.COUNTED + 1)}
APOLOGY = _T("error.generic")
STORIES = (
    "Có người lạ đứng canh ở đầu hẻm mỗi tối, nghi mua bán ma túy.",
    "Nhóm thanh niên tụ tập đánh bạc ăn tiền trong quán nước sau chợ.",
    "Một người gọi điện xưng là công an, yêu cầu chuyển tiền vào tài khoản lạ.",
    "Hai nhà hàng xóm cãi nhau về ranh giới đất, sợ xảy ra xô xát.",
    "Xe máy đậu trước nhà bị mất trộm lúc gần sáng, có camera ghi lại.",
)
ADDRESSES = (
    "Hẻm 12 đường Nguyễn Trung Trực, phường Vĩnh Thanh",
    "Chợ đêm Vĩnh Thanh Vân, Rạch Giá",
    "Bến xe Rạch Sỏi, quốc lộ 61",
)


@dataclass
class Resident:
    """One person who wants to send `wanted` tips (None: until the crowd stops, tip by tip)."""

    crowd: Crowd
    person: Person
    rng: random.Random
    wanted: int | None
    codes: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    actions: int = 0
    timeouts: int = 0
    recoveries: int = 0
    apologies: int = 0
    regressions: int = 0
    latencies: list[float] = field(default_factory=list)
    # The story paragraphs this resident typed, in order.
    stories: list[str] = field(default_factory=list)
    step: int = 0  # the furthest step of the draft in progress (0: none)
    photos: int = 0
    finished: bool = False
    # The last wait for an answer ran out: the next thing without a question sends /tip.
    _silence: bool = False

    @property
    def chat(self) -> int:
        """Return the resident's private chat with the bot."""
        return self.person.id

    @property
    def in_draft(self) -> bool:
        """Say whether the resident has answered past the first step of a tip."""
        return self.step >= 2

    def _done(self) -> bool:
        if self.wanted is not None:
            return len(self.codes) >= self.wanted
        # Time is up: the tip in progress is finished, no new one is started.
        return self.crowd.stopping

    async def run(self) -> None:
        """Send tips until done, reacting to what the bot shows."""
        api = self.crowd.api
        loop = asyncio.get_running_loop()
        try:
            while True:
                seen = api.message_count(self.chat)
                latest = api.last_message(self.chat) if seen else None
                action = self._decide(latest)
                if self.finished:
                    return
                if action is None and self._silence:
                    # Only an acknowledgement, and nothing after it for a long while: /tip
                    # shows where the draft stands. (An acknowledgement seen twice, as after
                    # a restart that handles the update again, is no reason: the question
                    # follows it.)
                    action = self._command("/tip")
                    self.recoveries += 1
                if action is not None:
                    self.actions += 1
                    self.crowd.actions += 1
                    update_id = api.queue_update(action)
                    query = action.callback_query
                    if query is not None and (query.data or "").startswith(CB_SEND):
                        self.crowd.send_presses[update_id] = self
                started = loop.time()
                answered = await api.wait_for_messages(self.chat, seen, within=self.crowd.patience)
                self._silence = not answered
                if not answered:
                    self.timeouts += 1
                elif action is not None:
                    self.latencies.append(loop.time() - started)
        finally:
            self.finished = True

    # ------------------------------------------------------------ what a person would do

    def _decide(self, latest: SentMessage | None) -> Update | None:
        if latest is None:
            return self._command("/tip")
        text = latest.text
        data = [d for row in _inline_data(latest) for d in row]
        found = RECEIPT_CODE.search(text)
        if found and not data:
            self._receipt(found.group(0))
            if self._done():
                self.finished = True
                return None
            return self._command("/tip")
        if text == APOLOGY:
            # "Please try again": a person does what they did before once more.
            self.apologies += 1
            count = self.crowd.api.message_count(self.chat)
            earlier = self.crowd.api.sent_messages(self.chat, start=max(0, count - 2))[:1]
            if earlier and earlier[0].text != APOLOGY:
                return self._decide(earlier[0])
            return None
        step = self._step_of(text)
        if step == 1 and self.step >= 2:
            # The category question again in a draft that had gone further: it was lost.
            self.regressions += 1
        if step:
            self.step = step if step == 1 else max(self.step, step)
        if any(d.startswith(CB_CATEGORY) for d in data):
            self.photos = 0
            choices = [d for d in data if d.startswith(CB_CATEGORY)]
            return self._press(latest, self.rng.choice(choices))
        if CB_STORY_DONE in data:
            return self._press(latest, CB_STORY_DONE)
        if any(d.startswith(CB_WHEN) for d in data):
            return self._press(latest, CB_WHEN + self.rng.choice(("now", "today", "skip")))
        if CB_EVIDENCE_DONE in data:
            if self.photos < 1 and self.rng.random() < 0.3:
                self.photos += 1
                return self.crowd.builder.photo(self.person)
            return self._press(latest, CB_EVIDENCE_DONE)
        if CB_IDENTITY + "anon" in data:
            choice = "contact" if self.rng.random() < 0.2 else "anon"
            return self._press(latest, CB_IDENTITY + choice)
        sends = [d for d in data if d.startswith(CB_SEND)]
        if sends:
            self.keys.add(sends[0].removeprefix(CB_SEND))
            return self._press(latest, sends[0])
        keyboard = _reply_buttons(latest)
        if step == steps.NUMBER[steps.STORY]:
            self.stories.append(self.rng.choice(STORIES))
            return self._say(self.stories[-1])
        if any(button.get("request_location") for button in keyboard):
            if self.rng.random() < 0.5:
                return self.crowd.builder.location(
                    self.person, 10.0 + self.rng.random() / 10, 105.0 + self.rng.random() / 10
                )
            return self._say(self.rng.choice(ADDRESSES))
        if any(button.get("request_contact") for button in keyboard):
            return self._say(f"09{self.rng.randrange(10**8):08d}")
        return None

    def _step_of(self, text: str) -> int:
        for number, marker in _PROGRESS.items():
            if marker in text:
                return number
        return 0

    def _receipt(self, code: str) -> None:
        if code not in self.codes:
            self.codes.append(code)
            self.crowd.receipts += 1
        self.step = 0

    def _press(self, message: SentMessage, data: str) -> Update:
        return self.crowd.builder.callback(self.person, message, data)

    def _say(self, text: str) -> Update:
        return self.crowd.builder.text(self.person, text)

    def _command(self, text: str) -> Update:
        return self.crowd.builder.command(self.person, text)


def _inline_data(message: SentMessage) -> Iterator[list[str]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    for row in rows:
        yield [str(button.get("callback_data", "")) for button in row]


def _reply_buttons(message: SentMessage) -> list[dict[str, object]]:
    rows = (message.reply_markup or {}).get("keyboard") or []
    return [button for row in rows for button in row if isinstance(button, dict)]


class Crowd:
    """The residents, the update builder they share, and counters the tests wait on."""

    def __init__(
        self,
        api: InMemoryBotApi,
        *,
        size: int,
        seed: int,
        wanted: int | None,
        patience: float,
        first_id: int = 8_000_000_000,
    ) -> None:
        self.api = api
        self.builder = UpdateBuilder(Bot(TEST_TOKEN), api)
        self.patience = patience
        self.stopping = False
        self.receipts = 0
        self.actions = 0
        # update_id of every "Send" press -> who pressed it.
        self.send_presses: dict[int, Resident] = {}
        rng = random.Random(seed)
        self.residents = [
            Resident(
                self,
                Person(id=first_id + index, first_name=f"Cư dân {index}"),
                random.Random(rng.getrandbits(64)),
                wanted,
            )
            for index in range(size)
        ]

    async def run(self, *, stagger: float = 0) -> None:
        """Run every resident until each is done.

        With `stagger`, resident n starts once the crowd has taken n * stagger actions, so at
        any moment people are at every step of a tip, as they would be in life.
        """

        async def arrive(index: int, resident: Resident) -> None:
            if index and stagger:
                await self.api.wait_until(lambda: self.actions >= index * stagger, within=600)
            await resident.run()

        await asyncio.gather(*(arrive(n, resident) for n, resident in enumerate(self.residents)))

    def mid_draft(self) -> int:
        """Return how many residents are past the first step of a tip right now."""
        return sum(1 for resident in self.residents if resident.in_draft)

    def pseudonyms(self) -> dict[str, Resident]:
        """Return the residents by the keyed pseudonym the database knows them by."""
        keyring = Keyring(TEST_SECRET.encode())
        return {keyring.pseudonym(r.person.id): r for r in self.residents}


def officers_group(api: InMemoryBotApi) -> None:
    """Make the officers' group known to the fake Telegram (the bot is a member there)."""
    api.remember_message(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": OFFICERS, "type": "supergroup", "title": "Cán bộ tiếp nhận"},
            "text": "nhóm cán bộ",
        }
    )


class BotProcess:
    """`python -m bot run` as a child process, started, killed and restarted by the test."""

    def __init__(self, server: BotApiHttpServer, workdir: Path, **settings: str) -> None:
        self.server = server
        self.workdir = workdir
        self.database = workdir / "tips.sqlite3"
        self.environment = process_environment(
            TELEGRAM_BOT_TOKEN=TEST_TOKEN,
            SECRET_KEY=TEST_SECRET,
            TELEGRAM_API_BASE_URL=f"{server.url}/bot",
            TELEGRAM_API_FILE_URL=f"{server.url}/file/bot",
            DATABASE_PATH=str(self.database),
            OFFICER_CHAT_ID=str(OFFICERS),
            # Telegram's flood limits would measure the rate limiter, not the bot.
            RATE_LIMIT_PER_SECOND="100000",
            RATE_LIMIT_GROUP_PER_MINUTE="1000000",
            TIP_LIMIT_PER_HOUR="1000",
            TIP_LIMIT_PER_DAY="10000",
            OUTBOX_INTERVAL_SECONDS="1",
            BACKUP_INTERVAL_HOURS="0",
            LOG_LEVEL="WARNING",
            NO_PROXY="127.0.0.1,localhost",
            **settings,
        )
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            self.environment.pop(proxy, None)
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """Return the running process's id."""
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Say whether the process runs."""
        return self.process is not None and self.process.returncode is None

    async def start(self, *, within: float = 60) -> None:
        """Start the bot and wait until it polls for updates."""
        api = self.server.api
        calls_before = len(api.calls)
        self.runs += 1
        self._log = (self.workdir / f"bot-{self.runs}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=self.environment,
            stdout=self._log,
            stderr=self._log,
        )

        # Ready when it polls, or (webhook mode) once it has told Telegram where to post.
        ready_call = "setWebhook" if self.environment.get("BOT_MODE") == "webhook" else "getUpdates"

        def polling() -> bool:
            return any(call.method == ready_call for call in api.calls[calls_before:])

        if not await api.wait_until(lambda: polling() or not self.alive, within=within):
            raise AssertionError(f"the bot did not call {ready_call} within {within} s")
        if not self.alive:
            raise AssertionError(f"the bot exited at start-up:\n{self.log()}")

    async def kill(self) -> None:
        """SIGKILL the bot: no shutdown, no flush, no final getUpdates confirming anything."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()
        self._close_log()

    async def stop(self, *, within: float = 30) -> int:
        """Stop the bot as a service manager would (SIGTERM) and return its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the bot did not stop within {within} s") from None
        finally:
            self._close_log()
        return code

    async def ensure_stopped(self) -> None:
        """Kill the bot if a failed test left it running."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                await self.kill()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        """Return everything every run of the bot wrote (stdout and stderr)."""
        return "".join(
            path.read_text("utf-8", "replace")
            for path in sorted(self.workdir.glob("bot-*.log"), key=lambda p: int(p.stem[4:]))
        )

    def rss_mib(self) -> float:
        """Return the bot's resident memory (VmRSS of /proc/<pid>/status) in MiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        assert found is not None, status
        return int(found.group(1)) / 1024


async def cards_delivered(
    api: InMemoryBotApi, codes: list[str], *, repeats_allowed: int, within: float = 60
) -> None:
    """Wait until every tip's card is in the officers' chat, repeated at most as allowed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    counts = dict.fromkeys(codes, 0)
    read = 0
    while True:
        # Only the messages that came since the last look: a thousand cards are read once each,
        # not once per new card.
        fresh = api.sent_messages(OFFICERS, start=read)
        read += len(fresh)
        for card in (m.text for m in fresh if m.method == "sendMessage"):
            for code in counts:
                if code in card:
                    counts[code] += 1
        if all(counts.values()):
            break
        remaining = deadline - loop.time()
        missing = [code for code, count in counts.items() if not count]
        assert remaining > 0, f"cards never reached the officers: {missing[:5]}"
        await api.wait_for_messages(OFFICERS, read, within=remaining)
    assert max(counts.values(), default=1) <= 1 + repeats_allowed, counts
