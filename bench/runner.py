"""Run the benchmark's parts, each in its own process (its own peak memory), then report.

`python -m bench` (what `make bench` runs) generates or reuses the data set, runs the parts
ingest, queries and report, prints a table of every figure with its ratio and target, and
writes everything to `bench-results/results-<size>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench.config import SIZES, Size
from bench.dataset import Dataset, dataset, dataset_path
from bench.ingest import run_ingest
from bench.measure import peak_rss_mb, reset_peak_rss, tip_bytes
from bench.queries import run_queries
from bench.report import run_report

PARTS: Final = ("ingest", "queries", "report")
# The targets (BENCHMARKS.md).
INGEST_RATIO_TARGET: Final = 0.8
QUERY_P95_TARGET_MS: Final = 50.0
QUERY_RATIO_TARGET: Final = 2.0
REPORT_TARGET_SECONDS: Final = 2.0
RSS_TARGET_MB: Final = 100.0
DEFAULT_FOLDER: Final = Path("bench-results")


def machine() -> dict[str, Any]:
    """Return the facts of the machine a run was made on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import telegram

    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "python_telegram_bot": telegram.__version__,
        "platform": platform.platform(),
    }


async def _part(name: str, size: Size, data: Dataset, folder: Path) -> dict[str, Any]:
    if name == "ingest":
        return await run_ingest(size, folder, rounds=size.ingest_rounds)
    if name == "queries":
        return await run_queries(data, size.repeats)
    if name == "report":
        return await run_report(data, size.report_repeats)
    raise ValueError(f"unknown part {name!r}")


def run_part(name: str, size: Size, folder: Path) -> dict[str, Any]:
    """Run one part in this process and return its figures with its peak memory."""
    data = dataset(size.data, folder)
    reset_peak_rss()
    started = time.perf_counter()
    result = asyncio.run(_part(name, size, data, folder))
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def _in_subprocess(name: str, size: Size, folder: Path) -> dict[str, Any]:
    """Run one part in a fresh interpreter, so its peak memory is its own."""
    command = [
        sys.executable,
        "-m",
        "bench",
        "--size",
        size.name,
        "--folder",
        str(folder),
        "--part",
        name,
    ]
    completed = subprocess.run(command, check=False, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"the {name} part failed (exit {completed.returncode})")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _generate(size: Size, folder: Path, *, isolate: bool) -> Dataset:
    if not isolate:
        return dataset(size.data, folder)
    # Made in its own process: the generator's lists are not any part's memory.
    command = [sys.executable, "-m", "bench", "--size", size.name, "--folder", str(folder)]
    was_cached = dataset_path(size.data, folder).exists()
    subprocess.run([*command, "--part", "data"], check=True)
    return dataclasses.replace(dataset(size.data, folder), cached=was_cached)


def run_all(
    size: Size,
    folder: Path = DEFAULT_FOLDER,
    *,
    parts: Sequence[str] = PARTS,
    isolate: bool = True,
) -> dict[str, Any]:
    """Run the parts and return every figure (and write them to the JSON file)."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = _generate(size, folder, isolate=isolate)
    results: dict[str, Any] = {
        "size": size.name,
        "data": {
            **size.data.as_dict(),
            "file": str(data.path),
            "generated_seconds": data.generated_seconds,
            "cached": data.cached,
            "province": data.province,
            "district": data.district,
            "commune": data.commune,
        },
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for name in parts:
        results[name] = (
            _in_subprocess(name, size, folder) if isolate else run_part(name, size, folder)
        )
    file_bytes = data.path.stat().st_size
    tips_bytes = tip_bytes(data.path)
    results["size_on_disk"] = {
        "file_bytes": file_bytes,
        "tip_tables_bytes": tips_bytes,
        "bytes_per_tip": round(tips_bytes / size.data.tips, 1),
        "file_bytes_per_tip": round(file_bytes / size.data.tips, 1),
    }
    results["targets"] = targets(results)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    (folder / f"results-{size.name}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every target of the issue with the measured value and whether it is met."""
    found: list[dict[str, Any]] = []
    ingest = results.get("ingest")
    if ingest:
        for mode, figures in ingest.items():
            if isinstance(figures, dict) and "ratio" in figures and mode != "sequential":
                found.append(
                    _target(
                        f"ingest {mode}: bot / bare updates per second",
                        figures["ratio"],
                        f">= {INGEST_RATIO_TARGET}",
                        figures["ratio"] >= INGEST_RATIO_TARGET,
                    )
                )
    for name, query in (results.get("queries") or {}).get("by_query", {}).items():
        found.append(
            _target(
                f"{name}: p95 ms",
                query["bot_p95_ms"],
                f"<= {QUERY_P95_TARGET_MS:g}",
                query["bot_p95_ms"] <= QUERY_P95_TARGET_MS,
            )
        )
        found.append(
            _target(
                f"{name}: p95 / hand-written (bare handler)",
                query["ratio_bare"],
                f"<= {QUERY_RATIO_TARGET:g}",
                query["ratio_bare"] <= QUERY_RATIO_TARGET,
            )
        )
    report = results.get("report")
    if report:
        found.append(
            _target(
                "report pack: warm p50 seconds",
                report["p50_seconds"],
                f"<= {REPORT_TARGET_SECONDS:g}",
                report["p50_seconds"] <= REPORT_TARGET_SECONDS,
            )
        )
    for name in PARTS:
        part = results.get(name)
        if part:
            found.append(
                _target(
                    f"{name}: peak RSS MB",
                    part["peak_rss_mb"],
                    f"<= {RSS_TARGET_MB:g}",
                    part["peak_rss_mb"] <= RSS_TARGET_MB,
                )
            )
    return found


def _target(name: str, value: float, goal: str, met: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "target": goal, "met": met}


# ---------------------------------------------------------------- the table


def table(results: dict[str, Any]) -> str:
    """Return the results as the plain-text table `make bench` prints."""
    lines: list[str] = []
    data = results["data"]
    box = results["machine"]
    lines.append(
        f"Benchmark {results['size']}: {data['tips']:,} tips, {data['figures']:,} figure records, "
        f"{data['first_year']}–{data['last_year']}, units {data['province']} / "
        f"{data['district']} / {data['commune']} (generated in "
        f"{data['generated_seconds'] or 0:.0f} s{', cached' if data['cached'] else ''})"
    )
    lines.append(
        f"Machine: {box['nproc']} CPU {box['cpu']}, {box['memory_gb']} GB, Python "
        f"{box['python']}, SQLite {box['sqlite']}, python-telegram-bot "
        f"{box['python_telegram_bot']}"
    )
    ingest = results.get("ingest")
    if ingest:
        lines.append("")
        lines.append(
            f"INGEST  {ingest['residents']} residents x {ingest['tips_each']} tips, "
            "9 updates a tip (medians of the runs); ratio: updates/s over bare's"
        )
        lines.append(
            f"  {'mode':<16}{'app':<6}{'updates/s':>11}{'tips/s':>9}{'p50 ms':>9}"
            f"{'p95 ms':>9}{'send p95':>10}{'ratio':>8}"
        )
        for mode, figures in ingest.items():
            if not isinstance(figures, dict) or "ratio" not in figures:
                continue
            for app in ("bare", "mirror", "bot"):
                row = figures[app]
                ratio = {
                    "bot": f"{figures['ratio']:.2f}",
                    "mirror": f"{figures['mirror_ratio']:.2f}",
                }.get(app, "")
                lines.append(_ingest_row(mode, app, row, ratio))
            lines.append(
                f"  {'':<16}bot / mirror (the bot's own work): {figures['bot_to_mirror']:.2f}"
            )
        trips = ingest.get("round_trips")
        if trips:
            lines.append(
                f"  with {trips['round_trip_ms']} ms per Bot API call (as over the network), "
                f"{trips['residents']} residents x {trips['tips_each']} tip:"
            )
            for mode, figures in trips.items():
                if not isinstance(figures, dict):
                    continue
                for app in ("bare", "bot"):
                    row = figures[app]
                    ratio = f"{figures['ratio']:.2f}" if app == "bot" else ""
                    lines.append(_ingest_row(mode, app, row, ratio))
    queries = results.get("queries")
    if queries:
        lines.append("")
        lines.append("QUERIES  through the handler vs hand-written SQL (bare handler; SQL alone)")
        lines.append(
            f"  {'query':<26}{'bot p50':>9}{'bot p95':>9}{'bare p95':>10}{'SQL p95':>9}"
            f"{'x bare':>8}{'x SQL':>8}"
        )
        for name, row in queries["by_query"].items():
            lines.append(
                f"  {name:<26}{row['bot_p50_ms']:>9.1f}{row['bot_p95_ms']:>9.1f}"
                f"{row['bare_p95_ms']:>10.1f}{row['sql_p95_ms']:>9.1f}"
                f"{row['ratio_bare']:>8.2f}{row['ratio_sql']:>8.2f}"
            )
    report = results.get("report")
    if report:
        lines.append("")
        lines.append(
            f"REPORT  {report['command']}: warm p50 {report['p50_seconds']:.2f} s, "
            f"max {report['max_seconds']:.2f} s, first run {report['first_seconds']:.2f} s "
            f"(xlsx {report['xlsx_bytes'] / 1e6:.1f} MB, chart {report['png_bytes'] / 1e3:.0f} kB)"
        )
    lines.append("")
    disk = results["size_on_disk"]
    memory = ", ".join(
        f"{name} {results[name]['peak_rss_mb']:.0f} MB" for name in PARTS if name in results
    )
    lines.append(f"MEMORY  peak RSS per part: {memory}")
    lines.append(
        f"SIZE    {disk['bytes_per_tip']:,.0f} bytes per tip in the tip tables and their "
        f"indexes; the whole file {disk['file_bytes'] / 1e6:,.0f} MB "
        f"({disk['file_bytes_per_tip']:,.0f} bytes per tip, figures included)"
    )
    lines.append("")
    lines.append("TARGETS")
    for target in results["targets"]:
        mark = "met    " if target["met"] else "NOT MET"
        lines.append(f"  {mark} {target['name']}: {target['value']} (target {target['target']})")
    lines.append("")
    lines.append(f"Total {results['wall_seconds']:.0f} s; JSON in bench-results/")
    return "\n".join(lines)


def _ingest_row(mode: str, app: str, row: dict[str, Any], ratio: str) -> str:
    return (
        f"  {mode:<16}{app:<6}{row['updates_per_second']:>11,.0f}"
        f"{row['tips_per_second']:>9,.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
        f"{row.get('send_p95_ms', 0):>10.1f}{ratio:>8}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run `python -m bench`."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Expected in a benchmark: no officers' chat for the query bot, and so on.
    logging.getLogger("bot").setLevel(logging.ERROR)
    size = SIZES[args.size]
    if args.part == "data":
        dataset(size.data, args.folder)
        return 0
    if args.part:
        print(json.dumps(run_part(args.part, size, args.folder)))
        return 0
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    results = run_all(size, args.folder, parts=parts)
    print(table(results))
    return 0
