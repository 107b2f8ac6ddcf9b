"""Load: a crowd of residents sends tips for a while over real HTTP polling.

`make test` runs a short version (40 residents for 10 s); `make load` runs the full one,
1,000 residents for 60 s (LOAD_RESIDENTS and LOAD_SECONDS choose any other size). The bot is
its own process, polling the loopback Bot API; every resident sends tip after tip, reading the
bot's answers, until the time is up, then finishes the tip in progress and stops.

Checked: no error (no apology to a resident, no ERROR or traceback in the bot's log, no answer
that never came), no tip lost (every receipt is a tip in the database, once, and every tip was
receipted; every card reached the officers' chat), and the bot's memory (VmRSS, sampled every
second) stays under a generous bound. A summary line gives throughput, latency and memory.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
from pathlib import Path

import pytest

from bot.testing.botapi import InMemoryBotApi
from bot.testing.http_server import BotApiHttpServer
from tests.hardening.crowd import BotProcess, Crowd, cards_delivered, officers_group

SEED = 7_031_947
RESIDENTS = int(os.environ.get("LOAD_RESIDENTS", "40"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "10"))
# VmRSS of the bot process; it idles near 80 MiB.
RSS_LIMIT_MIB = float(os.environ.get("LOAD_RSS_LIMIT_MIB", "400"))
# No update is lost without a crash, so any answer may take this long without failing the run
# (a thousand simulated people and the loopback Bot API share one test process: its speed, not
# the bot's, sets the pace, and everyone queues behind everyone else).
PATIENCE = 120.0
# After the time is up, the tips in progress are finished: about nine answers each.
DRAIN = 10 * PATIENCE
SAMPLE_EVERY = 1.0


@pytest.mark.timeout(SECONDS + DRAIN + 120)
async def test_a_crowd_sends_tips_over_real_http_polling_without_errors_or_loss(
    tmp_path: Path,
) -> None:
    api = InMemoryBotApi()
    officers_group(api)
    crowd = Crowd(api, size=RESIDENTS, seed=SEED, wanted=None, patience=PATIENCE)
    rss: list[float] = []
    async with BotApiHttpServer(api) as server:
        bot = BotProcess(server, tmp_path)
        try:
            await bot.start()
            rss.append(bot.rss_mib())
            loop = asyncio.get_running_loop()
            started = loop.time()
            running = asyncio.create_task(crowd.run())
            while (left := started + SECONDS - loop.time()) > 0 and not running.done():
                # Sampling memory is periodic by nature; the crowd ending early cuts it short.
                await asyncio.wait({running}, timeout=min(SAMPLE_EVERY, left))
                rss.append(bot.rss_mib())
            crowd.stopping = True
            while not running.done():
                await asyncio.wait({running}, timeout=SAMPLE_EVERY)
                rss.append(bot.rss_mib())
                assert loop.time() - started < SECONDS + DRAIN, "the tips in progress never ended"
            await running
            elapsed = loop.time() - started
            rss.append(bot.rss_mib())
            codes = [code for resident in crowd.residents for code in resident.codes]
            # The outbox sends one card at a time through the same loopback server the crowd
            # kept saturated, while up to CONCURRENT_UPDATES residents' answers went first: the
            # cards drain once the crowd stops, so the wait grows with their number.
            await cards_delivered(api, codes, repeats_allowed=0, within=60 + len(codes) / 10)
            assert await bot.stop() == 0
        finally:
            await bot.ensure_stopped()

    residents = crowd.pseudonyms()
    with sqlite3.connect(bot.database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tips = conn.execute("SELECT code, reporter_pseudonym FROM tips").fetchall()
    latencies = sorted(value for r in crowd.residents for value in r.latencies)
    summary = (
        f"load: {RESIDENTS} residents, {elapsed:.0f} s, {len(tips)} tips, "
        f"{crowd.actions} updates ({crowd.actions / elapsed:.0f}/s); answer latency "
        f"p50 {statistics.median(latencies):.2f} s, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.2f} s, max {latencies[-1]:.2f} s; "
        f"bot RSS {rss[0]:.0f} MiB at start, {max(rss):.0f} MiB at most, {rss[-1]:.0f} at the end"
    )
    print(summary)

    log = bot.log()
    assert "Traceback" not in log, log[-5000:]
    assert " ERROR " not in log, log[-5000:]
    for resident in crowd.residents:
        assert resident.apologies == 0, (resident.person.id, summary)
        assert resident.timeouts == 0, (resident.person.id, summary)
        assert resident.regressions == 0, (resident.person.id, summary)
    # No tip lost, none twice: the receipts and the database agree, resident by resident.
    assert len({code for code, _owner in tips}) == len(tips)
    for pseudonym, resident in residents.items():
        mine = sorted(code for code, owner in tips if owner == pseudonym)
        assert mine == sorted(resident.codes), (resident.person.id, summary)
    assert len(tips) == crowd.receipts > 0, summary
    assert max(rss) < RSS_LIMIT_MIB, summary
