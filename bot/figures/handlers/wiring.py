"""The figures handlers, in order: /record and /import conversations, then the commands."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, filters
from telegram.warnings import PTBUserWarning

from bot.figures._access import (
    ADMINS,
    READERS,
    WRITERS,
    Handler,
    officer_callback,
    officer_command,
    officer_message,
)
from bot.figures.handlers.common import (
    ASK_INDICATOR,
    ASK_PERIOD,
    ASK_REASON,
    ASK_UNIT,
    ASK_VALUE,
    BREAKDOWN,
    EXPORT,
    PRIVATE,
    RECORD,
    WAIT_FILE,
)
from bot.figures.handlers.export import export_command, export_pressed
from bot.figures.handlers.figures import (
    add_indicator_command,
    breakdown_pressed,
    figures_command,
    indicators_command,
)
from bot.figures.handlers.imports import import_command, import_file, import_waiting
from bot.figures.handlers.record import (
    cancel,
    reason_not_text,
    record_button,
    record_command,
    record_not_text,
    record_reason,
    record_text,
)
from bot.figures.handlers.report import report_command
from bot.figures.handlers.stats import stats_command
from bot.figures.needs import Context
from bot.kernel.i18n import N_

SPREADSHEET = filters.Document.FileExtension("csv") | filters.Document.FileExtension("xlsx")
TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND
NOT_TEXT = PRIVATE & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL


def _conversation(
    name: str,
    entry_points: list[Handler],
    states: dict[object, list[Handler]],
) -> ConversationHandler[Context]:
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat rather than per message; that is
        # what these short, one-at-a-time dialogues want.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
            allow_reentry=True,
            name=name,
            conversation_timeout=timedelta(minutes=30),
        )


def _typed(callback: Any) -> list[Handler]:
    return [
        officer_message(TEXT, callback, roles=WRITERS),
        officer_message(NOT_TEXT, record_not_text, roles=WRITERS),
    ]


def _record_conversation() -> ConversationHandler[Context]:
    return _conversation(
        "figures.record",
        [
            officer_command(
                "record",
                record_command,
                roles=WRITERS,
                description=N_("figures.command.record"),
            )
        ],
        {
            ASK_INDICATOR: [
                officer_callback(f"^{RECORD}:[ip]:", record_button, roles=WRITERS),
                *_typed(record_text),
            ],
            ASK_VALUE: _typed(record_text),
            ASK_UNIT: [
                officer_callback(f"^{RECORD}:u:", record_button, roles=WRITERS),
                *_typed(record_text),
            ],
            ASK_PERIOD: [
                officer_callback(f"^{RECORD}:t:", record_button, roles=WRITERS),
                *_typed(record_text),
            ],
            ASK_REASON: [
                officer_message(TEXT, record_reason, roles=WRITERS),
                officer_message(NOT_TEXT, reason_not_text, roles=WRITERS),
            ],
        },
    )


def _import_conversation() -> ConversationHandler[Context]:
    return _conversation(
        "figures.import",
        [
            officer_command(
                "import",
                import_command,
                roles=WRITERS,
                description=N_("figures.command.import"),
            )
        ],
        {
            WAIT_FILE: [
                officer_message(PRIVATE & filters.Document.ALL, import_file, roles=WRITERS),
                officer_message(
                    PRIVATE & ~filters.COMMAND & ~filters.Document.ALL,
                    import_waiting,
                    roles=WRITERS,
                ),
            ],
        },
    )


def figures_handlers() -> list[Handler]:
    """Return the figures handlers, in order; add them before the core fallbacks.

    The bare-spreadsheet handler comes last among them, and the figures line in `bot.app`
    after any feature whose conversation waits for a document (unit imports, tips), so that
    such a conversation gets its file first.
    """
    return [
        _record_conversation(),
        _import_conversation(),
        officer_command(
            "figures", figures_command, roles=READERS, description=N_("figures.command.figures")
        ),
        officer_command(
            "report", report_command, roles=READERS, description=N_("figures.command.report")
        ),
        officer_command(
            "stats", stats_command, roles=READERS, description=N_("figures.command.stats")
        ),
        officer_command(
            "export", export_command, roles=WRITERS, description=N_("figures.command.export")
        ),
        officer_command(
            "indicators",
            indicators_command,
            roles=READERS,
            description=N_("figures.command.indicators"),
        ),
        officer_command(
            "add_indicator",
            add_indicator_command,
            roles=ADMINS,
            description=N_("figures.command.add_indicator"),
        ),
        officer_callback(f"^{BREAKDOWN}:", breakdown_pressed, roles=READERS),
        officer_callback(f"^{EXPORT}:", export_pressed, roles=WRITERS),
        officer_message(
            PRIVATE & filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?\b"),
            import_file,
            roles=WRITERS,
        ),
        officer_message(PRIVATE & SPREADSHEET, import_file, roles=WRITERS),
    ]
