"""/stats: the tip-derived figures of a unit's subtree over a period."""

from __future__ import annotations

from telegram import Update

from bot.figures._access import Officer
from bot.figures.handlers.args import command_query
from bot.figures.handlers.common import service_of
from bot.figures.needs import Context
from bot.figures.render import period_text
from bot.figures.resolve import Subtree
from bot.figures.tips_stats import TipStats
from bot.kernel.i18n import N_, Translator
from bot.kernel.periods import Period
from bot.ptb.messaging import reply_in_chat
from bot.ptb.refusals import answers_refusals
from bot.tips.status import status_label


@answers_refusals
async def stats_command(update: Update, context: Context, officer: Officer) -> None:
    """Answer the tip-derived figures of a unit's subtree over a period."""
    services = context.services
    parsed = await command_query(
        update, context, officer, N_("figures.usage.stats"), indicators=False
    )
    tree = await service_of(context).subtree(parsed.unit.id)
    assert tree is not None
    # Tips whose place is no unit go to the top of the tree (bot/triage/reads.py scope_of):
    # whoever asks about the top unit counts them, as /tips lists them to its officers.
    whole_tree = tree.root.parent_id is None
    stats = await services.figures.tips.stats(
        list(tree.nodes), parsed.period, services.settings.zone, whole_tree=whole_tree
    )
    await reply_in_chat(update, context, stats_text(context.t, tree, parsed.period, stats))


def stats_text(t: Translator, tree: Subtree, period: Period, stats: TipStats) -> str:
    """Return /stats' answer."""
    parts = [
        t(
            "figures.stats.title",
            unit=tree.root.name(t.language),
            code=tree.root.code,
            period=period_text(t, period),
        ),
        "",
        t("figures.stats.received", count=t.number(stats.received)),
    ]
    if stats.received:
        categories = ", ".join(
            f"{label_en if t.language == 'en' else label_vi} {t.number(count)}"
            for _code, label_vi, label_en, count in stats.by_category
        )
        statuses = ", ".join(
            f"{status_label(t, status)} {t.number(count)}" for status, count in stats.by_status
        )
        parts.append(t("figures.stats.by_category", items=categories))
        parts.append(t("figures.stats.by_status", items=statuses))
        parts.append(t("figures.stats.of_value", count=t.number(stats.of_value)))
        if stats.median_hours is None:
            parts.append(t("figures.stats.no_action_yet"))
        else:
            parts.append(
                t(
                    "figures.stats.median",
                    hours=t.number(stats.median_hours, decimals=1),
                    acted=t.number(stats.acted),
                    waiting=t.number(stats.received - stats.acted),
                )
            )
    if stats.unassigned:
        parts.append(t("figures.stats.unassigned", count=t.number(stats.unassigned)))
    return "\n".join(parts)
