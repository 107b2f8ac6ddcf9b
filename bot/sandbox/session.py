"""One sandbox session: the real application on the in-memory Bot API, driven line by line.

A line is what a person would do in Telegram: type text or a command, press a button (by its
number), share a location, a contact, a photo or a file. The session sends it as a real update
through the real handlers, lets background jobs run, and returns what the person now sees.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import random
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_SHUTDOWN,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.schedulers.base import BaseScheduler
from telegram import Update

from bot.kernel.clock import Clock, StillClock
from bot.kernel.config import Settings
from bot.ptb.application import TipsApplication
from bot.sandbox import render
from bot.sandbox.demo import RoleSetupError, make_role_real
from bot.sandbox.people import (
    IDENTITIES,
    OFFICER,
    OFFICERS_GROUP_TITLE,
    RESIDENT,
    Identity,
    as_role_name,
    chat_title,
)
from bot.sandbox.settings import OFFICERS_CHAT_ID, file_store_path
from bot.testing.botapi import InMemoryBotApi, SentMessage
from bot.testing.harness import BotHarness
from bot.testing.updates import FAKE_JPEG, FAKE_PDF, UpdateBuilder

JSONDict = dict[str, Any]

# Rạch Giá, the provincial capital of Kiên Giang: where a location button "shares" from.
DEFAULT_LOCATION: Final = (10.01245, 105.08091)
DEFAULT_PHONE: Final = "+84 912 345 678"
SANDBOX_BOT_ID: Final = 1000000001
# Where `--seed` stops the clock: a Monday, 09:00 in Vietnam.
SEEDED_START: Final = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

# How long the bot must stay silent before a line counts as answered, and the most to wait.
QUIET_SECONDS: Final = 0.1
SETTLE_LIMIT_SECONDS: Final = 5.0
# A job due this soon (an outbox kick, a retry) is waited for, so its messages belong to the line.
JOB_HORIZON_SECONDS: Final = 0.3
_POLL_SECONDS: Final = 0.02
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# Meta-commands whose argument is everything after the command, exactly as typed.
_VERBATIM: Final = frozenset({":press", ":say"})
_DURATION_PART = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

HELP: Final = """\
Sandbox commands (anything else is sent to the bot as you typed it):
  1, 2, ...             press the button with that number: the buttons of the bot's latest
                        answer, then the keyboard (older buttons: :press LABEL)
  a keyboard label      send it, as tapping that key would
  :as ROLE [private|group]
                        be someone else: resident, officer, admin or analyst; the officer
                        starts in the officers' group chat, the others in a private chat
  :press LABEL          press the inline button with that label on the latest message having it
  :say TEXT             send TEXT literally (for a text that looks like a number or a command)
  :location LAT LON     share a location, e.g. :location 10.0125 105.0809
  :contact [PHONE]      share your own phone number
  :photo [PATH] [CAPTION]
                        send a photo (a small sample image without PATH)
  :file [PATH] [CAPTION]
                        send a file as a document (a small sample PDF without PATH)
  :time [+3d|+12h|+30m] move the bot's clock forward (deadlines, reminders); alone: show it
  :help                 this help
  :quit                 leave (Ctrl-D too)"""


class LineError(Exception):
    """A line the sandbox cannot carry out; the message says why, in one line."""


@dataclass(frozen=True)
class Choice:
    """Something the person can press by number: an inline button or a reply-keyboard key."""

    kind: Literal["inline", "reply"]
    label: str
    button: Mapping[str, Any]
    message: SentMessage | None = None


@dataclass
class _ChatView:
    """What the person has been shown of one chat: a fingerprint per message id."""

    seen: dict[int, str] = field(default_factory=dict)
    announced: int = 0
    # The messages the chat's latest answer showed (new or changed): only theirs are numbered.
    latest: frozenset[int] = frozenset()


def parse_duration(text: str) -> timedelta:
    """Return the time in `+3d`, `+12h`, `+30m` or `+1d12h`; raise LineError otherwise."""
    cleaned = text.strip().removeprefix("+").lower()
    parts = _DURATION_PART.findall(cleaned)
    if not cleaned or "".join(number + unit for number, unit in parts) != cleaned:
        raise LineError(f"cannot read {text!r} as a time step: use +3d, +12h, +30m or +1d12h")
    return sum((timedelta(**{_UNITS[unit]: int(number)}) for number, unit in parts), timedelta())


def _fingerprint(message: SentMessage) -> str:
    return json.dumps(
        [message.raw, message.reply_markup, message.deleted], sort_keys=True, ensure_ascii=False
    )


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "file"


class _RunningJobs:
    """Count the job runs APScheduler has started and not finished, from its public events.

    A submission carries every run time it stands for; each ends with one executed, error or
    missed event, all dispatched when the job's task is done.
    """

    _ENDS: Final = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED

    def __init__(self) -> None:
        self.runs = 0

    @property
    def running(self) -> bool:
        """Say whether a job is running now."""
        return self.runs > 0

    def follow(self, scheduler: BaseScheduler) -> None:
        """Listen to the scheduler's job events (and its shutdown, which cancels every run)."""
        scheduler.add_listener(
            self._on_event, EVENT_JOB_SUBMITTED | self._ENDS | EVENT_SCHEDULER_SHUTDOWN
        )

    def _on_event(self, event: SchedulerEvent) -> None:
        if isinstance(event, JobSubmissionEvent):
            self.runs += len(event.scheduled_run_times)
        elif event.code & self._ENDS:
            self.runs = max(0, self.runs - 1)
        else:
            self.runs = 0


class Sandbox:
    """A running bot and the person at the keyboard: who they are, which chat, what they saw."""

    def __init__(
        self,
        settings: Settings,
        *,
        ansi: bool = False,
        files_dir: Path | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        # `--seed`: time stands still until `:time` moves it, and codes repeat from run to run.
        self.clock = Clock() if seed is None else StillClock(SEEDED_START)
        self.api = InMemoryBotApi(
            bot_id=SANDBOX_BOT_ID,
            bot_username="tinbao_sandbox_bot",
            bot_first_name="Tin báo (sandbox)",
            clock=self._timestamp,
            # Kept on disk: after a restart, a tip's evidence must still name the file it named.
            file_store=file_store_path(settings.database_path),
        )
        self.harness = BotHarness(settings, api=self.api, clock=self.clock)
        if seed is not None:
            # Not a secret here: the sandbox's codes need only look like real ones.
            self.app.services.tips.code_choice = random.Random(seed).choice
        # Message dates follow the sandbox clock too, so `:time` moves everything together.
        self.updates = UpdateBuilder(self.harness.app.bot, self.api, clock=self._timestamp)
        # Which jobs are running right now, told by the scheduler's public events.
        self._jobs = _RunningJobs()
        if self.harness.app.job_queue is not None:
            self._jobs.follow(self.harness.app.job_queue.scheduler)
        self.ansi = ansi
        self.files_dir = files_dir
        self.identity: Identity = RESIDENT
        self.chat_id = RESIDENT.default_chat
        self.finished = False
        self.bot_errors = 0
        # After `:as`, the new chat's keyboard is shown even when no message is new there.
        self._switched = False
        self._views: dict[int, _ChatView] = {}
        self._calls_seen = 0
        self._errors_seen = 0
        self._meta: dict[str, Callable[[list[str]], Awaitable[str]]] = {
            ":as": self._switch,
            ":press": self._press_label,
            ":say": self._say,
            ":location": self._location,
            ":contact": self._contact,
            ":photo": self._photo,
            ":file": self._file,
            ":time": self._time,
            ":help": self._help,
            ":quit": self._quit,
            ":q": self._quit,
            ":exit": self._quit,
        }

    # ------------------------------------------------------------ lifetime

    @property
    def app(self) -> TipsApplication[Any]:
        """Return the running application."""
        return self.harness.app

    def _timestamp(self) -> float:
        return self.clock.now().timestamp()

    async def start(self) -> None:
        """Open the database, start the bot and its job queue."""
        self._open_officers_group()
        await self.harness.start()
        # Start-up calls (the command menus) are not news for the person at the keyboard.
        self._calls_seen = len(self.api.calls)

    async def stop(self) -> None:
        """Stop the bot and close the database."""
        await self.harness.stop()

    def _open_officers_group(self) -> None:
        """Make the officers' group exist, with the bot added by the officer, as in Telegram.

        The bot checks at start-up that it can post in OFFICER_CHAT_ID; an unknown chat fails.
        """
        chat = {"id": OFFICERS_CHAT_ID, "type": "supergroup", "title": OFFICERS_GROUP_TITLE}
        self.api.remember_message(
            {
                "message_id": self.api.allocate_message_id(OFFICERS_CHAT_ID),
                "date": int(self._timestamp()),
                "chat": chat,
                "from": OFFICER.person.user_dict(),
                "new_chat_members": [self.api.bot_user],
            }
        )

    def prompt(self) -> str:
        """Return the prompt: who is typing, and where when not in their own private chat."""
        where = "" if self.chat_id == self.identity.person.id else f" @ {chat_title(self.chat_id)}"
        return f"{self.identity.name} ({self.identity.role}{where})> "

    # ------------------------------------------------------------ one line

    async def handle(self, line: str) -> str:
        """Carry out one line and return what the person sees now (may be empty).

        Raises LineError, before anything reaches the bot, for a line that cannot be carried out.
        """
        text = line.strip()
        if not text:
            return ""
        if text.startswith(":"):
            name, _, rest = text.partition(" ")
            try:
                # A label or a text is taken as typed; paths and numbers may be quoted.
                args = [rest.strip()] if name.lower() in _VERBATIM else shlex.split(rest)
            except ValueError as error:
                raise LineError(f"cannot read the line: {error}") from None
            args = [arg for arg in args if arg]
            command = self._meta.get(name.lower())
            if command is None:
                raise LineError(f"unknown sandbox command {name}; :help lists them")
            notes = await command(args)
        else:
            notes = await self._typed(text)
        if self.finished:
            return notes
        await self.settle()
        return "\n".join(part for part in (notes, self.news()) if part)

    async def _typed(self, text: str) -> str:
        choices = self.choices()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(choices):
            return await self._choose(choices[int(text) - 1])
        return await self._send_text(text)

    def _where(self) -> dict[str, Any]:
        if self.chat_id == self.identity.person.id:
            return {}
        return {"chat_id": self.chat_id, "chat_type": "supergroup"}

    async def _send(self, update: Update) -> None:
        await self.harness.send(update, allow_errors=True)

    async def _send_text(self, text: str) -> str:
        person = self.identity.person
        if text.startswith("/"):
            command, *args = text.split()
            await self._send(self.updates.command(person, command, *args, **self._where()))
        else:
            await self._send(self.updates.text(person, text, **self._where()))
        return ""

    async def _choose(self, choice: Choice) -> str:
        pressed = f"(pressed {choice.label})"
        button = choice.button
        person = self.identity.person
        if choice.kind == "reply":
            if button.get("request_location"):
                await self._send(self.updates.location(person, *DEFAULT_LOCATION, **self._where()))
                lat, lon = DEFAULT_LOCATION
                return f"{pressed} shared the location {lat}, {lon} (:location LAT LON for another)"
            if button.get("request_contact"):
                await self._send(self.updates.contact(person, DEFAULT_PHONE, **self._where()))
                return f"{pressed} shared the phone number {DEFAULT_PHONE}"
            if any(key.startswith("request_") for key in button):
                raise LineError(f"the key {choice.label!r} asks for something the sandbox lacks")
            await self._send_text(choice.label)
            return pressed
        if isinstance(button.get("callback_data"), str) and choice.message is not None:
            update = self.updates.callback(
                person,
                choice.message,
                str(button["callback_data"]),
                chat_id=None if self.chat_id == person.id else self.chat_id,
            )
            await self._send(update)
            return pressed
        if button.get("url"):
            return f"{pressed} it opens {button['url']}"
        if isinstance(button.get("copy_text"), dict):
            return f"{pressed} copied: {button['copy_text'].get('text', '')}"
        raise LineError(f"the button {choice.label!r} does something the sandbox cannot do")

    # ------------------------------------------------------------ what can be pressed

    def _messages(self, chat_id: int) -> list[SentMessage]:
        return self.api.sent_messages(chat_id)

    def _inline_message(self, chat_id: int) -> SentMessage | None:
        """Return the message whose inline buttons numbers press: the newest one having buttons
        among those the chat's latest answer showed (a card and its pin come together).

        Never an older one: numbering buttons scrolled out of sight made a typed `1` switch the
        language mid-script (issue 15); `:press LABEL` still reaches those.
        """
        view = self._views.get(chat_id)
        latest = view.latest if view is not None else frozenset()
        for message in reversed(self._messages(chat_id)):
            if message.message_id in latest and not message.deleted and message.buttons():
                return message
        return None

    def _reply_keyboard(self, chat_id: int) -> list[list[Mapping[str, Any]]]:
        """Return the keys of the reply keyboard the chat shows now (the latest one sent)."""
        for message in reversed(self._messages(chat_id)):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return []
            rows = markup.get("keyboard")
            if isinstance(rows, list):
                return [
                    [key if isinstance(key, dict) else {"text": str(key)} for key in row]
                    for row in rows
                    if isinstance(row, list)
                ]
        return []

    def choices(self) -> list[Choice]:
        """Return what the numbers mean now: the latest inline buttons, then the keyboard."""
        found: list[Choice] = []
        message = self._inline_message(self.chat_id)
        if message is not None:
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                found.extend(
                    Choice("inline", str(button.get("text", "")), button, message) for button in row
                )
        for row in self._reply_keyboard(self.chat_id):
            found.extend(Choice("reply", str(key.get("text", "")), key) for key in row)
        return found

    # ------------------------------------------------------------ meta-commands

    async def _switch(self, args: list[str]) -> str:
        if not args:
            lines = ["You can be:"]
            for identity in IDENTITIES.values():
                mark = "*" if identity is self.identity else " "
                lines.append(
                    f" {mark} :as {identity.role:<8} {identity.name}, "
                    f"starts in {chat_title(identity.default_chat)}"
                )
            return "\n".join(lines)
        role = as_role_name(args[0])
        if role is None:
            raise LineError(f"no such identity {args[0]!r}: resident, officer, admin or analyst")
        identity = IDENTITIES[role]
        chat = identity.default_chat
        if len(args) > 1:
            where = args[1].lower()
            if where in ("private", "dm"):
                chat = identity.person.id
            elif where in ("group", "officers"):
                chat = OFFICERS_CHAT_ID
            else:
                raise LineError(f"where is {args[1]!r}? Use private or group")
        try:
            setup = await make_role_real(self.app.services, identity)
        except RoleSetupError as error:
            raise LineError(str(error)) from None
        self.identity, self.chat_id = identity, chat
        self._switched = True
        heading = f"--- you are {identity.name} ({identity.role}) in {chat_title(chat)} ---"
        return "\n".join(filter(None, (setup, heading)))

    async def _press_label(self, args: list[str]) -> str:
        label = "".join(args)
        if not label:
            raise LineError(":press needs the label of a button")
        for message in reversed(self._messages(self.chat_id)):
            if message.deleted:
                continue
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label:
                        return await self._choose(Choice("inline", label, button, message))
        raise LineError(
            f"no message in this chat has a button {label!r} "
            "(numbers press only the latest answer's buttons; :press searches every message)"
        )

    async def _say(self, args: list[str]) -> str:
        text = "".join(args)
        if not text:
            raise LineError(":say needs the text to send")
        return await self._send_text(text)

    async def _location(self, args: list[str]) -> str:
        try:
            lat, lon = (float(value.replace(",", ".")) for value in args)
        except ValueError:
            raise LineError(":location needs two numbers: LAT LON, e.g. 10.0125 105.0809") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise LineError("a latitude lies within ±90 and a longitude within ±180")
        await self._send(self.updates.location(self.identity.person, lat, lon, **self._where()))
        return ""

    async def _contact(self, args: list[str]) -> str:
        phone = " ".join(args) or DEFAULT_PHONE
        if not re.fullmatch(r"\+?[\d ()-]{6,20}", phone):
            raise LineError(f"{phone!r} does not look like a phone number")
        await self._send(self.updates.contact(self.identity.person, phone, **self._where()))
        return ""

    @staticmethod
    def _read(args: list[str], sample: bytes, sample_name: str) -> tuple[bytes, str, str | None]:
        """Return (content, file name, caption) from `[PATH] [CAPTION]`, or the sample."""
        if not args:
            return sample, sample_name, None
        path = Path(args[0]).expanduser()
        try:
            content = path.read_bytes()
        except OSError as error:
            raise LineError(f"cannot read {path}: {error.strerror or error}") from None
        return content, path.name, " ".join(args[1:]) or None

    async def _photo(self, args: list[str]) -> str:
        content, _name, caption = self._read(args, FAKE_JPEG, "sample.jpg")
        update = self.updates.photo(
            self.identity.person, content=content, caption=caption, **self._where()
        )
        await self._send(update)
        return ""

    async def _file(self, args: list[str]) -> str:
        content, name, caption = self._read(args, FAKE_PDF, "sample.pdf")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        update = self.updates.document(
            self.identity.person,
            file_name=name,
            mime_type=mime,
            content=content,
            caption=caption,
            **self._where(),
        )
        await self._send(update)
        return ""

    def _now_text(self) -> str:
        local = self.clock.now().astimezone(self.settings.zone)
        return f"{local:%Y-%m-%d %H:%M} ({self.settings.timezone})"

    async def _time(self, args: list[str]) -> str:
        if not args:
            return f"(the bot's clock says {self._now_text()})"
        given = "".join(args)
        await self.advance(parse_duration(given))
        return f"(the bot's clock moved forward {given.removeprefix('+')}: now {self._now_text()})"

    async def advance(self, step: timedelta) -> None:
        """Move the bot's clock and run the jobs that would have run in the skipped time."""
        self.clock.advance(step)
        queue = self.app.job_queue
        if queue is None:
            return
        now = datetime.now(UTC)
        for job in queue.jobs():
            # A paused or finished job has no next run time.
            if job.next_t is not None and job.next_t <= now + step:
                # Due jobs run once, now: a reminder checks the clock, not how often it ran.
                # Rescheduling (rather than calling it) keeps the scheduler's one-at-a-time rule.
                job.job.modify(next_run_time=now)
        await self.settle()

    async def _help(self, _args: list[str]) -> str:
        return HELP

    async def _quit(self, _args: list[str]) -> str:
        self.finished = True
        return ""

    # ------------------------------------------------------------ waiting and showing

    def _jobs_busy(self) -> bool:
        """Say whether a job is running, or due so soon that its messages belong to this line."""
        queue = self.app.job_queue
        if queue is None:
            return False
        if self._jobs.running:
            return True
        soon = datetime.now(UTC) + timedelta(seconds=JOB_HORIZON_SECONDS)
        return any(job.next_t is not None and job.next_t <= soon for job in queue.jobs())

    async def settle(self) -> None:
        """Wait until the bot has been quiet for a moment (bounded), jobs due now included."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT_SECONDS
        count = len(self.api.calls)
        last_change = loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
            now = loop.time()
            if len(self.api.calls) != count or self._jobs_busy():
                count = len(self.api.calls)
                last_change = now
            elif now - last_change >= QUIET_SECONDS:
                return

    def news(self) -> str:
        """Return what happened since the last look: popups, errors, this chat, other chats."""
        here = self._look(self.chat_id, always_keyboard=self._switched)
        self._switched = False
        lines = [*self._popups(), *here, *self._errors(), *self._elsewhere()]
        return "\n".join(lines)

    def _popups(self) -> list[str]:
        calls = self.api.calls[self._calls_seen :]
        self._calls_seen += len(calls)
        lines: list[str] = []
        for call in calls:
            text = call.params.get("text")
            if call.method == "answerCallbackQuery" and text and call.error is None:
                kind = "alert" if call.params.get("show_alert") else "popup"
                lines.append(f"{render.INDENT}({kind}) {text}")
        return lines

    def _errors(self) -> list[str]:
        errors = self.harness.errors[self._errors_seen :]
        self._errors_seen += len(errors)
        self.bot_errors += len(errors)
        return [f"! the bot raised {type(error).__name__}: {error}" for error in errors]

    def _look(self, chat_id: int, *, always_keyboard: bool = False) -> list[str]:
        """Return the chat's new and changed messages, marking them seen."""
        view = self._views.setdefault(chat_id, _ChatView())
        changed: list[tuple[SentMessage, str | None]] = []
        for message in self._messages(chat_id):
            fingerprint = _fingerprint(message)
            before = view.seen.get(message.message_id)
            if before != fingerprint:
                view.seen[message.message_id] = fingerprint
                changed.append((message, before))
        if changed:
            view.latest = frozenset(message.message_id for message, _ in changed)
        numbered = self._inline_message(chat_id)
        lines: list[str] = []
        for message, before in changed:
            if message.deleted:
                if before is not None:
                    lines.append("bot (deleted a message)")
                continue
            head = "bot" if before is None else "bot (edited)"
            body = render.message_body(message.raw, ansi=self.ansi)
            saved = self._save_file(message) if before is None else None
            if saved is not None:
                body = f"{body}\n(saved as {saved})"
            pressable = numbered is not None and message.message_id == numbered.message_id
            first = 1 if pressable else None
            lines.append(render.framed(head, body, render.button_rows(message.buttons(), first)))
        view.announced = 0
        if lines or always_keyboard:
            keys = self._reply_keyboard(chat_id)
            if keys:
                offset = sum(len(row) for row in numbered.buttons()) if numbered else 0
                labels = [[str(key.get("text", "")) for key in row] for row in keys]
                lines.extend(render.keyboard_lines(labels, offset + 1))
        return lines

    def _save_file(self, message: SentMessage) -> Path | None:
        found = render.media_file(message.raw)
        if found is None or self.files_dir is None:
            return None
        file_id, name = found
        try:
            content = self.api.file_content(file_id)
        except KeyError:
            return None
        if content.startswith(_PNG_SIGNATURE):
            # The in-memory API keeps a chart as the PNG it was sent as; Telegram would not.
            name = str(Path(name).with_suffix(".png"))
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{abs(message.chat_id)}-{message.message_id}-{_safe_name(name)}"
        path.write_bytes(content)
        return path

    def _elsewhere(self) -> list[str]:
        """Return one line per other chat that got something new since it was last looked at."""
        chats = dict.fromkeys(message.chat_id for message in self.api.sent_messages())
        lines: list[str] = []
        for chat_id in chats:
            if chat_id == self.chat_id:
                continue
            view = self._views.setdefault(chat_id, _ChatView())
            unseen = sum(
                1
                for message in self._messages(chat_id)
                if view.seen.get(message.message_id) != _fingerprint(message)
                and not (message.deleted and message.message_id not in view.seen)
            )
            if unseen > view.announced:
                hint = self._how_to_see(chat_id)
                lines.append(f"({unseen} new in {chat_title(chat_id)}{hint})")
            view.announced = unseen
        return lines

    def _how_to_see(self, chat_id: int) -> str:
        for identity in IDENTITIES.values():
            if chat_id == identity.default_chat:
                return f": :as {identity.role} to read"
            if chat_id == identity.person.id:
                return f": :as {identity.role} private to read"
        return ""
