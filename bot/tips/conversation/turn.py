"""One turn of the tip dialogue: the resident's update with what every step needs.

Also the few things every step shares: the draft loaded around a step (`with_draft`), the
keyboards that replace and bring back the main menu, and the answer to a draft that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot.kernel.i18n import Translator
from bot.ptb.context import BotContext
from bot.ptb.errors import is_benign
from bot.ptb.messaging import send_text
from bot.tips.model import DraftRecord
from bot.tips.needs import TipsNeeds
from bot.tips.service import DraftGoneError, TipService

Context: TypeAlias = BotContext[TipsNeeds]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
END = ConversationHandler.END


@dataclass
class Turn:
    """One update of a resident in the conversation, with what every step needs."""

    update: Update
    context: Context
    services: TipsNeeds
    t: Translator
    user_id: int
    chat_id: int
    answered: bool = False
    # The pressed button being settled while the step goes on (see settle_button).
    settling: asyncio.Task[None] | None = None

    @property
    def tips(self) -> TipService:
        """Return the tip service."""
        return self.services.tips

    @property
    def query(self) -> CallbackQuery | None:
        """Return the pressed button, if this turn is one."""
        return self.update.callback_query

    @property
    def data(self) -> str:
        """Return the pressed button's data ("" for a message)."""
        return (self.query.data or "") if self.query else ""

    @property
    def message(self) -> Message:
        """Return the resident's new message (only for message handlers)."""
        message = self.update.message
        if message is None:
            raise RuntimeError("this step expects a message")
        return message

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button once (stops the client's spinner)."""
        if self.query is None or self.answered:
            return
        self.answered = True
        try:
            await self.query.answer(text, show_alert=alert)
        except TelegramError as error:
            if not is_benign(error):
                raise

    async def say(self, text: str, markup: Markup | None = None) -> None:
        """Send HTML text to the resident."""
        await send_text(self.context.bot, self.chat_id, text, reply_markup=markup)

    def settle_button(self, choice: str | None = None) -> None:
        """Start answering the pressed button and taking its keyboard off, noting the choice.

        It runs while the step goes on (the draft saved, the next question sent): each call is a
        round trip to Telegram, so the resident's spinner stops after one, and the next question
        does not wait for the old one's keyboard. `settled()` waits for it before the update ends.
        """
        query = self.query
        if query is None or not isinstance(query.message, Message) or self.settling is not None:
            return
        self.settling = asyncio.create_task(self._settle(query, query.message, choice))

    async def settled(self) -> None:
        """Wait until the pressed button has been answered and its keyboard taken off."""
        if self.settling is not None:
            await self.settling

    async def _settle(self, query: CallbackQuery, message: Message, choice: str | None) -> None:
        await asyncio.gather(
            self._answer_quietly(), self._take_keyboard_off(query, message, choice)
        )

    async def _answer_quietly(self) -> None:
        # A failed answer only leaves the spinner turning; it must not stop the step.
        with contextlib.suppress(TelegramError):
            await self.answer()

    async def _take_keyboard_off(
        self, query: CallbackQuery, message: Message, choice: str | None
    ) -> None:
        with contextlib.suppress(TelegramError):
            if choice is not None and message.text is not None:
                await query.edit_message_text(
                    message.text_html + "\n\n" + self.t("tips.chosen", choice=choice),
                    reply_markup=None,
                )
            else:
                await query.edit_message_reply_markup(reply_markup=None)


async def turn_of(update: Update, context: Context) -> Turn | None:
    """Return the turn of an update, or None without a person and a chat."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return None
    services = context.services
    t = context.t
    return Turn(update, context, services, t, user.id, chat.id)


Step = Callable[[Turn, DraftRecord], Awaitable[object]]
Callback = Callable[[Update, Context], Coroutine[Any, Any, object]]


def with_draft(step: Step) -> Callback:
    """Run a step with the resident's draft; a draft that is gone ends the conversation."""

    @functools.wraps(step)
    async def callback(update: Update, context: Context) -> object:
        turn = await turn_of(update, context)
        if turn is None:
            return None
        try:
            record = await turn.tips.load_draft(turn.user_id)
            if record is None:
                return await draft_gone(turn)
            return await step(turn, record)
        except DraftGoneError:
            return await draft_gone(turn)
        finally:
            await turn.settled()
            with contextlib.suppress(TelegramError):
                await turn.answer()

    return callback


def main_menu(turn: Turn) -> ReplyKeyboardMarkup:
    """Return the main menu's keyboard, brought back when the conversation ends."""
    return turn.services.menu.keyboard(turn.t)


def step_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """Return the reply keyboard that replaces the main menu while a tip is written."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.label("tips.button.cancel"))]],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t.label("tips.placeholder"),
    )


async def draft_gone(turn: Turn) -> object:
    """Tell the resident the draft is gone, bring the main menu back and end the conversation."""
    await turn.answer()
    await turn.say(turn.t("tips.draft_gone"), main_menu(turn))
    return END
