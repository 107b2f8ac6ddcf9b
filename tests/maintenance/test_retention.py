"""Retention: long-closed tips lose their links to people and files, never their content."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import AuditLog
from bot.maintenance.health import run_checks
from bot.maintenance.retention import (
    AUDIT_ACTION,
    EVENT,
    JOB_NAME,
    PURGED,
    purge_closed_tips,
)
from bot.testing.harness import TEST_SECRET, BotHarness, run_bot_cli
from bot.testing.updates import Person
from bot.tips.repository import stamp
from tests.tips.flow import Answers, deliver, last_shown, submit, tips_settings

OTHER = Person(id=5550888, first_name="Bình")


async def close(bot: BotHarness, code: str, at: datetime) -> None:
    """Close a tip as the officers' triage does: the status and its closing event, at `at`."""
    tips = bot.app.services.tips
    tip = await tips.tips.by_code(code)
    assert tip is not None
    async with bot.app.services.db.transaction() as conn:
        await conn.execute(
            "UPDATE tips SET status = 'closed', updated_at = ? WHERE id = ?", (stamp(at), tip.id)
        )
        await tips.tips.add_event_in(
            conn,
            tip.id,
            at=at,
            actor_kind="officer",
            actor_ref="officer:9100002",
            event="status",
            from_status=tip.status,
            to_status="closed",
        )


async def row(bot: BotHarness, code: str) -> sqlite3.Row:
    found = await bot.app.services.db.fetch_one("SELECT * FROM tips WHERE code = ?", (code,))
    assert found is not None
    return found


async def files(bot: BotHarness, code: str) -> list[tuple[str, str, str, str]]:
    rows = await bot.app.services.db.fetch_all(
        "SELECT e.kind, e.role, e.file_id, e.file_unique_id FROM tip_evidence AS e "
        "JOIN tips AS t ON t.id = e.tip_id WHERE t.code = ? ORDER BY e.position",
        (code,),
    )
    return [(r["kind"], r["role"], r["file_id"], r["file_unique_id"]) for r in rows]


async def count(bot: BotHarness, sql: str) -> int:
    return int(await bot.app.services.db.fetch_value(sql))


async def purged(bot: BotHarness) -> int:
    return await count(bot, f"SELECT count(*) FROM tips WHERE reporter_pseudonym = '{PURGED}'")


async def test_the_daily_job_cuts_the_links_of_long_closed_tips_and_keeps_the_tips(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, retention_days=30)) as bot:
        old = await submit(bot, resident, Answers(photos=2, contact="0912 345 678"))
        recent = await submit(bot, resident, Answers(category="fraud"))
        still_open = await submit(bot, resident, Answers(category="dispute"))
        await deliver(bot)
        story_before = (await row(bot, old))["story"]
        await close(bot, old, bot.clock.now())
        bot.clock.advance(timedelta(days=31))
        await close(bot, recent, bot.clock.now())
        assert bot.app.job_queue is not None
        jobs = bot.app.job_queue.get_jobs_by_name(JOB_NAME)
        assert len(jobs) == 1

        await jobs[0].run(bot.app)

        purged = await row(bot, old)
        assert purged["reporter_pseudonym"] == PURGED
        assert purged["reporter_chat_sealed"] is None
        assert purged["contact_sealed"] is None
        # The tip itself stays whole: content, status, its files' kinds and count.
        assert (purged["story"], purged["status"], purged["category"]) == (
            story_before,
            "closed",
            "drugs",
        )
        assert await files(bot, old) == [
            ("photo", "evidence", PURGED, PURGED),
            ("photo", "evidence", PURGED, PURGED),
        ]
        events = await bot.app.services.db.fetch_all(
            "SELECT e.actor_kind, e.event FROM tip_events AS e JOIN tips AS t ON t.id = e.tip_id "
            "WHERE t.code = ? ORDER BY e.id",
            (old,),
        )
        assert [tuple(event) for event in events] == [
            ("resident", "received"),
            ("officer", "status"),
            ("system", EVENT),
        ]
        audit = AuditLog(bot.app.services.db, bot.app.services.keyring)
        entries = await audit.entries(target=f"tip:{old}")
        assert [(e.actor, e.action) for e in entries] == [("system", AUDIT_ACTION)]
        assert entries[0].details["evidence"] == 2
        assert entries[0].details["retention_days"] == 30

        pseudonym = bot.app.services.keyring.pseudonym(resident.id)
        for code in (recent, still_open):
            kept = await row(bot, code)
            assert kept["reporter_pseudonym"] == pseudonym
            assert kept["reporter_chat_sealed"] is not None
        # The resident's own list no longer reaches the purged tip; the others are there.
        await bot.say(resident, "/mytips")
        listing = last_shown(bot, resident.id)
        assert "(2)" in listing
        assert old not in listing
        assert recent in listing
        assert still_open in listing
        assert await count(bot, "SELECT count(*) FROM tips") == 3

        # Idempotent: the next day's run finds nothing new.
        bot.clock.advance(timedelta(days=1))
        await jobs[0].run(bot.app)
        assert await count(bot, f"SELECT count(*) FROM tip_events WHERE event = '{EVENT}'") == 1
        assert await count(bot, "SELECT count(*) FROM audit_log") == 1
        findings = await run_checks(bot.app.services.db, bot.app.services.keyring)
        assert all(finding.ok for finding in findings), findings

        # Once the recent tip too has been closed for 30 days, it goes the same way.
        bot.clock.advance(timedelta(days=30))
        await jobs[0].run(bot.app)
        assert (await row(bot, recent))["reporter_pseudonym"] == PURGED
        assert (await row(bot, still_open))["reporter_pseudonym"] == pseudonym


async def test_purging_goes_in_batches_and_a_dry_run_changes_nothing(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, tip_limit_per_hour=10)) as bot:
        codes = [await submit(bot, person) for person in (resident, OTHER) for _ in range(3)]
        for code in codes[:5]:
            await close(bot, code, bot.clock.now())
        services = bot.app.services
        later = bot.clock.now() + timedelta(days=8)

        dry = await purge_closed_tips(services.db, services.keyring, later, 7, dry_run=True)
        assert sorted(dry.codes) == sorted(codes[:5])
        assert await purged(bot) == 0

        done = await purge_closed_tips(services.db, services.keyring, later, 7, batch=2)
        assert sorted(done.codes) == sorted(codes[:5])
        assert await purged(bot) == 5
        assert await count(bot, "SELECT count(*) FROM audit_log") == 5
        assert (await row(bot, codes[5]))["reporter_pseudonym"] != PURGED
        # Closed 8 days ago: a 10-day retention leaves them alone.
        again = await purge_closed_tips(services.db, services.keyring, later, 10)
        assert again.count == 0


async def test_retention_zero_keeps_everything(database_path: Path) -> None:
    async with BotHarness(tips_settings(database_path, retention_days=0)) as bot:
        assert bot.app.job_queue is not None
        assert bot.app.job_queue.get_jobs_by_name(JOB_NAME) == ()
        services = bot.app.services
        with pytest.raises(ValueError, match="keeping everything"):
            await purge_closed_tips(services.db, services.keyring, bot.clock.now(), 0)


async def test_the_purge_command_with_a_dry_run_first(
    database_path: Path, resident: Person, tmp_path: Path
) -> None:
    async with BotHarness(tips_settings(database_path)) as bot:
        long_ago = await submit(bot, resident, Answers(photos=1))
        lately = await submit(bot, resident, Answers(category="fraud"))
        now = bot.clock.now()
        await close(bot, long_ago, now - timedelta(days=400))
        await close(bot, lately, now - timedelta(days=10))
    env = {
        "DATABASE_PATH": str(database_path),
        "SECRET_KEY": TEST_SECRET,
        "RETENTION_DAYS": "365",
    }

    def pseudonyms() -> dict[str, str]:
        with sqlite3.connect(database_path) as conn:
            return dict(conn.execute("SELECT code, reporter_pseudonym FROM tips").fetchall())

    dry = run_bot_cli("purge", "--dry-run", cwd=tmp_path, **env)
    assert dry.returncode == 0, dry.stderr
    assert "would purge the tipster links and file references of 1 tips" in dry.stdout
    assert "nothing was changed" in dry.stdout
    assert PURGED not in pseudonyms().values()

    done = run_bot_cli("purge", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert "purged the tipster links and file references of 1 tips" in done.stdout
    after = pseudonyms()
    assert after[long_ago] == PURGED
    assert after[lately] != PURGED

    check = run_bot_cli("check", cwd=tmp_path, **env)
    assert check.returncode == 0, check.stdout
    assert "ok   audit chain: 1 rows verified" in check.stdout

    kept = run_bot_cli("purge", cwd=tmp_path, **{**env, "RETENTION_DAYS": "0"})
    assert kept.returncode == 0
    assert "nothing to purge" in kept.stdout
    no_key = run_bot_cli("purge", cwd=tmp_path, DATABASE_PATH=str(database_path))
    assert no_key.returncode == 2
    assert "SECRET_KEY" in no_key.stderr


async def test_a_pending_reply_of_the_tipster_is_cut_with_the_tip(
    database_path: Path, resident: Person
) -> None:
    async with BotHarness(tips_settings(database_path, retention_days=30)) as bot:
        code = await submit(bot, resident, Answers())
        tip = await row(bot, code)
        pseudonym = bot.app.services.keyring.pseudonym(resident.id)
        async with bot.app.services.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO tip_messages (tip_id, direction, officer_id, body, created_at) "
                "VALUES (?, 'to_tipster', 9100002, 'Mấy giờ?', ?)",
                (tip["id"], stamp(bot.clock.now())),
            )
            await conn.execute(
                "INSERT INTO tip_reply_waits (pseudonym, message_id, created_at) VALUES (?, ?, ?)",
                (pseudonym, cursor.lastrowid, stamp(bot.clock.now())),
            )
        await close(bot, code, bot.clock.now())
        bot.clock.advance(timedelta(days=31))
        assert bot.app.job_queue is not None
        await bot.app.job_queue.get_jobs_by_name(JOB_NAME)[0].run(bot.app)
        assert (await row(bot, code))["reporter_pseudonym"] == PURGED
        assert await count(bot, "SELECT count(*) FROM tip_reply_waits") == 0
        # The exchange itself is the tip's content, not a link to the tipster: it stays.
        assert await count(bot, "SELECT count(*) FROM tip_messages") == 1
