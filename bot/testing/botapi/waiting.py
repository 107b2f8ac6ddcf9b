"""Futures that wake a waiting test (or a long poll) instead of letting it sleep and poll."""

import asyncio
import threading


def resolve_waiter(waiter: asyncio.Future[None]) -> None:
    """Wake a waiter, unless it has given up already."""
    if not waiter.done():
        waiter.set_result(None)


def wake_all(waiters: list[asyncio.Future[None]]) -> None:
    """Wake every waiter from any thread, in its own loop."""
    for waiter in waiters:
        # call_soon_threadsafe so that a reader thread may wake them too.
        waiter.get_loop().call_soon_threadsafe(resolve_waiter, waiter)


async def watch(
    lock: threading.RLock,
    watcher: asyncio.Future[None],
    within: float,
    registry: list[asyncio.Future[None]] | None,
) -> None:
    """Wait up to ``within`` seconds for ``watcher``, then take it out of ``registry``."""
    try:
        await asyncio.wait({watcher}, timeout=within)
    finally:
        watcher.cancel()
        with lock:
            if registry is not None and watcher in registry:
                registry.remove(watcher)
