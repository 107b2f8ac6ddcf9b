"""The update being handled, as the rest of the bot may ask about it (a context variable).

Each update taken from the inbox is handled inside a `Turn`. The turn's `before_commit` is set
as `bot.db.BEFORE_COMMIT` for the update's task, so every write transaction the handlers open
records, in that same transaction, that one more of the update's writes has been applied. When
an update is handled again (after a crash, or after a failure), its first `applied` write
transactions are rolled back instead of committed: their effects are already in the database.
The handlers still run to the end, so the person is answered again (answers are at least once,
effects exactly once).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiosqlite

_T = TypeVar("_T")


@dataclass
class Turn:
    """One run of one stored update's handlers."""

    update_id: int
    # Write transactions of this update committed by earlier runs.
    applied: int
    attempt: int
    max_attempts: int
    record_write: Callable[[aiosqlite.Connection, int, int], Awaitable[None]]
    # Write transactions reached in this run.
    seen: int = 0
    failed: BaseException | None = None
    open: bool = True

    async def before_commit(self, conn: aiosqlite.Connection) -> bool:
        """Record one more applied write with the handler's own; False: it was applied before."""
        if not self.open:
            return True
        self.seen += 1
        if self.seen <= self.applied:
            return False
        await self.record_write(conn, self.update_id, self.seen)
        return True


CURRENT: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("inbox_turn", default=None)


def is_replay() -> bool:
    """Say whether the update being handled had effects applied by an earlier run.

    A handler that finds its own answer already given (a button of a step the conversation
    has since left) can then show where things stand instead of calling the button stale.
    """
    turn = CURRENT.get()
    return turn is not None and turn.applied > 0


def note_failure(error: BaseException | None) -> None:
    """Mark the update being handled as failed (called by the error handler)."""
    turn = CURRENT.get()
    if turn is not None and error is not None:
        turn.failed = error


def will_retry() -> bool:
    """Say whether the failing update being handled will be run again (so: no apology yet)."""
    turn = CURRENT.get()
    return turn is not None and turn.attempt < turn.max_attempts


def detached(work: Callable[..., _T], *args: object) -> _T:
    """Call `work` outside the update being handled (for background work it schedules).

    A job scheduled from a handler would otherwise inherit the update's context, and its own
    transactions would count (and, on a replay, be rolled back) as the update's writes.
    """
    return contextvars.Context().run(work, *args)
