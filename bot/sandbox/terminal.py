"""The terminal around a sandbox session: an interactive chat, or a script and its transcript."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import shutil
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol, TextIO

from bot.kernel.config import Settings
from bot.sandbox.demo import load_demo
from bot.sandbox.people import ADMIN, RESIDENT
from bot.sandbox.session import LineError, Sandbox
from bot.sandbox.settings import file_store_path, sandbox_settings

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2

# How often the interactive chat checks for messages that arrive while you type.
_WATCH_SECONDS: Final = 0.5
_HISTORY_LENGTH: Final = 1000

BANNER: Final = """\
Sandbox: the real bot on an in-memory Telegram; nothing leaves this computer.
Database: {database}. You are {name}, a resident, in a private chat with the bot.
Try /start. Type a button's number to press it; :help lists the sandbox commands."""
DEMO_HINT: Final = "For sample units, officers and figures: python -m bot sandbox --demo"


def _use_ansi(stream: TextIO) -> bool:
    # https://no-color.org: any NO_COLOR value turns colours off.
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _script_lines(stream: Iterable[str]) -> Iterator[str]:
    for raw in stream:
        yield raw.rstrip("\r\n")


async def run_script(sandbox: Sandbox, lines: Iterable[str], out: TextIO) -> int:
    """Feed lines to the sandbox, print the transcript, and return the exit code.

    Every line runs, even after a failed one; the code is 1 if a line could not be carried out
    or the bot raised an error, so a script doubles as a check.
    """
    failed_lines = 0
    for line in lines:
        if sandbox.finished:
            break
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            print(line, file=out)
            continue
        print(f"{sandbox.prompt()}{line}", file=out)
        try:
            shown = await sandbox.handle(line)
        except LineError as error:
            failed_lines += 1
            shown = f"! {error}"
        if shown:
            print(shown, file=out)
        out.flush()
    return _summary(failed_lines, sandbox.bot_errors)


def _summary(failed_lines: int, bot_errors: int) -> int:
    if not failed_lines and not bot_errors:
        return EXIT_OK
    print(
        f"sandbox: {failed_lines} line(s) could not be carried out, "
        f"the bot raised {bot_errors} error(s)",
        file=sys.stderr,
    )
    return EXIT_FAILED


class Reader(Protocol):
    """Where the interactive chat gets its lines from."""

    def read(self, prompt: str) -> asyncio.Future[str | None]:
        """Return a future of the next line, or of None at the end of input."""


class LineReader:
    """Read lines with `input()` in a thread, so the bot keeps running while a person types.

    The thread only prompts when asked, so the prompt never appears before the bot's answer.
    """

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[
            tuple[str, asyncio.Future[str | None], asyncio.AbstractEventLoop]
        ] = queue.SimpleQueue()
        # A daemon: a person who quits with Ctrl-C leaves it blocked in input(), harmlessly.
        threading.Thread(target=self._work, name="sandbox-input", daemon=True).start()

    def read(self, prompt: str) -> asyncio.Future[str | None]:
        """Return a future of the next line, or of None at the end of input."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        self._requests.put((prompt, future, loop))
        return future

    def _work(self) -> None:
        while True:
            prompt, future, loop = self._requests.get()
            try:
                line: str | None = input(prompt)
            except (EOFError, OSError):
                line = None
            loop.call_soon_threadsafe(_resolve, future, line)


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def _line_buffer() -> str:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return ""
    return readline.get_line_buffer()


@contextlib.contextmanager
def _line_editing(history: Path) -> Iterator[None]:
    """Give input() line editing and a history kept beside the sandbox database."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        yield
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(_HISTORY_LENGTH)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)


@contextlib.contextmanager
def _terminal_restored(stream: TextIO) -> Iterator[None]:
    """Put the terminal back as it was, even if we leave while readline has it in raw mode."""
    try:
        import termios

        descriptor = stream.fileno()
        saved = termios.tcgetattr(descriptor)
    except (ImportError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)


async def next_line(sandbox: Sandbox, reader: Reader, out: TextIO) -> str | None:
    """Wait for the next line, showing above the prompt whatever the bot sends meanwhile."""
    prompt = sandbox.prompt()
    future = reader.read(prompt)
    while True:
        done, _ = await asyncio.wait({future}, timeout=_WATCH_SECONDS)
        if done:
            return future.result()
        news = sandbox.news()
        if news:
            # Clear the prompt line, show the news, then redraw the prompt and what was typed.
            out.write(f"\r\x1b[K{news}\n{prompt}{_line_buffer()}")
            out.flush()


async def run_interactive(sandbox: Sandbox, out: TextIO, *, demo: bool = False) -> int:
    """Chat with the bot until :quit or the end of input; return the exit code."""
    print(BANNER.format(database=sandbox.settings.database_path, name=RESIDENT.name), file=out)
    if not demo:
        print(DEMO_HINT, file=out)
    history = sandbox.settings.database_path.with_suffix(".history")
    reader = LineReader()
    with _terminal_restored(sys.stdin), _line_editing(history):
        try:
            while not sandbox.finished:
                line = await next_line(sandbox, reader, out)
                if line is None:
                    print(file=out)
                    break
                try:
                    shown = await sandbox.handle(line)
                except LineError as error:
                    shown = f"! {error}"
                if shown:
                    print(shown, file=out)
        except asyncio.CancelledError:
            # Ctrl-C: asyncio cancels the session; end the prompt's line before leaving.
            print(file=out)
            raise
    return EXIT_FAILED if sandbox.bot_errors else EXIT_OK


async def _session(
    settings: Settings, *, demo: bool, script: Iterable[str] | None, seed: int | None = None
) -> int:
    out = sys.stdout
    files = settings.database_path.parent / "sandbox-files"
    sandbox = Sandbox(settings, ansi=_use_ansi(out), files_dir=files, seed=seed)
    await sandbox.start()
    try:
        demo_failed = False
        if demo:
            report = await load_demo(sandbox.app.services)
            demo_failed = report.failed
            print("\n".join(report.notes), file=out)
        if script is None:
            code = await run_interactive(sandbox, out, demo=demo)
        else:
            code = await run_script(sandbox, script, out)
    finally:
        await sandbox.stop()
    return EXIT_FAILED if demo_failed else code


def _reset(database: Path) -> None:
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)
    # Its files go with it: nothing refers to them any more, and the next store's new
    # namespace keeps the old ids unknown.
    shutil.rmtree(file_store_path(database), ignore_errors=True)


def main(
    settings: Settings,
    *,
    script: str | None = None,
    demo: bool = False,
    database: Path | None = None,
    reset: bool = False,
    seed: int | None = None,
) -> int:
    """Run the sandbox: interactive on a terminal, else the script (`-`: standard input).

    Raises ConfigError if `database` is the bot's own database.
    """
    config = sandbox_settings(settings, database=database, admin_ids=(ADMIN.person.id,))
    stdin = sys.stdin
    if script is None and (stdin is None or not stdin.isatty()):
        script = "-"
    lines: Iterable[str] | None = None
    if script == "-":
        lines = _script_lines(stdin if stdin is not None else [])
    elif script is not None:
        try:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            print(f"Error: cannot read the script {script}: {error}", file=sys.stderr)
            return EXIT_USAGE
    if reset:
        _reset(config.database_path)
    if config.log_level != "DEBUG":
        # Log lines in the middle of the chat hide it; warnings and errors still show.
        # `bot` has its own level (bot/logging_setup.py), so both are raised.
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("bot").setLevel(logging.WARNING)
    return asyncio.run(_session(config, demo=demo, script=lines, seed=seed))
