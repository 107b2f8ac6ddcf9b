"""/import: a CSV or XLSX file of figures, every row written or none."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from telegram import Update
from telegram.ext import ConversationHandler

from bot.figures._access import Officer
from bot.figures.handlers.common import (
    MAX_LISTED_PROBLEMS,
    WAIT_FILE,
    scope_of,
    service_of,
    today,
)
from bot.figures.importer import MAX_FILE_BYTES, FileError, parse_file
from bot.figures.needs import Context
from bot.figures.problems import RowProblem
from bot.kernel.i18n import Translator
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answer_refusal


async def import_command(update: Update, context: Context, officer: Officer) -> object:
    """Ask for the CSV or XLSX file to import."""
    t = context.t
    await reply_in_chat(update, context, t("figures.import.send_file"))
    return WAIT_FILE


async def import_file(update: Update, context: Context, officer: Officer) -> object:
    """Validate a sent file row by row; write every row or none, and say which rows are bad."""
    t = context.t
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        await reply_in_chat(update, context, t("figures.import.send_file"))
        return WAIT_FILE
    name = document.file_name or "file"
    if not name.lower().endswith((".csv", ".xlsx", ".txt")):
        await reply_in_chat(update, context, t("figures.import.unsupported"))
        return WAIT_FILE
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await reply_in_chat(
            update,
            context,
            t("figures.import.too_big", limit=str(MAX_FILE_BYTES // (1024 * 1024))),
        )
        return ConversationHandler.END
    telegram_file = await document.get_file()
    content = bytes(await telegram_file.download_as_bytearray())
    try:
        parsed = await asyncio.to_thread(parse_file, name, content)
    except FileError as error:
        await answer_refusal(update, context, error.problem)
        return ConversationHandler.END
    if parsed.problems:
        await reply_in_chat(update, context, _problems_text(t, name, parsed.problems))
        return ConversationHandler.END
    digest = hashlib.sha256(content).hexdigest()[:12]
    result = await service_of(context).import_rows(
        parsed.rows,
        scope=scope_of(officer),
        by=f"tg:{officer.user_id}",
        source=f"import:{name[:100]}#{digest}",
        default_reason=t.label("figures.import.reason", file=name[:100]),
        today=today(context),
    )
    if not result.ok:
        await reply_in_chat(update, context, _problems_text(t, name, result.problems))
        return ConversationHandler.END
    summary = t(
        "figures.import.done",
        file=name,
        rows=t.number(result.rows),
        created=t.number(result.created),
        corrected=t.number(result.corrected),
        unchanged=t.number(result.unchanged),
    )
    if parsed.ignored_columns:
        summary += "\n" + t("figures.import.ignored", columns=", ".join(parsed.ignored_columns))
    await reply_in_chat(update, context, summary)
    return ConversationHandler.END


def _problems_text(t: Translator, name: str, problems: Sequence[RowProblem]) -> str:
    parts = [
        t.plural("figures.import.rejected", len(problems), file=name, count=t.number(len(problems)))
    ]
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        reason = problem.problem.text(t)
        if problem.line and problem.column:
            parts.append(
                t("figures.import.problem", line=problem.line, column=problem.column) + " " + reason
            )
        elif problem.line:
            parts.append(t("figures.import.problem_line", line=problem.line) + " " + reason)
        else:
            parts.append(reason)
    if len(problems) > MAX_LISTED_PROBLEMS:
        parts.append(t("figures.more", count=t.number(len(problems) - MAX_LISTED_PROBLEMS)))
    return "\n".join(parts)


async def import_waiting(update: Update, context: Context, officer: Officer) -> object:
    """Answer anything but a document while the import waits for its file."""
    t = context.t
    await reply_in_chat(update, context, t("figures.import.send_file"))
    return WAIT_FILE
