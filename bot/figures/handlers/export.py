"""/export: the tips of the officer's scope as CSV or XLSX, never a story or a tipster."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.figures._access import Officer
from bot.figures.handlers.args import command_query
from bot.figures.handlers.common import EXPORT, file_stem, scope_of, service_of
from bot.figures.needs import Context
from bot.figures.render import period_text
from bot.kernel.i18n import N_
from bot.kernel.periods import Period, PeriodError, parse_period
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals
from bot.units.names import in_sentence


@answers_refusals
async def export_command(update: Update, context: Context, officer: Officer) -> None:
    """Export the tips of the officer's scope as CSV or XLSX (asks which when not given)."""
    t = context.t
    parsed = await command_query(
        update,
        context,
        officer,
        N_("figures.usage.export"),
        indicators=False,
        words=("csv", "xlsx"),
    )
    if not parsed.words:
        base = f"{EXPORT}:{{fmt}}:{parsed.unit.id}:{parsed.period.label()}"
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("CSV", callback_data=base.format(fmt="csv")),
                    InlineKeyboardButton("Excel (XLSX)", callback_data=base.format(fmt="xlsx")),
                ]
            ]
        )
        await reply_in_chat(update, context, t("figures.export.choose"), markup)
        return
    await _send_export(update, context, officer, parsed.unit.id, parsed.period, parsed.words[0])


_EXPORT_DATA = re.compile(rf"^{EXPORT}:(csv|xlsx):(\d+):([0-9Q.\-]+)$")


async def export_pressed(update: Update, context: Context, officer: Officer) -> None:
    """Export in the format whose button was pressed."""
    query = update.callback_query
    assert query is not None
    t = context.t
    match = _EXPORT_DATA.match(query.data or "")
    try:
        period = parse_period(match.group(3)) if match else None
    except PeriodError:
        period = None
    if match is None or period is None:
        await query.answer(t.label("callback.stale"), show_alert=True)
        return
    await query.answer()
    await _send_export(update, context, officer, int(match.group(2)), period, match.group(1))


async def _send_export(
    update: Update, context: Context, officer: Officer, unit_id: int, period: Period, fmt: str
) -> None:
    services = context.services
    t = context.t
    service = service_of(context)
    if not await service.in_scope(scope_of(officer), unit_id):
        await reply_in_chat(update, context, t("callback.stale"))
        return
    tree = await service.subtree(unit_id)
    chat = update.effective_chat
    if tree is None or chat is None:
        await reply_in_chat(update, context, t("callback.stale"))
        return
    whole_tree = officer.unit_id is None and tree.root.parent_id is None
    spool, count = await service.tips.export(
        list(tree.nodes),
        period,
        services.settings.zone,
        "csv" if fmt == "csv" else "xlsx",
        whole_tree=whole_tree,
    )
    with spool:
        stem = file_stem(tree.root.code, period).replace("figures_", "tips_", 1)
        # python-telegram-bot reads an upload whole; the rows were streamed into the spool
        # from the cursor, so no list of every tip was held on the way.
        await context.bot.send_document(
            chat.id,
            document=spool.read(),
            filename=f"{stem}.{fmt}",
            caption=t.plural(
                "figures.export.caption",
                count,
                count=t.number(count),
                unit=in_sentence(tree.root.name(t.language)),
                period=period_text(t, period),
            ),
        )
    await services.audit.record(
        at=services.clock.now(),
        actor=f"officer:{officer.user_id}",
        action="export.tips",
        target=f"unit:{tree.root.code}",
        details={"format": fmt, "period": period.label(), "rows": count},
    )
