"""Crash safety: the bot is SIGKILLed at random moments while a crowd of residents sends tips.

The bot runs as its own process (`python -m bot run`) and polls a loopback Bot API that, like
Telegram, keeps every update until a later getUpdates offset confirms it, and delivers it again
to a restarted bot otherwise. Before one of the kills, the bot's acknowledgements are held back
(`hold_confirmations`), so updates it had already handled, "Send" presses among them, come
again after the restart. Checked at the end, from the database file itself:

- every tip for which a receipt was sent is there exactly once, and nothing else is;
- no redelivered update made a second tip;
- drafts caught half-way by a kill resumed where they were (nobody was sent back to the
  first question), and every resident finished;
- every tip's card reached the officers' chat; the file passes `PRAGMA integrity_check`.

CI size: 100 residents, 3 kills (CRASH_RESIDENTS raises it for a longer local run).
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from pathlib import Path

import pytest

from bot.testing.botapi import InMemoryBotApi
from bot.testing.http_server import BotApiHttpServer
from tests.hardening.crowd import (
    APOLOGY,
    OFFICERS,
    BotProcess,
    Crowd,
    cards_delivered,
    officers_group,
)

SEED = 20_260_515
RESIDENTS = int(os.environ.get("CRASH_RESIDENTS", "100"))
KILLS = 3
# A tip takes about nine updates from /tip to "Send".
ACTIONS_PER_TIP = 9
# Seconds a resident waits for an answer before trying again (an update lost in a crash).
PATIENCE = 5.0
# Residents arrive one every STAGGER actions of the crowd, so kills find them at every step.
STAGGER = 3.0
DEADLINE = 240.0


@pytest.mark.timeout(DEADLINE + 60)
async def test_sigkill_at_random_moments_loses_no_receipted_tip_and_makes_none_twice(
    tmp_path: Path,
) -> None:
    api = InMemoryBotApi()
    officers_group(api)
    crowd = Crowd(api, size=RESIDENTS, seed=SEED, wanted=1, patience=PATIENCE)
    rng = random.Random(SEED)
    expected = RESIDENTS * ACTIONS_PER_TIP
    # Kills spread over the run at random, far enough apart for the held-back window.
    kill_at = [(0.3 + 0.25 * index + rng.uniform(-0.06, 0.06)) * expected for index in range(KILLS)]
    # Before the last kill, when most residents are near "Send", acknowledgements are held back.
    hold_before = KILLS - 1
    hold_window = 0.12 * expected
    mid_draft_at_kills: list[int] = []

    async with BotApiHttpServer(api) as server:
        bot = BotProcess(server, tmp_path)
        try:
            await bot.start()
            running = asyncio.create_task(crowd.run(stagger=STAGGER))

            async def progress(actions: float) -> None:
                reached = await api.wait_until(
                    lambda: crowd.actions >= actions or running.done(), within=DEADLINE
                )
                assert reached, f"the crowd stalled at {crowd.actions} actions"

            for index, threshold in enumerate(kill_at):
                if index == hold_before:
                    await progress(threshold - hold_window)
                    api.hold_confirmations()
                await progress(threshold)
                mid_draft_at_kills.append(crowd.mid_draft())
                await bot.kill()
                api.hold_confirmations(False)
                await bot.start()
            await asyncio.wait_for(running, DEADLINE)
            codes = [code for resident in crowd.residents for code in resident.codes]
            # The card and its progress are saved in two steps: a kill between them repeats it.
            await cards_delivered(api, codes, repeats_allowed=KILLS)
            assert await bot.stop() == 0
        finally:
            await bot.ensure_stopped()

    log = bot.log()
    assert "Traceback" not in log, log[-5000:]
    assert " ERROR " not in log, log[-5000:]
    residents = crowd.pseudonyms()
    with sqlite3.connect(bot.database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tips = conn.execute("SELECT code, submission_key, reporter_pseudonym FROM tips").fetchall()
        received = dict(
            conn.execute(
                "SELECT t.code, count(*) FROM tip_events AS e JOIN tips AS t ON t.id = e.tip_id "
                "WHERE e.event = 'received' GROUP BY t.code"
            ).fetchall()
        )
        undelivered = conn.execute(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
        ).fetchone()[0]

    # Every receipt has its tip, once; every tip was receipted; each resident sent one.
    by_code = {code: (key, pseudonym) for code, key, pseudonym in tips}
    assert len(by_code) == len(tips)
    for pseudonym, resident in residents.items():
        assert len(resident.codes) == 1, resident.person.id
        mine = sorted(code for code, (_key, owner) in by_code.items() if owner == pseudonym)
        assert mine == resident.codes, (resident.person.id, mine, resident.codes)
        # Only the resident's own "Send" buttons made tips: no second tip from a redelivery.
        assert {by_code[code][0] for code in mine} <= resident.keys
    assert len(tips) == RESIDENTS
    assert all(received[code] == 1 for code in by_code)
    assert undelivered == 0

    # The kills did catch drafts half-way, and every one of them resumed where it was.
    assert sum(mid_draft_at_kills) > 0, mid_draft_at_kills
    assert sum(resident.regressions for resident in crowd.residents) == 0
    assert sum(resident.apologies for resident in crowd.residents) == 0
    # Handled "Send" presses came again after the held-back kill, and made nothing new.
    redelivered_sends = [uid for uid in api.redelivered() if uid in crowd.send_presses]
    assert redelivered_sends, "no Send press was redelivered; the hold window missed"
    assert APOLOGY not in [m.text for m in api.sent_messages(OFFICERS)]
