"""The one way a refusal reaches the person: in their language, where they asked."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from telegram import Update

from bot.kernel.refusal import Refusal
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=BotContext[Any])


async def answer_refusal(update: Update, context: BotContext[Any], refusal: Refusal) -> None:
    """Tell the person why: an alert on the pressed button, else a message in the chat."""
    query = update.callback_query
    if query is not None:
        await query.answer(refusal.label(context.t), show_alert=True)
        return
    await reply_in_chat(update, context, refusal.text(context.t))


def answers_refusals(
    callback: Callable[Concatenate[Update, C, P], Awaitable[R]],
) -> Callable[Concatenate[Update, C, P], Awaitable[R | None]]:
    """Answer a `Refusal` the callback raises; return None then (a conversation stays put)."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: C, /, *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return await callback(update, context, *args, **kwargs)
        except Refusal as refusal:
            await answer_refusal(update, context, refusal)
            return None

    return wrapper
