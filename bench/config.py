"""The sizes a benchmark run can take: the full issue size, a quick one, and the smoke test's."""

from __future__ import annotations

import gc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from bot.kernel.config import Settings
from bot.ptb.application import freeze_startup_heap
from bot.testing.harness import BotHarness, settings_for_tests


@dataclass(frozen=True)
class DataSize:
    """What the synthetic data set holds; its hash names the cached SQLite file."""

    tips: int
    figures: int
    first_year: int = 2014
    last_year: int = 2023
    districts: int = 15
    communes: int = 130
    seed: int = 20231122

    def as_dict(self) -> dict[str, Any]:
        """Return the parameters as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class Size:
    """One benchmark run's size: the data set and how hard each part is driven."""

    name: str
    data: DataSize
    # Ingest: residents sending at the same time, and tips each of them completes.
    residents: int
    tips_each: int
    # How many update processors may run at once in the concurrent case.
    concurrency: int
    # Ingest runs of each application and mode (alternating); the median run is kept.
    ingest_rounds: int
    # Queries: timed repetitions of each (after one untimed warm-up).
    repeats: int
    report_repeats: int


# The bot's own default (CONCURRENT_UPDATES): the benchmark measures what production runs.
PRODUCTION_CONCURRENCY: Final[int] = Settings.model_fields["concurrent_updates"].default

SIZES: Final[dict[str, Size]] = {
    "full": Size(
        name="full",
        data=DataSize(tips=1_000_000, figures=500_000),
        residents=200,
        tips_each=3,
        concurrency=PRODUCTION_CONCURRENCY,
        ingest_rounds=3,
        repeats=30,
        report_repeats=5,
    ),
    "small": Size(
        name="small",
        data=DataSize(tips=100_000, figures=50_000),
        residents=100,
        tips_each=2,
        concurrency=PRODUCTION_CONCURRENCY,
        ingest_rounds=3,
        repeats=15,
        report_repeats=3,
    ),
    # The smoke test's size: every code path, a few seconds.
    "tiny": Size(
        name="tiny",
        data=DataSize(tips=3_000, figures=3_000, districts=3, communes=9),
        residents=6,
        tips_each=1,
        concurrency=4,
        ingest_rounds=1,
        repeats=2,
        report_repeats=1,
    ),
}


def bot_settings(database: Path, **overrides: Any) -> Settings:
    """Return the bot's settings for a benchmark: the tests' (no flood limits), no backups.

    The scheduled backup would copy the gigabyte data set a minute into a run, in the bot's
    own database thread, and land it in data/backups.
    """
    return settings_for_tests(database, backup_interval_hours=0, **overrides)


async def start_as_in_production(harness: BotHarness) -> None:
    """Start the bot as `python -m bot run` does (its start-up heap frozen)."""
    harness.app.startup_hooks.append(freeze_startup_heap)
    await harness.start()


async def stop_as_in_production(harness: BotHarness) -> None:
    """Stop the bot and unfreeze the heap, so the next application of this run starts clean."""
    try:
        await harness.stop()
    finally:
        gc.unfreeze()
        gc.collect()
