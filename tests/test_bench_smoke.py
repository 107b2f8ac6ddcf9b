"""The benchmark at a tiny size: every figure of `make bench` is produced and sane.

This keeps bench/ from rotting; it never asserts a timing (the machine's speed is not a test).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.config import SIZES
from bench.runner import PARTS, run_all, table

TINY = SIZES["tiny"]


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0 and math.isfinite(value)


def test_a_tiny_run_produces_every_figure(tmp_path: Path) -> None:
    results = run_all(TINY, tmp_path, isolate=False)

    ingest = results["ingest"]
    modes = ["sequential", f"concurrent({TINY.concurrency})"]
    assert [key for key, value in ingest.items() if isinstance(value, dict)] == [
        *modes,
        "round_trips",
    ]
    for mode in modes:
        figures = ingest[mode]
        assert _positive(figures["ratio"])
        for app in ("bot", "bare", "mirror"):
            run = figures[app]
            assert run["tips"] == TINY.residents * TINY.tips_each
            assert run["updates"] == run["tips"] * 9
            assert _positive(run["updates_per_second"])
            assert _positive(run["tips_per_second"])
            assert 0 < run["p50_ms"] <= run["p95_ms"]
        assert 0 < figures["bot"]["send_p50_ms"] <= figures["bot"]["send_p95_ms"]
        assert _positive(figures["mirror_ratio"])
        assert _positive(figures["bot_to_mirror"])
    trips = ingest["round_trips"]
    assert trips["round_trip_ms"] > 0
    for mode in modes:
        assert _positive(trips[mode]["ratio"])
        for app in ("bot", "bare"):
            assert trips[mode][app]["tips"] == trips["residents"] * trips["tips_each"]
            assert 0 < trips[mode][app]["p50_ms"] <= trips[mode][app]["p95_ms"]

    queries = results["queries"]["by_query"]
    assert sorted(queries) == sorted(
        f"/{command} {span} {level}"
        for command in ("stats", "figures")
        for span in ("year", "decade")
        for level in ("province", "district", "commune")
    )
    for query in queries.values():
        for key in ("bot", "bare", "sql"):
            assert 0 < query[f"{key}_p50_ms"] <= query[f"{key}_p95_ms"]
        assert _positive(query["ratio_bare"])
        assert _positive(query["ratio_sql"])
    # The bot and the hand-written SQL agreed (the run raises otherwise); the histogram's
    # median stays close to the exact one.
    stats = [query["check"] for name, query in queries.items() if name.startswith("/stats")]
    assert all(check["received"] > 0 for check in stats)
    assert all(check["median_relative_error"] < 0.1 for check in stats)

    report = results["report"]
    assert _positive(report["p50_seconds"])
    assert _positive(report["first_seconds"])
    assert report["xlsx_bytes"] > 0
    assert report["png_bytes"] > 0

    for part in PARTS:
        assert _positive(results[part]["peak_rss_mb"])
    assert _positive(results["size_on_disk"]["bytes_per_tip"])
    assert results["machine"]["nproc"] >= 1

    names = [target["name"] for target in results["targets"]]
    assert len(names) == 1 + 2 * len(queries) + 1 + len(PARTS)
    assert all(isinstance(target["met"], bool) for target in results["targets"])

    written = json.loads((tmp_path / "results-tiny.json").read_text())
    assert written["queries"]["by_query"].keys() == queries.keys()
    printed = table(results)
    for heading in ("INGEST", "QUERIES", "REPORT", "MEMORY", "SIZE", "TARGETS"):
        assert heading in printed
