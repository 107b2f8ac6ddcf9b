"""The tipster's answer to an officer's question: the "Reply" button, the typed answer, and a
message typed (or sent as a Telegram reply to the question) without pressing anything."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler

from bot.core import handlers as core
from bot.kernel.crypto import Keyring
from bot.kernel.telegram_text import clip
from bot.outbox.jobs import kick_outbox
from bot.ptb.messaging import send_text
from bot.tips.conversation.attachments import attachment_of
from bot.tips.handlers import offer_tip
from bot.tips.model import Attachment
from bot.triage.model import RelayMessage
from bot.triage.needs import Context
from bot.triage.render import CB_REPLY, parse_reply
from bot.triage.service import TriageError

# The conversation's one state: a tipster typing an answer.
WAIT_ANSWER: Final = 0
ANSWER_TIMEOUT_SECONDS: Final = 1800


async def answer_pressed(update: Update, context: Context) -> object:
    """Start the tipster's answer to a question (their own question only)."""
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    services = context.services
    # Refusals return None: no conversation starts, and one already going keeps its question.
    if query is None or user is None or chat is None:
        return None
    message_id = parse_reply(services.keyring, query.data or "")
    t = context.t
    if message_id is None:
        await core.stale_button(update, context)
        return None
    if await services.tips.has_draft(user.id):
        # A tip being written takes the resident's messages first; one thing at a time.
        await query.answer(t.label("triage.reply.finish_draft"), show_alert=True)
        return None
    started = await services.triage.begin_answer(user.id, message_id)
    if started is None:
        await core.stale_button(update, context)
        return None
    # The answer takes the messages now: an addition pressed before waits no more.
    await services.triage.additions.stop(user.id)
    tip, _question = started
    await query.answer()
    await send_text(
        context.bot, chat.id, t("triage.reply.prompt", code=tip.code), protect_content=True
    )
    return WAIT_ANSWER


async def answer_typed(update: Update, context: Context) -> object:
    """Pass the tipster's answer on to the officers' chat."""
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    services = context.services
    if user is None or chat is None or message is None:
        return ConversationHandler.END
    t = context.t
    # A Telegram reply to another question of theirs answers that one, not the pressed one.
    quoted = replied_question(services.keyring, message)
    question = None if quoted is None else await services.triage.message(quoted)
    try:
        tip = (
            None
            if question is None
            else await services.triage.answer_to(user.id, question, message.text or "")
        )
        if tip is None:
            tip = await services.triage.answer(user.id, message.text or "")
    except TriageError as error:
        await send_text(context.bot, chat.id, error.text(t), protect_content=True)
        return None
    if tip is None:
        # Too late for the question pressed: a question still open takes it as if just typed.
        if await services.triage.open_questions(user.id):
            await answer_unprompted(update, context)
        else:
            await send_text(context.bot, chat.id, t("triage.reply.expired"), protect_content=True)
        return ConversationHandler.END
    kick_outbox(context)
    await send_text(
        context.bot,
        chat.id,
        t("triage.reply.sent", code=tip.code),
        protect_content=True,
        reply_markup=services.menu.keyboard(t),
    )
    return ConversationHandler.END


async def answer_not_text(update: Update, context: Context) -> object:
    """Pass on a photo, video, voice note or document as the answer; ask for text otherwise
    (a sticker, a poll, a location are not passed on)."""
    chat = update.effective_chat
    user = update.effective_user
    message = update.effective_message
    if chat is None or user is None or message is None:
        return None
    services = context.services
    attachment = attachment_of(message)
    question = await services.triage.answering(user.id)
    if (
        attachment is not None
        and question is not None
        and await _relay(update, context, question, message.caption or "", attachment)
    ):
        return ConversationHandler.END
    t = context.t
    await send_text(context.bot, chat.id, t("triage.reply.ask_text"), protect_content=True)
    return None


async def answer_cancel(update: Update, context: Context) -> object:
    """Stop the tipster's answer."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return ConversationHandler.END
    services = context.services
    await services.triage.stop_answering(user.id)
    t = context.t
    # An officer who is also a tipster gets their own menu back, not the residents' one.
    keyboard = services.menu.keyboard(t, await services.audience_of(user.id))
    await send_text(context.bot, chat.id, t("triage.reply.cancelled"), reply_markup=keyboard)
    return ConversationHandler.END


# A tipster's pick of the question a held answer replies to: `tk:<question id>:<signature>`.
CB_PICK: Final = "tk:"
# A question as a button label: its receipt code and its first words.
_PICK_EXCERPT: Final = 40


def pick_data(keyring: Keyring, question_id: int) -> str:
    """Return the signed data of the button that picks a question for a held answer."""
    return f"{CB_PICK}{question_id}:{keyring.sign(f'pick:{question_id}')}"


def parse_pick(keyring: Keyring, data: str) -> int | None:
    """Return the question id of genuine pick data, or None."""
    parts = data.removeprefix(CB_PICK).split(":")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    return int(parts[0]) if keyring.verify(f"pick:{parts[0]}", parts[1]) else None


def replied_question(keyring: Keyring, message: Message) -> int | None:
    """Return the question a Telegram reply quotes, read from the question's own "Reply" button.

    Telegram gives the quoted message whole, keyboard included, and that button's data is
    signed: a reply to any other message (or to a forged keyboard) quotes no question.
    """
    quoted = message.reply_to_message
    if quoted is None or quoted.reply_markup is None:
        return None
    for row in quoted.reply_markup.inline_keyboard:
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and data.startswith(CB_REPLY):
                return parse_reply(keyring, data)
    return None


async def _relay(
    update: Update,
    context: Context,
    question: RelayMessage,
    text: str,
    attachment: Attachment | None = None,
) -> bool:
    """Relay `text` (and a file) as the answer to `question` and thank the tipster; say
    whether it went."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return False
    t = context.t
    try:
        tip = await context.services.triage.answer_to(user.id, question, text, attachment)
    except TriageError as error:
        await send_text(context.bot, chat.id, error.text(t), protect_content=True)
        return True
    if tip is None:
        return False
    kick_outbox(context)
    await send_text(
        context.bot,
        chat.id,
        t("triage.reply.sent", code=tip.code),
        protect_content=True,
        reply_markup=context.services.menu.keyboard(t),
    )
    return True


async def _ask_which(
    update: Update, context: Context, questions: Sequence[RelayMessage], text: str
) -> None:
    """Hold the answer and ask, with one button a question, which one it answers."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    services = context.services
    t = context.t
    try:
        await services.triage.hold_answer(user.id, text)
    except TriageError as error:
        await send_text(context.bot, chat.id, error.text(t), protect_content=True)
        return
    rows = []
    for question in questions:
        tip = await services.tips.tip(question.tip_id)
        code = tip.code if tip is not None else "?"
        excerpt = clip(" ".join(question.body.split()), _PICK_EXCERPT)
        label = t.label("triage.button.pick", code=code, question=excerpt)
        rows.append(
            [InlineKeyboardButton(label, callback_data=pick_data(services.keyring, question.id))]
        )
    await send_text(
        context.bot,
        chat.id,
        t("triage.reply.which", count=t.number(len(questions))),
        protect_content=True,
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def answer_unprompted(update: Update, context: Context) -> None:
    """Take a resident's message outside any conversation as the answer to their question.

    A Telegram reply to a question answers that one; otherwise one open question takes the
    text, several are offered as buttons, and none leaves the message to the fallback.
    """
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    services = context.services
    text = message.text or ""
    quoted = replied_question(services.keyring, message)
    if quoted is not None:
        question = await services.triage.message(quoted)
        if question is not None and await _relay(update, context, question, text):
            return
    questions = await services.triage.open_questions(user.id)
    if len(questions) == 1 and await _relay(update, context, questions[0], text):
        return
    if len(questions) > 1:
        await _ask_which(update, context, questions, text)
        return
    await core.not_understood(update, context)


async def answer_unprompted_not_text(update: Update, context: Context) -> None:
    """Take a file sent outside every conversation as an answer when a question waits for one
    (the question it replies to, or the only one open); else offer to start a tip with it (or
    with a location); a sticker, a contact and the like get the fallback."""
    chat = update.effective_chat
    user = update.effective_user
    message = update.effective_message
    if chat is None or user is None or message is None:
        return
    services = context.services
    t = context.t
    attachment = attachment_of(message)
    quoted = replied_question(services.keyring, message)
    if quoted is not None:
        question = await services.triage.message(quoted)
        if (
            attachment is not None
            and question is not None
            and await _relay(update, context, question, message.caption or "", attachment)
        ):
            return
        await send_text(context.bot, chat.id, t("triage.reply.ask_text"), protect_content=True)
        return
    # An officer's open question comes before a new tip: the file is its answer.
    questions = [] if attachment is None else await services.triage.open_questions(user.id)
    if len(questions) == 1 and await _relay(
        update, context, questions[0], message.caption or "", attachment
    ):
        return
    if len(questions) > 1:
        await send_text(
            context.bot,
            chat.id,
            t("triage.reply.which_file", count=t.number(len(questions))),
            protect_content=True,
        )
        return
    if not await offer_tip(update, context):
        await core.not_understood(update, context)


async def answer_picked(update: Update, context: Context) -> None:
    """Relay the held answer to the question the tipster picked."""
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    if query is None or user is None or chat is None:
        return
    services = context.services
    t = context.t
    question_id = parse_pick(services.keyring, query.data or "")
    if question_id is None:
        await core.stale_button(update, context)
        return
    tip = await services.triage.answer_held(user.id, question_id)
    if tip is None:
        await query.answer(t.label("triage.reply.pick_expired"), show_alert=True)
        return
    await query.answer()
    kick_outbox(context)
    if isinstance(query.message, Message):
        # The buttons go: the held answer is gone, a second press could only fail.
        await query.message.edit_reply_markup(reply_markup=None)
    await send_text(
        context.bot,
        chat.id,
        t("triage.reply.sent", code=tip.code),
        protect_content=True,
        reply_markup=services.menu.keyboard(t),
    )
