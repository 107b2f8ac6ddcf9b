"""The audit trail through the real bot: every kind of officer action, and tampering caught."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.kernel.config import ConfigError, load_settings
from bot.testing.harness import TEST_SECRET, run_bot_cli
from tests.officers.conftest import ADMIN, NEWCOMER, OFFICER_RG

from .conftest import TIPSTER, card, deliver, open_desk, plant, press


def _verify(database_path: Path) -> subprocess.CompletedProcess[str]:
    return run_bot_cli("audit", "verify", DATABASE_PATH=str(database_path), SECRET_KEY=TEST_SECRET)


async def test_officer_actions_are_chained_and_an_edited_row_is_named(
    database_path: Path,
) -> None:
    desk = await open_desk(database_path)
    try:
        tip = await plant(desk)
        shown = await card(desk, tip)
        await press(desk, OFFICER_RG, shown, "🙋 Nhận xử lý")
        await desk.say(OFFICER_RG, f"/tip {tip.code}")
        await desk.say(OFFICER_RG, f"/note {tip.code} Đã xác minh sơ bộ")
        await desk.say(OFFICER_RG, f"/ask {tip.code} Anh chị thấy lúc mấy giờ?")
        await desk.say(ADMIN, f"/addofficer {NEWCOMER.id} officer KG-RG")
        year = tip.received_at.year
        await desk.say(OFFICER_RG, f"/export csv {year}")
        await desk.say(OFFICER_RG, f"/report {year}")
        await deliver(desk)
        rows = await desk.app.services.db.fetch_all(
            "SELECT id, actor, action, target, details FROM audit_log ORDER BY id"
        )
        actions = [row["action"] for row in rows]
        # The staff was registered from the command line first: those grants are recorded too.
        assert actions.count("officer.add") == 6
        assert actions[-7:] == [
            "tip.status",
            "tip.view",
            "tip.note",
            "relay.ask",
            "officer.add",
            "export.tips",
            "export.report",
        ]
        grant = rows[-3]
        assert (grant["actor"], grant["target"]) == (
            f"officer:{ADMIN.id}",
            f"officer:{NEWCOMER.id}",
        )
        assert json.loads(grant["details"])["after"]["role"] == "officer"
        cli_grant = rows[0]
        assert cli_grant["actor"] == "cli"
        # No row names the tipster in any way.
        dumped = json.dumps([dict(row) for row in rows], ensure_ascii=False)
        for needle in (str(TIPSTER.id), TIPSTER.first_name, TIPSTER.username or "", "ma túy"):
            assert needle not in dumped
        checked, broken = await desk.app.services.audit.verify()
        assert (checked, broken) == (len(rows), None)
        tampered = next(row["id"] for row in rows if row["action"] == "tip.note")
    finally:
        await desk.stop()

    good = _verify(database_path)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == f"audit chain OK: {len(rows)} rows verified"

    with sqlite3.connect(database_path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute(
            "UPDATE audit_log SET actor = ? WHERE id = ?", (f"officer:{ADMIN.id}", tampered)
        )
    bad = _verify(database_path)
    assert bad.returncode == 1
    assert f"audit chain BROKEN at row {tampered}: content was changed" in bad.stdout


async def test_the_bot_itself_cannot_edit_or_delete_audit_rows(database_path: Path) -> None:
    desk = await open_desk(database_path)
    try:
        await desk.say(OFFICER_RG, f"/tip {(await plant(desk)).code}")
        db = desk.app.services.db
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute("UPDATE audit_log SET action = 'nothing'")
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute("DELETE FROM audit_log")
        assert (await desk.app.services.audit.verify())[1] is None
    finally:
        await desk.stop()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"digest_time": "25:00"}, "DIGEST_TIME: must be a local time HH:MM from 00:00 to 23:59"),
        ({"digest_time": "7h30"}, "DIGEST_TIME: must be a local time HH:MM"),
        ({"notify_statuses": "taken,solved"}, "NOTIFY_STATUSES: unknown status 'solved'"),
        ({"untaken_alert_hours": "0"}, "UNTAKEN_ALERT_HOURS:"),
        ({"relay_show_officer_name": "perhaps"}, "RELAY_SHOW_OFFICER_NAME:"),
    ],
)
def test_triage_settings_are_checked_with_one_line_naming_the_key(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None, **values)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_triage_settings_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    default = load_settings(_env_file=None)
    assert default.untaken_alert_hours == 24
    assert default.digest_time == "07:30"
    assert default.notify_statuses == ("taken", "verified", "unfounded", "transferred", "closed")
    assert default.relay_show_officer_name is False
    monkeypatch.setenv("NOTIFY_STATUSES", " Verified , closed,")
    monkeypatch.setenv("DIGEST_TIME", "6:05")
    monkeypatch.setenv("RELAY_SHOW_OFFICER_NAME", "true")
    monkeypatch.setenv("UNTAKEN_ALERT_HOURS", "12")
    configured = load_settings(_env_file=None)
    assert configured.notify_statuses == ("verified", "closed")
    assert configured.digest_time == "06:05"
    assert configured.relay_show_officer_name is True
    assert configured.untaken_alert_hours == 12
    monkeypatch.setenv("NOTIFY_STATUSES", "")
    assert load_settings(_env_file=None).notify_statuses == ()
