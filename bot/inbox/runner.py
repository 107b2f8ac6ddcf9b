"""`python -m bot run`: a start-up that waits out the network, then updates into the inbox.

Why not python-telegram-bot's `run_polling`/`run_webhook`: its Updater confirms a getUpdates
batch (the next call's offset) as soon as the batch is in the update queue, and its webhook
answers 200 before the update is handled; a crash then loses what was confirmed but not yet
handled. Here the application is started with its public lifecycle (`initialize`, `start`,
`stop`, `shutdown`) and fed through its public `update_queue`; what is different is only
*when* Telegram is told: after `Inbox.store` has committed the update.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final
from urllib.parse import urlparse

from telegram import Update
from telegram.error import (
    BadRequest,
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.kernel.config import Settings
from bot.ptb.application import TipsApplication

log = logging.getLogger(__name__)

# Long-poll wait per getUpdates call (seconds): Telegram answers at once when updates wait.
POLL_TIMEOUT: Final = 10
# Waits between attempts when the Bot API cannot be reached: 1, 2, 4, ... up to a minute.
_FIRST_WAIT: Final = 1.0
_LONGEST_WAIT: Final = 60.0
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"


class StartupError(Exception):
    """The bot cannot run: one line for the operator, and whether it is configuration."""

    def __init__(self, message: str, *, config: bool = False) -> None:
        super().__init__(message)
        self.config = config


class _StoppingError(Exception):
    """SIGTERM or SIGINT came while waiting to try the Bot API again."""


def _wait(attempt: int) -> float:
    return float(min(_FIRST_WAIT * 2 ** min(attempt - 1, 10), _LONGEST_WAIT))


def _fatal(error: TelegramError, base_url: str) -> StartupError | None:
    """Return the one line for an error that waiting cannot cure, or None."""
    if isinstance(error, InvalidToken):
        return StartupError(
            f"TELEGRAM_BOT_TOKEN: Telegram rejected the token ({error})", config=True
        )
    if isinstance(error, Conflict):
        return StartupError(
            f"another process is receiving this bot's updates ({error}); stop it, or run only "
            "one bot per token"
        )
    if isinstance(error, BadRequest):
        return StartupError(f"the Bot API at {base_url} refused a request: {error}")
    return None


class Runner:
    """Run one application until SIGTERM/SIGINT: start-up, recovery, updates in, shutdown."""

    def __init__(self, application: TipsApplication[Any], settings: Settings) -> None:
        self.application = application
        self.settings = settings
        self.inbox = application.services.inbox
        self.stopping = asyncio.Event()

    # ------------------------------------------------------------ network-tolerant calls

    async def _patiently(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run `call` until it succeeds, waiting out network failures (one log line each)."""
        limit = self.settings.startup_max_attempts
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except RetryAfter as error:
                delay = _retry_seconds(error)
                log.warning("%s: Telegram asks to wait %.0f s", what, delay)
            except NetworkError as error:
                fatal = _fatal(error, self.settings.telegram_api_base_url)
                if fatal is not None:
                    raise fatal from None
                if limit and attempt >= limit:
                    raise StartupError(
                        f"TELEGRAM_API_BASE_URL: cannot reach the Bot API at "
                        f"{self.settings.telegram_api_base_url} after {attempt} attempts ({error})"
                    ) from None
                delay = _wait(attempt)
                log.warning(
                    "%s: cannot reach the Bot API at %s (%s); trying again in %.0f s (attempt %d)",
                    what,
                    self.settings.telegram_api_base_url,
                    error,
                    delay,
                    attempt,
                )
            except InvalidToken as error:
                raise _fatal(error, self.settings.telegram_api_base_url) or error from None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            if self.stopping.is_set():
                raise _StoppingError

    # ------------------------------------------------------------ the whole run

    async def run(self) -> None:
        """Start, take updates until told to stop, then stop cleanly."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stopping.set)
        try:
            await self._patiently("start-up", self.application.initialize)
        except _StoppingError:
            return
        try:
            await self.application.start()
            # What the last run left unfinished goes first, before any new update is fetched.
            for update in await self.inbox.recover(self.application.bot):
                await self.application.update_queue.put(update)
            source = self._webhook() if self.settings.bot_mode == "webhook" else self._poll()
            receiving = asyncio.create_task(source)
            stopping = asyncio.create_task(self.stopping.wait())
            done, _pending = await asyncio.wait(
                {receiving, stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            stopping.cancel()
            if receiving in done:
                # A fatal error (409, 401) stops the bot with its line; told to stop while
                # waiting for the Bot API is a clean stop.
                with contextlib.suppress(_StoppingError):
                    receiving.result()
            else:
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receiving
        finally:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()

    async def accept(self, updates: Sequence[Update]) -> None:
        """Store updates (committed), then queue the new ones: only then may Telegram know."""
        for update in await self.inbox.store(updates):
            await self.application.update_queue.put(update)

    # ------------------------------------------------------------ polling

    async def _poll(self) -> None:
        bot = self.application.bot
        # A webhook left set by an earlier run would make getUpdates refuse (409).
        await self._patiently("deleteWebhook", bot.delete_webhook)
        log.info("polling the Bot API for updates")
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES
                )
                failures = 0
            except RetryAfter as error:
                await asyncio.sleep(_retry_seconds(error))
                continue
            except TelegramError as error:
                fatal = _fatal(error, self.settings.telegram_api_base_url)
                if fatal is not None:
                    raise fatal from None
                failures += 1
                delay = _wait(failures)
                log.warning("getUpdates failed (%s); trying again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                continue
            if not updates:
                continue
            await self._store_until_done(updates)
            # Only now: the next call's offset confirms this batch to Telegram.
            offset = updates[-1].update_id + 1

    async def _store_until_done(self, updates: Sequence[Update]) -> None:
        attempt = 0
        while True:
            try:
                await self.accept(updates)
                return
            except Exception:
                # Not stored, so not confirmed: Telegram keeps the batch. Try again.
                attempt += 1
                log.exception("could not store %d updates; trying again", len(updates))
                await asyncio.sleep(_wait(attempt))

    # ------------------------------------------------------------ webhook

    async def _webhook(self) -> None:
        settings = self.settings
        assert settings.webhook_url is not None  # guaranteed by Settings' validator
        assert settings.webhook_secret is not None
        secret = settings.webhook_secret.get_secret_value()
        path = "/" + _url_path(settings.webhook_url)
        web = WebApplication([(path, WebhookHandler, {"runner": self, "secret": secret})])
        server = HTTPServer(web)
        server.listen(settings.webhook_port, address=settings.webhook_listen)
        try:
            await self._patiently(
                "setWebhook",
                lambda: self.application.bot.set_webhook(
                    url=settings.webhook_url or "",
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                    max_connections=min(max(settings.concurrent_updates, 1), 100),
                ),
            )
            log.info(
                "listening for webhook updates on %s:%d%s",
                settings.webhook_listen,
                settings.webhook_port,
                path,
            )
            await asyncio.Event().wait()
        finally:
            server.stop()
            await server.close_all_connections()


def _retry_seconds(error: RetryAfter) -> float:
    after = error.retry_after
    return float(after) if isinstance(after, int | float) else after.total_seconds()


def _url_path(url: str) -> str:
    return urlparse(url).path.lstrip("/")


class WebhookHandler(RequestHandler):
    """Take one update from Telegram: 200 only once it is stored."""

    def initialize(self, runner: Runner, secret: str) -> None:  # tornado's per-request set-up
        """Keep the runner and the secret Telegram must send."""
        self.runner = runner
        self.secret = secret

    async def post(self) -> None:
        """Check the secret, store the update, answer 200 (anything else: Telegram retries)."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.runner.application.bot)
        except Exception:
            # Not an update (malformed JSON, or not the Bot API's shape): nothing to store.
            log.warning("webhook: a post that is not an update was refused")
            self.set_status(400)
            return
        try:
            await self.runner.accept([update])
        except Exception:
            log.exception("could not store update %d; Telegram sends it again", update.update_id)
            self.set_status(500)
            return
        self.set_status(200)
