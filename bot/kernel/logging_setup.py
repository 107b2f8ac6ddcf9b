"""Process-wide logging: one format, quiet HTTP libraries."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    """Log to stderr at `level`; keep httpx and APScheduler to warnings."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO, and each getUpdates URL contains the bot token.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
