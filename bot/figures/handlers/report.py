"""/report: the report pack, in steps: query, summary, chart, workbook, audit."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatAction

from bot.figures._access import Officer
from bot.figures.handlers.args import QueryArgs, command_query
from bot.figures.handlers.common import file_stem, service_of
from bot.figures.needs import Context
from bot.figures.render import period_text
from bot.figures.report import (
    MAX_RAW_ROWS,
    RecordRows,
    chart_png,
    is_yearly,
    summary_sheets,
    summary_text,
)
from bot.figures.results import Breakdown, FiguresAnswer
from bot.figures.xlsx import Workbook
from bot.kernel.i18n import N_
from bot.kernel.refusal import Refusal
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals


@dataclass(frozen=True)
class ReportFigures:
    """What a report shows: the answer over the period, by child unit and by year."""

    query: QueryArgs
    answer: FiguresAnswer
    by_child: Breakdown
    by_year: Breakdown


@answers_refusals
async def report_command(update: Update, context: Context, officer: Officer) -> None:
    """Send the report pack: a summary, a chart by year and an Excel workbook."""
    parsed = await command_query(
        update, context, officer, N_("figures.usage.report"), indicators=False
    )
    chat = update.effective_chat
    assert chat is not None
    figures = await _report_figures(context, parsed)
    await reply_in_chat(update, context, summary_text(context.t, figures.answer))
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    await _send_chart(context, chat.id, figures)
    await _send_workbook(context, chat.id, figures)
    await _audit_report(context, officer, parsed)


async def _report_figures(context: Context, parsed: QueryArgs) -> ReportFigures:
    """Count the figures the report shows (a refusal when the unit is gone)."""
    service = service_of(context)
    answer = await service.answer(parsed.unit.id, parsed.period)
    by_child = await service.by_child(parsed.unit.id, parsed.period, whole=answer)
    by_year = await service.by_year(parsed.unit.id, parsed.period, whole=answer)
    if answer is None or by_child is None or by_year is None:
        raise Refusal("figures.error.unknown_unit", code=parsed.unit.code)
    return ReportFigures(parsed, answer, by_child, by_year)


async def _send_chart(context: Context, chat_id: int, figures: ReportFigures) -> None:
    """Draw the chart (by year, or the totals when the figures are not yearly) and send it."""
    t = context.t
    # Drawing and writing the workbook are CPU work: keep them off the event loop.
    png = await asyncio.to_thread(chart_png, t, figures.answer, figures.by_year)
    caption = (
        N_("figures.report.chart_caption")
        if is_yearly(figures.answer, figures.by_year)
        else N_("figures.report.chart_caption_totals")
    )
    await context.bot.send_photo(
        chat_id, photo=png, caption=t(caption, period=period_text(t, figures.query.period))
    )


async def _send_workbook(context: Context, chat_id: int, figures: ReportFigures) -> None:
    """Write the workbook (summary sheets, then the records as they stream) and send it."""
    t = context.t
    parsed = figures.query
    keys = [line.indicator.key for line in figures.answer.lines]
    # The workbook is written into a spooled file (on disk past 8 MB) as the rows come.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        book = Workbook(spool)
        try:
            raw = await asyncio.to_thread(
                summary_sheets,
                book,
                t,
                figures.answer,
                figures.by_child,
                figures.by_year,
                generated_at=context.services.clock.now(),
                zone=context.services.settings.zone,
            )
            rows = RecordRows(t, raw, context.services.settings.zone)
            # The records stream from the cursor into the sheet a chunk at a time: one more
            # than the sheet holds, so it can say it stopped.
            async for chunk in service_of(context).raw_record_chunks(
                parsed.unit.id, parsed.period, keys, limit=MAX_RAW_ROWS + 1, size=2000
            ):
                await asyncio.to_thread(rows.add, chunk)
        finally:
            # On failure too: closing removes the workbook's temporary files at once.
            await asyncio.to_thread(book.close)
        spool.seek(0)
        # python-telegram-bot reads an upload whole anyway (and cannot name a spooled file).
        await context.bot.send_document(
            chat_id,
            document=spool.read(),
            filename=f"{file_stem(parsed.unit.code, parsed.period)}.xlsx",
            caption=t("figures.report.xlsx_caption"),
        )
    finally:
        spool.close()


async def _audit_report(context: Context, officer: Officer, parsed: QueryArgs) -> None:
    """Record who took which figures out."""
    services = context.services
    # Exports are officer actions: the audit log records who took which figures out.
    await services.audit.record(
        at=services.clock.now(),
        actor=f"officer:{officer.user_id}",
        action="export.report",
        target=f"unit:{parsed.unit.code}",
        details={"period": parsed.period.label()},
    )
