"""Triage's handlers in the lists `bot/app.py` adds (see the package docstring for where)."""

from __future__ import annotations

import warnings
from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.kernel.i18n import N_
from bot.officers.access import (
    ADMIN_ONLY,
    CASE_WORKERS,
    officer_callback,
    officer_command,
    officer_message,
)
from bot.ptb.context import BotContext
from bot.tips.render import CB_ADD
from bot.triage.handlers.addition import (
    ADDITION_TIMEOUT_SECONDS,
    WAIT_ADDITION,
    addition_cancel,
    addition_pressed,
    addition_sent,
)
from bot.triage.handlers.answer import (
    ANSWER_TIMEOUT_SECONDS,
    CB_PICK,
    WAIT_ANSWER,
    answer_cancel,
    answer_not_text,
    answer_picked,
    answer_pressed,
    answer_typed,
    answer_unprompted,
    answer_unprompted_not_text,
)
from bot.triage.handlers.ask import (
    ASK_TIMEOUT_SECONDS,
    WAIT_QUESTION,
    ask_cancel,
    ask_command,
    ask_pressed,
    question_not_text,
    question_typed,
)
from bot.triage.handlers.audit import audit_command, audit_pressed
from bot.triage.handlers.buttons import action_pressed
from bot.triage.handlers.commands import (
    assign_command,
    file_command,
    note_command,
    transfer_command,
    view_command,
)
from bot.triage.handlers.common import NOT_TEXT, PRIVATE, TEXT
from bot.triage.handlers.digest import overdue_command
from bot.triage.handlers.listing import list_command, list_pressed
from bot.triage.render import CB_ACTION, CB_ASK, CB_AUDIT, CB_LIST, CB_REPLY

# The guard's handlers (bot.officers.access) and triage's own, side by side.
Handler: TypeAlias = "BaseHandler[Update, BotContext[Any], object]"


def early_handlers() -> list[Handler]:
    """Return the officers' extension of a resident command, for a group before the features.

    "/tip CODE" opens a tip for an officer; for anyone else it falls through, untouched, to the
    resident "/tip" (send a tip) of the tips feature.
    """
    return [
        officer_command(
            "tip",
            view_command,
            roles=CASE_WORKERS,
            filters=PRIVATE & filters.Regex(r"^/tip(@\w+)?\s+\S"),
            fallthrough=True,
        )
    ]


def tipster_handlers() -> list[Handler]:
    """Return the tipster's answer flow; it goes after the tip conversation and the menu."""
    with warnings.catch_warnings():
        # per_message=False is deliberate: the answer follows the person, not one message.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        answering = ConversationHandler(
            entry_points=[CallbackQueryHandler(answer_pressed, pattern=f"^{CB_REPLY}")],
            states={
                WAIT_ANSWER: [
                    MessageHandler(TEXT, answer_typed),
                    MessageHandler(NOT_TEXT, answer_not_text),
                    CallbackQueryHandler(answer_pressed, pattern=f"^{CB_REPLY}"),
                ]
            },
            fallbacks=[CommandHandler("cancel", answer_cancel, filters=PRIVATE)],
            name="triage.answer",
            persistent=True,
            conversation_timeout=ANSWER_TIMEOUT_SECONDS,
        )
        # After the answer: an answer being typed keeps the messages (and the press is
        # refused meanwhile, bot.triage.handlers.addition).
        adding = ConversationHandler(
            entry_points=[CallbackQueryHandler(addition_pressed, pattern=f"^{CB_ADD}")],
            states={
                WAIT_ADDITION: [
                    MessageHandler(TEXT | NOT_TEXT, addition_sent),
                    CallbackQueryHandler(addition_pressed, pattern=f"^{CB_ADD}"),
                ]
            },
            fallbacks=[CommandHandler("cancel", addition_cancel, filters=PRIVATE)],
            name="triage.addition",
            persistent=True,
            conversation_timeout=ADDITION_TIMEOUT_SECONDS,
        )
    return [answering, adding]


def tipster_fallbacks() -> list[Handler]:
    """Return a resident's messages outside every conversation taken as answers, and the pick
    of a question; they go just before the core fallbacks, which answer when no question waits.
    """
    return [
        MessageHandler(TEXT, answer_unprompted),
        # A file answers an open question first; else a file or a location may start a tip.
        MessageHandler(NOT_TEXT, answer_unprompted_not_text),
        CallbackQueryHandler(answer_picked, pattern=f"^{CB_PICK}"),
    ]


def handlers() -> list[Handler]:
    """Return the officers' triage handlers, to be added before the core fallbacks."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        asking: ConversationHandler[BotContext[Any]] = ConversationHandler(
            entry_points=[officer_callback(f"^{CB_ASK}", ask_pressed, roles=CASE_WORKERS)],
            states={
                WAIT_QUESTION: [
                    officer_message(TEXT, question_typed, roles=CASE_WORKERS),
                    officer_message(NOT_TEXT, question_not_text, roles=CASE_WORKERS),
                ]
            },
            fallbacks=[CommandHandler("cancel", ask_cancel, filters=PRIVATE)],
            name="triage.ask",
            # The button is pressed in the officers' group, the question typed in private.
            per_chat=False,
            # "Ask" pressed on another card while typing a question switches to that tip.
            allow_reentry=True,
            conversation_timeout=ASK_TIMEOUT_SECONDS,
        )
    return [
        asking,
        officer_command("tips", list_command, description=N_("command.tips")),
        officer_command("assign", assign_command, description=N_("command.assign")),
        officer_command("note", note_command, description=N_("command.note")),
        officer_command("transfer", transfer_command, description=N_("command.transfer")),
        officer_command("ask", ask_command, description=N_("command.ask")),
        officer_command("overdue", overdue_command, description=N_("command.overdue")),
        officer_command("file", file_command, description=N_("command.file")),
        officer_command("audit", audit_command, roles=ADMIN_ONLY, description=N_("command.audit")),
        officer_callback(f"^{CB_ACTION}", action_pressed, roles=CASE_WORKERS),
        officer_callback(f"^{CB_LIST}", list_pressed, roles=CASE_WORKERS),
        officer_callback(f"^{CB_AUDIT}", audit_pressed, roles=ADMIN_ONLY),
    ]
