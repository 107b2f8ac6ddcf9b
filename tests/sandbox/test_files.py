"""The sandbox's files last as long as its database: evidence names the same file after a restart.

A tip keeps its evidence by Telegram file id; the officer's view re-sends it by that id. Were the
in-memory API's files lost on a restart, or its ids minted anew from 1, a photo of the last run
would be refused, or, worse, shown as whatever file the new run gave that id.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.kernel.config import load_settings
from bot.kernel.i18n import translator
from bot.sandbox.demo import load_demo
from bot.sandbox.people import ADMIN, OFFICER
from bot.sandbox.session import Sandbox
from bot.sandbox.settings import file_store_path, sandbox_settings
from bot.sandbox.terminal import run_script

RECEIPT_CODE = re.compile(r"TB-[0-9A-Z]{4}-[0-9A-Z]{4}")
RESIDENTS_PHOTO = b"\xff\xd8\xff\xe0 a motorbike outside the market \xff\xd9"
LATER_PHOTO = b"\xff\xd8\xff\xe0 a photo of the next run \xff\xd9"


@asynccontextmanager
async def running(database: Path) -> AsyncIterator[Sandbox]:
    """Run one sandbox session on `database`, as one `python -m bot sandbox` would."""
    settings = sandbox_settings(
        load_settings(_env_file=None), database=database, admin_ids=(ADMIN.person.id,)
    )
    sandbox = Sandbox(settings)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def play(sandbox: Sandbox, *lines: str) -> str:
    out = io.StringIO()
    code = await run_script(sandbox, lines, out)
    assert code == 0, out.getvalue()
    return out.getvalue()


async def photo_tip(sandbox: Sandbox, picture: Path) -> str:
    """Send a tip with one photo as the resident; return its receipt code."""
    report = await load_demo(sandbox.app.services)
    assert not report.failed, report.notes
    t = translator("vi")
    transcript = await play(
        sandbox,
        ":as resident",
        "/start",
        t.label("tips.menu.send"),
        "1",  # the first category
        "Có nhóm thanh niên bán ma túy gần chợ Rạch Sỏi vào buổi tối mỗi ngày.",
        f":press {t.label('tips.button.done')}",
        ":location 10.01245 105.08091",
        f":press {t.label('tips.button.when_now')}",
        f':photo "{picture}"',
        f":press {t.label('tips.button.done')}",
        f":press {t.label('tips.button.anonymous')}",
        f":press {t.label('tips.button.send')}",
    )
    answer = transcript.split(f"> :press {t.label('tips.button.send')}\n", 1)[-1]
    codes = RECEIPT_CODE.findall(answer)
    assert codes, transcript
    return str(codes[0])


async def send_photo(sandbox: Sandbox, picture: Path) -> None:
    """Send a photo as the resident, outside any tip: a new run's first files."""
    await play(sandbox, ":as resident", f':photo "{picture}"')


async def officers_view(sandbox: Sandbox, code: str) -> list[bytes]:
    """Open the tip as the officer, privately; return the bytes of the photos shown."""
    chat = OFFICER.person.id
    before = sandbox.api.message_count(chat)
    await play(sandbox, ":as officer private", f"/tip {code}")
    shown = sandbox.api.sent_messages(chat, start=before)
    return [
        sandbox.api.file_content(message.raw["photo"][-1]["file_id"])
        for message in shown
        if "photo" in message.raw
    ]


async def evidence_of(sandbox: Sandbox, code: str) -> list[tuple[str, str]]:
    """Return the (file_id, file_unique_id) the database keeps for a tip's evidence."""
    rows = await sandbox.app.services.db.fetch_all(
        "SELECT e.file_id, e.file_unique_id FROM tip_evidence AS e "
        "JOIN tips AS t ON t.id = e.tip_id WHERE t.code = ? ORDER BY e.position",
        (code,),
    )
    return [(str(row["file_id"]), str(row["file_unique_id"])) for row in rows]


async def test_after_a_restart_the_officer_sees_the_photo_the_resident_sent(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sandbox.sqlite3"
    (picture := tmp_path / "xe-may.jpg").write_bytes(RESIDENTS_PHOTO)
    (later := tmp_path / "later.jpg").write_bytes(LATER_PHOTO)
    async with running(database) as sandbox:
        code = await photo_tip(sandbox, picture)
        assert await officers_view(sandbox, code) == [RESIDENTS_PHOTO]

    async with running(database) as sandbox:
        # The new run takes files of its own before anyone looks at the old tip.
        await send_photo(sandbox, later)
        assert await officers_view(sandbox, code) == [RESIDENTS_PHOTO]
        ((file_id, _unique_id),) = await evidence_of(sandbox, code)
        assert sandbox.api.file_content(file_id) == RESIDENTS_PHOTO


async def test_a_new_runs_files_never_take_an_earlier_runs_ids(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.sqlite3"
    (picture := tmp_path / "xe-may.jpg").write_bytes(RESIDENTS_PHOTO)
    (later := tmp_path / "later.jpg").write_bytes(LATER_PHOTO)
    async with running(database) as sandbox:
        earlier = await evidence_of(sandbox, await photo_tip(sandbox, picture))

    async with running(database) as sandbox:
        ((file_id, unique_id),) = await evidence_of(sandbox, await photo_tip(sandbox, later))
        ((earlier_id, earlier_unique_id),) = earlier
        assert file_id != earlier_id
        assert unique_id != earlier_unique_id
        assert sandbox.api.file_content(file_id) == LATER_PHOTO
        assert sandbox.api.file_content(earlier_id) == RESIDENTS_PHOTO


async def test_evidence_of_a_deleted_file_store_is_refused_not_shown_as_another_file(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sandbox.sqlite3"
    (picture := tmp_path / "xe-may.jpg").write_bytes(RESIDENTS_PHOTO)
    (later := tmp_path / "later.jpg").write_bytes(LATER_PHOTO)
    async with running(database) as sandbox:
        code = await photo_tip(sandbox, picture)
    shutil.rmtree(file_store_path(database))

    async with running(database) as sandbox:
        await send_photo(sandbox, later)
        assert await officers_view(sandbox, code) == []
        failed = translator("vi")("tips.card.attachment_failed", code=code, index=1, total=1)
        assert sandbox.api.last_text(OFFICER.person.id) == failed
