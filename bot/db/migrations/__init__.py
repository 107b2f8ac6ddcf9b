"""Ordered, named schema steps recorded in `schema_migrations`, each applied in one transaction.

A step is a module `mNNNN_name.py` in this package defining `STATEMENTS: tuple[str, ...]`.
Steps are found by their number, so features add their own file without touching a shared list.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.db.database import Database

log = logging.getLogger(__name__)

_STEP_MODULE = re.compile(r"^m(\d{4})_(\w+)$")


@dataclass(frozen=True)
class Migration:
    """One schema step: its version number, its name and the statements it runs."""

    version: int
    name: str
    statements: tuple[str, ...]


class SchemaTooNewError(Exception):
    """The database was migrated by a newer version of the bot than this one."""


class SchemaMismatchError(Exception):
    """A recorded step has another name than the code's step of the same number."""


def _discover() -> tuple[Migration, ...]:
    steps: list[Migration] = []
    for info in pkgutil.iter_modules(__path__):
        match = _STEP_MODULE.match(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        statements = tuple(module.STATEMENTS)
        steps.append(Migration(int(match.group(1)), match.group(2), statements))
    steps.sort(key=lambda step: step.version)
    versions = [step.version for step in steps]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migration steps share a number: {versions}")
    return tuple(steps)


MIGRATIONS: tuple[Migration, ...] = _discover()
LATEST_VERSION = MIGRATIONS[-1].version if MIGRATIONS else 0

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


async def applied_versions(conn: aiosqlite.Connection) -> dict[int, str]:
    """Return the recorded steps as {version: name}."""
    await conn.execute(_CREATE_LEDGER)
    async with conn.execute("SELECT version, name FROM schema_migrations") as cursor:
        return {int(row[0]): str(row[1]) for row in await cursor.fetchall()}


async def recorded_versions(db: Database) -> dict[int, str]:
    """Return the recorded steps as {version: name} from a reader, without creating the ledger."""
    async with db.read() as conn:
        ledger = await conn.execute_fetchall(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        )
        if not list(ledger):
            return {}
        rows = await conn.execute_fetchall("SELECT version, name FROM schema_migrations")
    return {int(row[0]): str(row[1]) for row in rows}


async def migrate(db: Database, steps: tuple[Migration, ...] = MIGRATIONS) -> list[Migration]:
    """Apply every step the database lacks, in order; return the steps applied."""
    done = await applied_versions(db.conn)
    known = {step.version: step for step in steps}
    newest_known = max(known, default=0)
    too_new = sorted(version for version in done if version > newest_known)
    if too_new:
        raise SchemaTooNewError(
            f"database {db.path} has schema version {max(too_new)}, newer than this bot knows "
            f"({newest_known}); upgrade the bot instead of running an older version on it"
        )
    for version, name in done.items():
        if version in known and known[version].name != name:
            raise SchemaMismatchError(
                f"database step {version} is {name!r} but this bot's step {version} is "
                f"{known[version].name!r}; the database belongs to another branch of the code"
            )
    applied: list[Migration] = []
    for step in steps:
        if step.version in done:
            continue
        async with db.transaction() as conn:
            for statement in step.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (step.version, step.name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        log.info("applied migration %04d_%s", step.version, step.name)
        applied.append(step)
    return applied


async def current_version(db: Database) -> int:
    """Return the highest step recorded in the database (0 for a new one)."""
    done = await applied_versions(db.conn)
    return max(done, default=0)
