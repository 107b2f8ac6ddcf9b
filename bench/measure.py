"""Small measuring tools: percentiles, peak memory, database size."""

from __future__ import annotations

import math
import resource
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Final

MB: Final = 1024 * 1024
# The tables (and, through dbstat, their indexes) that grow with the number of tips.
TIP_TABLES: Final = (
    "tips",
    "tip_events",
    "tip_evidence",
    "tip_cards",
    "outbox",
    "tip_counts",
    "tip_delays",
)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (VmHWM; ru_maxrss where absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs); say whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def tip_bytes(path: Path) -> int:
    """Return the bytes of the tip tables and their indexes in a database file (dbstat)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            """
            SELECT coalesce(sum(s.pgsize), 0)
            FROM dbstat AS s
            JOIN sqlite_schema AS m ON m.name = s.name
            WHERE m.tbl_name IN (SELECT value FROM json_each(?))
            """,
            (_json_list(TIP_TABLES),),
        ).fetchone()
        return int(rows[0])
    finally:
        conn.close()


def _json_list(values: Sequence[str]) -> str:
    return "[" + ",".join(f'"{value}"' for value in values) + "]"
