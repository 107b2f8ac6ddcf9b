"""Telegram's side of a webhook, for tests: post each queued update until the bot answers 200.

Telegram keeps an update until the webhook answers it with a 2xx, and posts it again after a
failure (a refused connection, a timeout, a 5xx); several updates may be in flight at once, up
to the webhook's `max_connections`. `WebhookPusher` does that over loopback HTTP with the
in-memory Bot API's queue of updates, so a test can kill the bot mid-post and see every update
arrive after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Any

import httpx

from bot.testing.botapi import InMemoryBotApi

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_RETRY_SECONDS = 0.2
_LOOK_SECONDS = 0.01


class WebhookPusher:
    """Post the API's queued updates to a webhook URL until each one gets a 200."""

    def __init__(
        self, api: InMemoryBotApi, url: str, secret: str, *, max_connections: int = 40
    ) -> None:
        self.api = api
        self.url = url
        self.secret = secret
        self.max_connections = max_connections
        self.posts = 0
        self.failed_posts = 0
        self.acknowledged: set[int] = set()
        self._in_flight: set[int] = set()
        self._runner: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> WebhookPusher:
        # No proxy from the environment: the webhook is on 127.0.0.1.
        self._client = httpx.AsyncClient(timeout=10, trust_env=False)
        self._runner = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        posting: set[asyncio.Task[None]] = set()
        try:
            while True:
                pending = self.api.pending_updates()
                for update in pending:
                    update_id = int(update["update_id"])
                    if update_id in self._in_flight or update_id in self.acknowledged:
                        continue
                    if len(self._in_flight) >= self.max_connections:
                        break
                    self._in_flight.add(update_id)
                    task = asyncio.create_task(self._post(update_id, update))
                    posting.add(task)
                    task.add_done_callback(posting.discard)
                # Confirmed up to the first update still waiting for its 200.
                waiting = [
                    int(u["update_id"])
                    for u in pending
                    if int(u["update_id"]) not in self.acknowledged
                ]
                if pending:
                    self.api.confirm_updates(
                        min(waiting) if waiting else int(pending[-1]["update_id"]) + 1
                    )
                await asyncio.sleep(_LOOK_SECONDS)
        finally:
            for task in posting:
                task.cancel()

    async def _post(self, update_id: int, update: dict[str, Any]) -> None:
        assert self._client is not None
        self.posts += 1
        try:
            response = await self._client.post(
                self.url,
                content=json.dumps(update),
                headers={"Content-Type": "application/json", _SECRET_HEADER: self.secret},
            )
            if response.status_code == 200:
                self.acknowledged.add(update_id)
                return
            self.failed_posts += 1
            await asyncio.sleep(_RETRY_SECONDS)
        except httpx.HTTPError:
            self.failed_posts += 1
            await asyncio.sleep(_RETRY_SECONDS)
        finally:
            self._in_flight.discard(update_id)
