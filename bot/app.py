"""The one application factory: `python -m bot` and every test build the bot here."""

from __future__ import annotations

from typing import cast

from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults, MessageHandler, filters
from telegram.request import BaseRequest

from bot.application import TipsApplication
from bot.clock import Clock
from bot.config import Settings
from bot.core import handlers as core
from bot.errors import on_error
from bot.maintenance.jobs import schedule_backups
from bot.services import Services

# Handler groups, in the order python-telegram-bot consults them for each update. Within a
# group the first matching handler wins, so catch-alls go last in FEATURES.
FEATURES = 0


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    clock: Clock | None = None,
) -> TipsApplication:
    """Build the bot: services, Telegram client, handlers in their deliberate order."""
    services = Services(settings, clock=clock)
    builder = (
        ApplicationBuilder()
        .application_class(TipsApplication, kwargs={"services": services})
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
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
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = cast(TipsApplication, builder.build())

    services.menu.add("menu.help", core.help_command, order=80)
    services.menu.add("menu.language", core.language_command, order=90)

    application.add_handlers(core.handlers(), group=FEATURES)
    # Menu buttons are plain text messages; they must be matched before the catch-all below.
    application.add_handler(
        MessageHandler(
            core.PRIVATE & filters.Text(sorted(services.menu.labels())),
            core.menu_button,
        ),
        group=FEATURES,
    )
    application.add_handlers(core.fallbacks(), group=FEATURES)
    application.add_error_handler(on_error)
    schedule_backups(application)
    return application
