"""Unit commands: /units to browse and search within your scope; CSV import and export for admins.

The officers' commands over the unit tree (bot/units/ holds the tree and knows no officers).

/units [CODE|NAME]   your unit and the units below it, one unit, or a search (officers, analysts,
                     admins); units outside the officer's scope are answered like missing ones
/importunits         an admin sends a CSV file; every row is checked before anything is written
/exportunits         the whole tree as a CSV file that /importunits reads back
"""

from __future__ import annotations

import logging
from typing import Final, TypeAlias

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from bot.kernel.i18n import N_, Translator
from bot.officers.access import ADMIN_ONLY, STAFF, Officer, officer_command, officer_message
from bot.officers.needs import UnitCommandsNeeds
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat
from bot.units.csvio import COLUMNS
from bot.units.lookup import MAX_QUERY_LENGTH, InputError, level_label, shown
from bot.units.model import Unit

log = logging.getLogger(__name__)

Context: TypeAlias = BotContext[UnitCommandsNeeds]

WAIT_FILE: Final = 0
IMPORT_TIMEOUT_SECONDS: Final = 600
# A whole country's communes fit in well under a megabyte of CSV.
MAX_UPLOAD_BYTES: Final = 2 * 1024 * 1024
MAX_ERRORS_SHOWN: Final = 30
MAX_SEARCH_RESULTS: Final = 20
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


def _unit_line(t: Translator, unit: Unit) -> str:
    line = t("units.show.child", code=unit.code, name=unit.name(t.language))
    level = level_label(t, unit.level)
    line += t("units.show.level", level=level)
    if not unit.active:
        line += t("units.show.retired")
    return line


async def _show_unit(update: Update, context: Context, t: Translator, unit: Unit) -> None:
    services = context.services
    path = " › ".join(
        ancestor.name(t.language) for ancestor in await services.units.ancestors(unit.id)
    )
    parts = [
        t(
            "units.show.title",
            name=unit.name(t.language),
            code=unit.code,
            level=level_label(t, unit.level),
        )
        + (t("units.show.retired") if not unit.active else ""),
        t("units.show.path", path=path),
    ]
    children = await services.units.children(unit.id)
    if children:
        parts.append(t("units.show.children", count=len(children)))
        parts.extend(_unit_line(t, child) for child in children)
    else:
        parts.append(t("units.show.none_below"))
    parts.append("")
    parts.append(t("units.show.hint"))
    await reply_in_chat(update, context, "\n".join(parts))


async def units_command(update: Update, context: Context, officer: Officer) -> object:
    """Show the officer's unit and those below it, one unit by code, or a search by name."""
    services = context.services
    t = context.t
    query = " ".join(context.args or [])
    if len(query) > MAX_QUERY_LENGTH:
        await reply_in_chat(update, context, t("units.error.too_long", limit=MAX_QUERY_LENGTH))
        return None
    root = officer.unit_id
    if not query:
        if root is not None:
            unit = await services.units.by_id(root)
            if unit is not None:
                await _show_unit(update, context, t, unit)
                return None
        roots = [unit for unit in await services.units.all() if unit.parent_id is None]
        if not roots:
            await reply_in_chat(update, context, t("units.empty"))
            return None
        if len(roots) == 1:
            await _show_unit(update, context, t, roots[0])
            return None
        lines = [t("units.roots.title", count=len(roots))]
        lines.extend(_unit_line(t, unit) for unit in roots)
        lines.extend(["", t("units.show.hint")])
        await reply_in_chat(update, context, "\n".join(lines))
        return None
    exact = await services.units.by_code(query)
    if exact is not None and officer.covers(exact.id):
        await _show_unit(update, context, t, exact)
        return None
    found = await services.units.search(
        query, limit=MAX_SEARCH_RESULTS, active_only=False, within=root
    )
    if len(found) == 1:
        await _show_unit(update, context, t, found[0])
        return None
    if not found:
        await reply_in_chat(
            update, context, InputError(N_("units.error.not_found"), query=shown(query)).text(t)
        )
        return None
    lines = [t("units.search.title", query=shown(query), count=len(found))]
    lines.extend(_unit_line(t, unit) for unit in found)
    await reply_in_chat(update, context, "\n".join(lines))
    return None


async def import_start(update: Update, context: Context, officer: Officer) -> object:
    """Ask the admin for the CSV file."""
    t = context.t
    await reply_in_chat(update, context, t("units.import.ask", columns=", ".join(COLUMNS)))
    return WAIT_FILE


async def import_file(update: Update, context: Context, officer: Officer) -> object:
    """Check the uploaded file; write it only if every row is valid."""
    services = context.services
    t = context.t
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return None
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        await reply_in_chat(
            update, context, t("units.import.too_big", limit=MAX_UPLOAD_BYTES // 1024)
        )
        return None
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > MAX_UPLOAD_BYTES:
        await reply_in_chat(
            update, context, t("units.import.too_big", limit=MAX_UPLOAD_BYTES // 1024)
        )
        return None
    plan = await services.units.import_csv(data, services.clock.now())
    if not plan.ok:
        lines = [t.plural("units.import.failed", len(plan.errors), count=len(plan.errors))]
        lines.extend(
            t("units.import.error_line", line=error.line, reason=error.plain(t))
            for error in plan.errors[:MAX_ERRORS_SHOWN]
        )
        if len(plan.errors) > MAX_ERRORS_SHOWN:
            lines.append(t("units.import.more", count=len(plan.errors) - MAX_ERRORS_SHOWN))
        lines.append(t("units.import.again"))
        await reply_in_chat(update, context, "\n".join(lines))
        return None
    log.info(
        "units imported by an admin: %d new, %d updated",
        plan.created,
        plan.updated,
    )
    await reply_in_chat(
        update, context, t("units.import.done", created=plan.created, updated=plan.updated)
    )
    return ConversationHandler.END


async def import_not_a_file(update: Update, context: Context, officer: Officer) -> object:
    """Remind the admin that the import waits for a file."""
    t = context.t
    await reply_in_chat(update, context, t("units.import.not_a_file"))
    return None


async def import_cancel(update: Update, context: Context) -> int:
    """Stop waiting for the file."""
    t = context.t
    await reply_in_chat(update, context, t("units.import.cancelled"))
    return ConversationHandler.END


async def export_units(update: Update, context: Context, officer: Officer) -> object:
    """Send the whole unit tree as a CSV file (UTF-8 with a BOM, so Excel reads the accents)."""
    services = context.services
    t = context.t
    chat = update.effective_chat
    if chat is None:
        return None
    count = await services.units.count()
    if count == 0:
        await reply_in_chat(update, context, t("units.empty"))
        return None
    text = await services.units.export_csv(bom=True)
    stamp = services.clock.now().astimezone(services.settings.zone).strftime("%Y%m%d")
    await context.bot.send_document(
        chat.id,
        document=text.encode("utf-8"),
        filename=f"units-{stamp}.csv",
        caption=t("units.export.caption", count=count),
    )
    return None


def handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the unit handlers; they go before the core fallbacks."""
    importing = ConversationHandler(
        entry_points=[
            officer_command(
                "importunits",
                import_start,
                roles=ADMIN_ONLY,
                description=N_("command.importunits"),
            )
        ],
        states={
            WAIT_FILE: [
                officer_message(PRIVATE & filters.Document.ALL, import_file, roles=ADMIN_ONLY),
                officer_message(
                    PRIVATE & ~filters.COMMAND & ~filters.Document.ALL,
                    import_not_a_file,
                    roles=ADMIN_ONLY,
                ),
            ]
        },
        fallbacks=[CommandHandler("cancel", import_cancel)],
        name="units.import",
        conversation_timeout=IMPORT_TIMEOUT_SECONDS,
    )
    return [
        officer_command("units", units_command, roles=STAFF, description=N_("command.units")),
        importing,
        officer_command(
            "exportunits", export_units, roles=ADMIN_ONLY, description=N_("command.exportunits")
        ),
    ]
