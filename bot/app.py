"""The one application factory: `python -m bot` and every test build the bot here."""

from __future__ import annotations

from typing import Any, cast

import aiosqlite
from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults, MessageHandler, filters
from telegram.request import BaseRequest, HTTPXRequest

from bot.audit.jobs import schedule_anchors
from bot.container import Container
from bot.core import handlers as core
from bot.figures.handlers import figures_handlers
from bot.inbox.service import ParkAlert
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import N_
from bot.maintenance import deadletters
from bot.maintenance.inbox_jobs import schedule_inbox_pruning
from bot.maintenance.jobs import schedule_backups
from bot.maintenance.retention import schedule_retention
from bot.officers import handlers as officers
from bot.officers import help as staff_help
from bot.officers import unit_commands as units
from bot.outbox.jobs import schedule_outbox
from bot.ptb.application import CONTEXT_TYPES, TipsApplication
from bot.ptb.concurrency import ConcurrentUpdates, MakeProcessor
from bot.ptb.errors import on_error
from bot.ptb.persistence import flush_after_update
from bot.tips import handlers as tips
from bot.triage import handlers as triage

# Handler groups, in the order python-telegram-bot consults them for each update. Within a
# group the first matching handler wins, so catch-alls go last in FEATURES.
# GUARDS run first and may stop an update (flood protection); PERSISTENCE runs last, after
# conversations have moved to their new state.
GUARDS = -10
# Before core's /start, and never stopping it: an officer added before they ever opened the bot
# gets the notice that waited for them (bot.officers), then the welcome.
WAITING_NOTICES = -5
# Officers' extensions of resident commands ("/tip CODE", bot.triage): for an officer the update
# stops there; for anyone else it falls through, untouched, to the resident command.
OFFICER_EXTENSIONS = -1
FEATURES = 0
PERSISTENCE = 100

# The builder as python-telegram-bot types it, before build() fixes its parameters.
AnyBuilder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


def _parked_alert(services: Container) -> ParkAlert:
    """Return what tells the administrators, in the parking transaction, of a parked update."""

    async def alert(conn: aiosqlite.Connection, update_id: int, error: str) -> None:
        await services.outbox.alert_admins_in(
            conn,
            N_("alerts.inbox_parked"),
            services.clock.now(),
            update=update_id,
            attempts=services.settings.inbox_max_attempts,
            error=error,
        )

    return alert


def _shared_request(request: BaseRequest | None) -> BaseRequest:
    """Return the bot's request: the given one, else the one python-telegram-bot would build
    itself (a pool of 256), made here so the outbox's plain bot shares its connection pool."""
    return request if request is not None else HTTPXRequest(connection_pool_size=256)


def _outbox_bot(settings: Settings, request: BaseRequest) -> Bot:
    """Return the outbox's own bot: the same token and connection pool, no rate limiter."""
    return Bot(
        token=settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        request=request,
        get_updates_request=request,
    )


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    clock: Clock | None = None,
    processor: MakeProcessor = ConcurrentUpdates,
) -> TipsApplication[Container]:
    """Build the bot: services, Telegram client, handlers in their deliberate order."""
    shared = _shared_request(request)
    services = Container(settings, clock=clock, outbox_bot=_outbox_bot(settings, shared))
    builder = _builder(settings, services, shared)
    if request is not None:
        builder = builder.get_updates_request(request)
    # Always our processor: it keeps each person's updates in order and runs every update
    # taken from the durable inbox inside its turn (bot.inbox), even one at a time.
    # (`processor`: the benchmarks time updates with their own, built the same way.)
    builder = builder.concurrent_updates(
        processor(settings.concurrent_updates, around=services.inbox.run)
    )
    application = cast(TipsApplication[Container], builder.build())
    services.inbox.attach(application.process_update, on_park=_parked_alert(services))
    _add_menu(services)
    _add_handlers(application, services)
    application.startup_hooks.append(officers.on_startup)
    application.add_error_handler(on_error)
    _schedule_jobs(application, services)
    application.add_handler(flush_after_update(), group=PERSISTENCE)
    return application


def _builder(settings: Settings, services: Container, request: BaseRequest) -> AnyBuilder:
    """Return python-telegram-bot's builder with our application, context, limits and state."""
    return (
        ApplicationBuilder()
        .application_class(TipsApplication, kwargs={"services": services})
        .context_types(CONTEXT_TYPES)
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .request(request)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.zone))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.rate_limit_per_second,
                overall_time_period=1,
                group_max_rate=settings.rate_limit_group_per_minute,
                group_time_period=60,
                # A 429 is waited out and retried rather than surfacing to the handler.
                max_retries=3,
            )
        )
        # Conversation states in SQLite (sealed keys), so a restart resumes every resident.
        .persistence(tips.persistence(services.db, services.keyring, services.clock))
    )


def _add_menu(services: Container) -> None:
    """The main menu's buttons, in the order residents see them."""
    services.menu.add("tips.menu.send", tips.send_from_menu, order=10)
    services.menu.add("tips.menu.mine", tips.my_tips, order=20)
    services.menu.add("menu.help", core.help_command, order=80)
    services.menu.add("menu.language", core.language_command, order=90)
    # Officers, analysts and admins get their role's keyboard instead (bot.officers.help).
    for role, buttons in staff_help.KEYBOARDS.items():
        audience = frozenset({role})
        for order, (key, command) in enumerate(buttons):
            services.menu.add(
                key, staff_help.command_button(command), order=order, audiences=audience
            )
        services.menu.add("menu.help", staff_help.help_button(), order=80, audiences=audience)
        services.menu.add("menu.language", core.language_command, order=90, audiences=audience)


def _add_handlers(application: TipsApplication[Container], services: Container) -> None:
    """Every handler, in the order python-telegram-bot must consult them."""
    application.add_handler(tips.flood_guard(services.clock.monotonic), group=GUARDS)
    application.add_handlers(officers.start_handlers(), group=WAITING_NOTICES)
    application.add_handlers(triage.early_handlers(), group=OFFICER_EXTENSIONS)
    # The staff's /help (private and officers' groups) and "/start help_NAME", the deep link an
    # officers' group points to; a resident falls through to the core's.
    application.add_handlers(staff_help.early_handlers(), group=OFFICER_EXTENSIONS)
    # The tip conversation comes before core: it owns "/start tip" (plain /start falls through
    # to core) and the menu's "Send a tip", and during a draft it takes the resident's messages.
    application.add_handlers(tips.handlers(), group=FEATURES)
    application.add_handlers(core.handlers(), group=FEATURES)
    # Menu buttons are plain text messages; they must be matched before the catch-all below.
    application.add_handler(
        MessageHandler(
            core.PRIVATE & filters.Text(sorted(services.menu.labels())),
            core.menu_button,
        ),
        group=FEATURES,
    )
    # A tipster answering an officer's question: after the tip conversation (a draft in progress
    # keeps the resident's messages) and after the menu buttons (which stay navigation).
    application.add_handlers(triage.tipster_handlers(), group=FEATURES)
    # Officers and units: every handler guarded (bot.officers.access). The /addofficer and
    # /importunits conversations must come before resident catch-alls, which would
    # otherwise take the forward or the file they wait for.
    application.add_handlers(officers.handlers(), group=FEATURES)
    application.add_handlers(units.handlers(), group=FEATURES)
    # Figures after units: its bare .csv/.xlsx handler must not take /importunits' file.
    application.add_handlers(figures_handlers(), group=FEATURES)
    # Triage: officers' commands, card buttons and the "Ask the tipster" conversation.
    application.add_handlers(triage.handlers(), group=FEATURES)
    # Admins' view of the outbox's dead letters (guarded like the officers' commands).
    application.add_handlers(deadletters.handlers(), group=FEATURES)
    # A resident's message no feature took answers an officer's question when one waits.
    application.add_handlers(triage.tipster_fallbacks(), group=FEATURES)
    application.add_handlers(core.fallbacks(), group=FEATURES)


def _schedule_jobs(application: TipsApplication[Container], services: Container) -> None:
    """Every periodic job: backups, anchors, inbox pruning, retention, outbox, tips, triage."""
    schedule_backups(application)
    schedule_anchors(application)
    schedule_inbox_pruning(application)
    schedule_retention(application)
    schedule_outbox(
        application.job_queue, services.deliverer, services.settings.outbox_interval_seconds
    )
    tips.schedule_jobs(application)
    triage.register(application)
