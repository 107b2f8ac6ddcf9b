"""docs/sandbox.md: a scripted sandbox session, generated here from a fresh database.

The README links it as the sandbox's example, so it must never drift from what the bot does:
this test plays docs/sandbox-session.txt with `--seed` and fails when docs/sandbox.md differs.
`UPDATE_TRANSCRIPT=1 .venv/bin/pytest tests/sandbox/test_transcript.py` rewrites it.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Final

from pydantic import SecretStr

from bot.kernel.clock import Clock
from bot.kernel.config import load_settings
from bot.sandbox.people import ADMIN
from bot.sandbox.session import SEEDED_START, Sandbox
from bot.sandbox.settings import sandbox_settings
from bot.sandbox.terminal import run_script
from bot.tips.codes import new_code

DOCS: Final = Path(__file__).resolve().parents[2] / "docs"
SCRIPT: Final = DOCS / "sandbox-session.txt"
TRANSCRIPT: Final = DOCS / "sandbox.md"
SEED: Final = 15
COMMAND: Final = (
    ".venv/bin/python -m bot sandbox --seed 15 --reset --database data/transcript.sqlite3 "
    "--script docs/sandbox-session.txt"
)
HEADER: Final = f"""\
# A sandbox session

What `python -m bot sandbox` shows for the lines of
[`sandbox-session.txt`](sandbox-session.txt), from an empty database: a resident's anonymous tip
with a typed answer to an officer's question, officers working from the group chat, and an
analyst's report. Lines starting with `#` are the script's comments. Play it yourself with

```sh
{COMMAND}
```

`--seed 15` stops the bot's clock at 09:00 on 2 March 2026 (until `:time` moves it) and makes
the receipt codes repeatable, so the session is the same on every run. This file is written by
`tests/sandbox/test_transcript.py` (`UPDATE_TRANSCRIPT=1` rewrites it); the test fails when the
bot no longer answers this way.

```text
"""


async def _play(tmp_path: Path) -> tuple[str, int]:
    base = load_settings(_env_file=None).model_copy(
        update={"secret_key": SecretStr("transcript-" * 6)}
    )
    settings = sandbox_settings(
        base, database=tmp_path / "transcript.sqlite3", admin_ids=(ADMIN.person.id,)
    )
    sandbox = Sandbox(settings, files_dir=tmp_path / "sandbox-files", seed=SEED)
    await sandbox.start()
    out = io.StringIO()
    try:
        code = await run_script(sandbox, SCRIPT.read_text(encoding="utf-8").splitlines(), out)
    finally:
        await sandbox.stop()
    # Saved files are named where the command above puts them, not in the test's folder.
    return out.getvalue().replace(str(tmp_path), "data"), code


async def test_the_documented_sandbox_session_is_what_the_bot_does(tmp_path: Path) -> None:
    transcript, code = await _play(tmp_path)
    assert code == 0, transcript
    expected = f"{HEADER}{transcript}```\n"
    if os.environ.get("UPDATE_TRANSCRIPT") == "1":
        TRANSCRIPT.write_text(expected, encoding="utf-8")
    on_disk = TRANSCRIPT.read_text(encoding="utf-8") if TRANSCRIPT.exists() else ""
    assert on_disk == expected, (
        "docs/sandbox.md is out of date: rerun with UPDATE_TRANSCRIPT=1 and review the diff"
    )


async def test_the_session_covers_what_the_readme_promises(tmp_path: Path) -> None:
    transcript, _code = await _play(tmp_path)
    receipt = new_code(random.Random(SEED).choice)
    # The script's code is the one --seed 15 gives the first tip.
    assert f"/ask {receipt} " in SCRIPT.read_text(encoding="utf-8")
    assert f"Mã tin báo: {receipt}" in transcript
    assert "Danh tính: 🕶 Ẩn danh" in transcript
    assert "(pressed 🙋 Nhận xử lý)" in transcript
    # The question reaches Lan; her typed answer reaches the group under the card.
    assert "Nhóm đó thường có mấy người?" in transcript.split(":as resident\n", 1)[1]
    group = transcript.rsplit("--- you are Minh (officer) in officers' chat ---\n", 1)[1]
    assert group.startswith("bot: 💬 ")
    assert "Khoảng năm, sáu người, đi xe máy." in group
    assert "Tổng số tin tiếp nhận: 1" in group
    assert "Lệnh /tips chỉ dùng trong trò chuyện riêng với bot" in group
    report = transcript.split("> /report\n", 1)[1]
    assert re.search(r"saved as data/sandbox-files/\S+\.png", report)
    assert re.search(r"saved as data/sandbox-files/\S+\.xlsx", report)


async def test_a_seeded_session_repeats_itself(tmp_path: Path) -> None:
    first, _ = await _play(tmp_path / "one")
    second, _ = await _play(tmp_path / "two")
    assert first == second


async def test_a_seeded_clock_stands_still_until_time_moves_it(tmp_path: Path) -> None:
    settings = sandbox_settings(load_settings(_env_file=None), database=tmp_path / "s.db")
    sandbox = Sandbox(settings, seed=SEED)
    await sandbox.start()
    try:
        await sandbox.handle("/start")
        await asyncio.sleep(0.05)
        assert sandbox.clock.now() == SEEDED_START
        assert "now 2026-03-02 11:30 (Asia/Ho_Chi_Minh)" in await sandbox.handle(":time +2h30m")
        assert sandbox.clock.now() == SEEDED_START + timedelta(hours=2, minutes=30)
    finally:
        await sandbox.stop()


def test_only_the_sandbox_replaces_where_codes_come_from(tmp_path: Path) -> None:
    settings = sandbox_settings(load_settings(_env_file=None), database=tmp_path / "plain.db")
    # Without --seed the sandbox, like the bot, draws codes from `secrets` and a ticking clock.
    plain = Sandbox(settings)
    assert plain.app.services.tips.code_choice == secrets.choice
    assert type(plain.clock) is Clock
    seeded = Sandbox(settings, seed=SEED)
    assert seeded.app.services.tips.code_choice != secrets.choice
