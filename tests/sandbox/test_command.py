"""`python -m bot sandbox`, `python -m bot run` without a token and `make run`, as processes."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from bot.cli import main
from bot.testing.harness import process_environment

REPO = Path(__file__).resolve().parents[2]
# Generous: a cold start imports the whole bot, and CI may be a slow two-core machine.
PROCESS_TIMEOUT = 120


def run_bot(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=process_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def test_script_prints_the_transcript_and_uses_only_the_sandbox_files(tmp_path: Path) -> None:
    (tmp_path / "chat.txt").write_text("# a resident says hello\n/start\n\n/help\n")
    result = run_bot("sandbox", "--script", "chat.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# a resident says hello\nLan (resident)> /start\n")
    assert "bot: Xin chào Lan! 👋" in result.stdout
    assert "Lan (resident)> /help\nbot: Hướng dẫn" in result.stdout
    assert "Traceback" not in result.stderr
    data = tmp_path / "data"
    assert (data / "sandbox.sqlite3").is_file()
    assert stat.S_IMODE((data / "sandbox.secret").stat().st_mode) == 0o600
    assert not (data / "tips.sqlite3").exists()


def test_script_from_standard_input_fails_on_a_bad_line(tmp_path: Path) -> None:
    result = run_bot("sandbox", "--script", "-", cwd=tmp_path, stdin=":as nobody\n/start\n")
    assert result.returncode == 1
    assert "! no such identity 'nobody'" in result.stdout
    assert "bot: Xin chào Lan!" in result.stdout
    assert "1 line(s) could not be carried out" in result.stderr


def test_missing_script_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--script", "nowhere.txt"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("Error: cannot read the script nowhere.txt")
    assert len(error.strip().splitlines()) == 1


def test_the_bots_own_database_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--database", "data/tips.sqlite3"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("Configuration error: DATABASE_PATH: data/tips.sqlite3 is")
    assert len(error.strip().splitlines()) == 1
    assert not Path("data").exists()


def test_reset_starts_from_an_empty_database_and_file_store(tmp_path: Path) -> None:
    chose = run_bot("sandbox", cwd=tmp_path, stdin="/language\n2\n:photo\n/start\n")
    assert "bot: Hello Lan!" in chose.stdout, chose.stderr
    store = tmp_path / "data" / "sandbox.files"
    assert list(store.glob("*.json"))
    namespace = (store / "namespace").read_text()
    reset = run_bot("sandbox", "--reset", cwd=tmp_path, stdin="/start\n")
    assert reset.returncode == 0, reset.stderr
    assert "bot: Xin chào Lan!" in reset.stdout
    assert not list(store.glob("*.json"))
    assert (store / "namespace").read_text() != namespace


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_without_a_token_starts_the_sandbox_and_answers_start(tmp_path: Path) -> None:
    # A fresh clone with no .env: the Makefile and what its `run` target depends on. The
    # installed environment is this one, so nothing is downloaded.
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    os.utime(tmp_path / "pyproject.toml", (0, 0))
    stamp = tmp_path / "installed"
    stamp.touch()
    # `make test` runs this test: the outer make's flags are not this make's business.
    environment = {
        key: value
        for key, value in process_environment().items()
        if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "run",
            f"BIN={Path(sys.executable).parent}",
            f"STAMP={stamp}",
        ],
        cwd=tmp_path,
        env=environment,
        input="/start\n",
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    notice = [line for line in result.stderr.splitlines() if line.strip()]
    assert notice == [
        "No TELEGRAM_BOT_TOKEN set: starting the local sandbox (data/sandbox.sqlite3). "
        "To go live, put your token from @BotFather in .env (see README)."
    ]
    assert "Lan (resident)> /start\nbot: Xin chào Lan! 👋" in result.stdout
    assert (tmp_path / "data" / "sandbox.sqlite3").is_file()


def test_interactive_chat_presses_a_numbered_button(tmp_path: Path) -> None:
    environment = process_environment(TERM="xterm", PYTHONIOENCODING="utf-8")
    environment.pop("NO_COLOR", None)  # the test checks the styles a terminal gets
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "sandbox", "--database", str(tmp_path / "chat.sqlite3")],
        cwd=str(tmp_path),
        env=environment,
        encoding="utf-8",
        timeout=PROCESS_TIMEOUT,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact("Type a button's number to press it")
        child.expect_exact("Lan (resident)> ")
        child.sendline("/language")
        child.expect_exact("[1] 🇻🇳 Tiếng Việt   [2] 🇬🇧 English")
        child.expect_exact("Lan (resident)> ")
        child.sendline("2")
        child.expect_exact("(pressed 🇬🇧 English)")
        # On a terminal the bot's bold is an ANSI style around the word.
        child.expect_exact("Switched to \x1b[1mEnglish\x1b[0m.")
        child.expect_exact("Lan (resident)> ")
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert (tmp_path / "chat.history").read_text().splitlines()[-3:] == ["/language", "2", ":quit"]
