"""Updates: the queue that getUpdates long-polls, confirmations by offset, and the webhook."""

import asyncio
import copy
import threading
from collections.abc import Callable

from bot.testing.botapi.model import JSONDict
from bot.testing.botapi.params import ApiFailure, MethodTable, Params, bad_request
from bot.testing.botapi.waiting import wake_all

METHODS = MethodTable()


class UpdateQueue:
    """The updates Telegram holds for the bot until an offset (or a webhook 200) confirms them."""

    def __init__(self, lock: threading.RLock, counting: Callable[[], bool]) -> None:
        self._lock = lock
        # Whether deliveries are counted: inspection, like the recorded calls.
        self._counting = counting
        self._updates: list[JSONDict] = []
        # update_id -> how many getUpdates answers carried it (Telegram redelivers after crashes);
        # kept only while calls are recorded.
        self._deliveries: dict[int, int] = {}
        self._holding = False
        self._next_update_id = 1
        self._last_queued_update_id = 0
        self._allowed_updates: list[str] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._webhook: JSONDict | None = None

    def allocate_update_id(self) -> int:
        """Reserve the next update_id."""
        with self._lock:
            update_id = max(self._next_update_id, self._last_queued_update_id + 1)
            self._next_update_id = update_id + 1
            return update_id

    def queue(self, data: JSONDict) -> int:
        """Queue an update's JSON, waking long polls, and return its update_id.

        A missing or stale update_id is replaced, so that offsets keep working.
        """
        with self._lock:
            update_id = data.get("update_id")
            if not isinstance(update_id, int) or update_id <= self._last_queued_update_id:
                update_id = self.allocate_update_id()
            data["update_id"] = update_id
            self._last_queued_update_id = update_id
            self._next_update_id = max(self._next_update_id, update_id + 1)
            self._updates.append(data)
            waiters, self._waiters = self._waiters, []
            wake_all(waiters)
        return update_id

    def pending_updates(self) -> list[JSONDict]:
        """Return the queued updates that getUpdates has not confirmed yet."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def confirm_updates(self, offset: int) -> None:
        """Forget queued updates below ``offset``, as a getUpdates offset or a webhook 200 does."""
        with self._lock:
            self._confirm_updates(offset)

    def hold_confirmations(self, hold: bool = True) -> None:
        """Make getUpdates offsets confirm nothing while held (``False`` ends it).

        As if the bot's acknowledgements never reached Telegram because it was killed before
        its next poll: the polling bot still pages forward, but a restarted bot, which starts
        without an offset, gets every update of the held time again, handled or not.
        """
        with self._lock:
            self._holding = hold

    def deliveries(self, update_id: int) -> int:
        """Return how many getUpdates answers carried an update."""
        with self._lock:
            return self._deliveries.get(update_id, 0)

    def redelivered(self) -> list[int]:
        """Return the ids of the updates that getUpdates delivered more than once."""
        with self._lock:
            return sorted(uid for uid, times in self._deliveries.items() if times > 1)

    def pending_update_count(self) -> int:
        """Return how many queued updates getUpdates has not confirmed yet (no copies)."""
        with self._lock:
            return len(self._updates)

    @property
    def webhook_url(self) -> str:
        """Return the URL set with setWebhook, or "" when polling."""
        with self._lock:
            return str(self._webhook["url"]) if self._webhook else ""

    async def get_updates(self, p: Params) -> list[JSONDict]:
        """Answer getUpdates: confirm by offset, then long-poll up to ``timeout`` for a batch."""
        offset = p.get_int("offset")
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        timeout = max(p.get_float("timeout") or 0.0, 0.0)
        allowed = p.get_json("allowed_updates")
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._webhook is not None:
                raise ApiFailure(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed] or None
            floor = 0
            if self._holding:
                # The acknowledgement "never arrives": the poller moves on, nothing is dropped.
                floor = offset if offset is not None and offset > 0 else 0
            else:
                self._confirm_updates(offset)
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                batch = self._take_batch(limit, floor)
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                waiter.cancel()

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _take_batch(self, limit: int, floor: int = 0) -> list[JSONDict]:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            # Telegram never produces disallowed kinds, so they are dropped for good.
            self._updates = [
                u for u in self._updates if any(k in allowed for k in u if k != "update_id")
            ]
        batch = [u for u in self._updates if u["update_id"] >= floor][:limit]
        if self._counting():  # inspection, like `calls`: off for the benchmarks' long runs
            for update in batch:
                update_id = update["update_id"]
                self._deliveries[update_id] = self._deliveries.get(update_id, 0) + 1
        return copy.deepcopy(batch)

    @METHODS.method("setWebhook")
    def set_webhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = p.get_json("allowed_updates")
        self._webhook = {"url": url, "allowed_updates": allowed}
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @METHODS.method("deleteWebhook")
    def delete_webhook(self, p: Params) -> bool:
        self._webhook = None
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @METHODS.method("getWebhookInfo")
    def get_webhook_info(self, p: Params) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook and isinstance(self._webhook.get("allowed_updates"), list):
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info
