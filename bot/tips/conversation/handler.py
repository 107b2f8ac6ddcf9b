"""The tip ConversationHandler: which callback answers what at each step, and its ending.

States are the step names of `bot.tips.steps`, stored as text with the sealed draft (the tip
flow writes its own conversation states; bot.ptb.persistence), so a restart resumes a resident
where they were.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from typing import Any

from telegram import Chat, ChatJoinRequest, Update, User
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.kernel.i18n import LANGUAGES, translator
from bot.tips import steps
from bot.tips.conversation.attachments import (
    EVIDENCE_FILTER,
    evidence_added,
    evidence_clear,
    evidence_done,
)
from bot.tips.conversation.callbacks import (
    CB_CANCEL,
    CB_CATEGORY,
    CB_EDIT,
    CB_EVIDENCE_CLEAR,
    CB_EVIDENCE_DONE,
    CB_IDENTITY,
    CB_LEGAL,
    CB_PREVIOUS,
    CB_REVIEW,
    CB_SEND,
    CB_STORY_DONE,
    CB_UNIT,
    CB_WHEN,
    PREFIX,
)
from bot.tips.conversation.entry import (
    already_started,
    back_to_previous,
    back_to_review,
    cancel,
    stale_button,
    start_tip,
)
from bot.tips.conversation.identity import (
    contact_shared,
    contact_to_anonymous,
    contact_typed,
    identity_chosen,
)
from bot.tips.conversation.offer import CB_OFFER_YES, start_with_item
from bot.tips.conversation.place import (
    place_address,
    place_location,
    place_pick_unit,
    place_unknown,
    unit_chosen,
    unit_search,
)
from bot.tips.conversation.prompts import hint
from bot.tips.conversation.review import edit_step, legal_chosen
from bot.tips.conversation.send import send
from bot.tips.conversation.story import choose_category, story_done, story_text, story_voice
from bot.tips.conversation.turn import END, Context
from bot.tips.conversation.when import when_chosen, when_typed
from bot.tips.service import CONVERSATION

Handlers = list[BaseHandler[Update, Context, object]]
# "/start tip": the deep link t.me/<bot>?start=tip.
_START_TIP = re.compile(r"^/start(@\w+)?\s+tip\s*$", re.IGNORECASE)


def labels(key: str) -> list[str]:
    """Return a button label in every language (a reply button comes back as its text)."""
    return sorted({translator(language).label(key) for language in LANGUAGES})


class _Expired(Update):
    """A stand-in update that ends one resident's conversation; Telegram never sends one.

    python-telegram-bot changes a conversation's state only by handling an update for it, so
    `TipConversation.forget` hands the conversation one of these. It carries the resident's
    private chat and user (the conversation's key) in a join request, which no step and no
    other fallback takes, and only `_EndExpired` takes this class.
    """

    __slots__ = ()

    def __init__(self, chat_id: int, user_id: int) -> None:
        super().__init__(
            update_id=0,
            chat_join_request=ChatJoinRequest(
                chat=Chat(chat_id, Chat.PRIVATE),
                from_user=User(user_id, "", is_bot=False),
                date=datetime.fromtimestamp(0, UTC),
                user_chat_id=chat_id,
            ),
        )


class _EndExpired(BaseHandler[Update, Context, object]):
    """End the conversation a stand-in `_Expired` update is for (the first fallback)."""

    def __init__(self) -> None:
        super().__init__(self._end)

    def check_update(self, update: object) -> bool:
        """Take only the stand-in updates of `TipConversation.forget`."""
        return isinstance(update, _Expired)

    @staticmethod
    async def _end(update: Update, context: Context) -> object:
        return END


class TipConversation(ConversationHandler[Context]):
    """The tip ConversationHandler, with a way to end one conversation from a job."""

    async def forget(
        self, application: Application[Any, Any, Any, Any, Any, Any], chat_id: int, user_id: int
    ) -> None:
        """End a conversation in memory (the idle-expiry job removed its stored state)."""
        update = _Expired(chat_id, user_id)
        check = self.check_update(update)
        if check is None:
            return  # no conversation in memory for this resident
        context = application.context_types.context.from_update(update, application)
        await self.handle_update(update, application, check, context)


def build_conversation() -> TipConversation:
    """Return the persistent ConversationHandler of the tip flow."""
    private = filters.ChatType.PRIVATE
    # New messages only: an edited message is not a new answer.
    message = private & filters.UpdateType.MESSAGE
    send_labels = labels("tips.menu.send")
    with warnings.catch_warnings():
        # per_message=False is deliberate: the conversation follows the resident, not one
        # message, so PTB's note about CallbackQueryHandlers does not apply.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return TipConversation(
            entry_points=_entry_points(message, send_labels),
            states=_states(message, send_labels),
            fallbacks=_fallbacks(message, send_labels),
            name=CONVERSATION,
            persistent=True,
            allow_reentry=False,
        )


def _entry_points(message: filters.BaseFilter, send_labels: list[str]) -> Handlers:
    return [
        CommandHandler("tip", start_tip, filters=message),
        CommandHandler("start", start_tip, filters=message & filters.Regex(_START_TIP)),
        MessageHandler(message & filters.Text(send_labels), start_tip),
        # "Yes" to "start a tip with this?" (a file or location sent at the main menu).
        CallbackQueryHandler(start_with_item, pattern=f"^{CB_OFFER_YES}"),
    ]


def _fallbacks(message: filters.BaseFilter, send_labels: list[str]) -> Handlers:
    return [
        # First: only the stand-in update of TipConversation.forget reaches it.
        _EndExpired(),
        CommandHandler("cancel", cancel, filters=message),
        MessageHandler(message & filters.Text(labels("tips.button.cancel")), cancel),
        CallbackQueryHandler(cancel, pattern=f"^{CB_CANCEL}$"),
        CommandHandler("tip", already_started, filters=message),
        CommandHandler("start", already_started, filters=message & filters.Regex(_START_TIP)),
        MessageHandler(message & filters.Text(send_labels), already_started),
        # «Quay lại» at any step, inline or on a reply keyboard (never taken as free text).
        CallbackQueryHandler(back_to_previous, pattern=f"^{CB_PREVIOUS}$"),
        MessageHandler(message & filters.Text(labels("tips.button.previous")), back_to_previous),
        # Any other button of this flow belongs to an earlier step.
        CallbackQueryHandler(stale_button, pattern=f"^{PREFIX}"),
    ]


def _place_buttons(message: filters.BaseFilter) -> Handlers:
    # The place step's reply keyboard stays while a unit is searched for.
    return [
        MessageHandler(message & filters.LOCATION, place_location),
        MessageHandler(message & filters.Text(labels("tips.button.place_unknown")), place_unknown),
        MessageHandler(message & filters.Text(labels("tips.button.pick_unit")), place_pick_unit),
    ]


def _states(message: filters.BaseFilter, send_labels: list[str]) -> dict[object, Handlers]:
    reserved = filters.Text(
        [
            *labels("tips.button.cancel"),
            *labels("tips.button.previous"),
            *send_labels,
            *labels("tips.menu.mine"),
        ]
    )
    free_text = message & filters.TEXT & ~filters.COMMAND & ~reserved
    # Whatever a step did not expect: stickers, polls, files where text is asked, text where a
    # button is. Commands are left to their own handlers.
    anything = message & ~filters.COMMAND & ~filters.StatusUpdate.ALL & ~reserved

    def unexpected() -> MessageHandler[Context, object]:
        return MessageHandler(anything, hint)

    back = CallbackQueryHandler(back_to_review, pattern=f"^{CB_REVIEW}$")
    place = _place_buttons(message)
    when_button = CallbackQueryHandler(when_chosen, pattern=f"^{CB_WHEN}")
    return {
        steps.CATEGORY: [
            CallbackQueryHandler(choose_category, pattern=f"^{CB_CATEGORY}"),
            back,
            unexpected(),
        ],
        steps.STORY: [
            MessageHandler(free_text, story_text),
            MessageHandler(message & filters.VOICE, story_voice),
            CallbackQueryHandler(story_done, pattern=f"^{CB_STORY_DONE}$"),
            back,
            unexpected(),
        ],
        steps.PLACE: [
            *place,
            MessageHandler(free_text, place_address),
            unexpected(),
        ],
        steps.PLACE_UNIT: [
            *place,
            MessageHandler(free_text, unit_search),
            CallbackQueryHandler(unit_chosen, pattern=f"^{CB_UNIT}"),
            unexpected(),
        ],
        steps.WHEN: [when_button, MessageHandler(free_text, when_typed), back, unexpected()],
        steps.WHEN_DATE: [when_button, MessageHandler(free_text, when_typed), unexpected()],
        steps.EVIDENCE: [
            MessageHandler(message & EVIDENCE_FILTER, evidence_added),
            CallbackQueryHandler(evidence_done, pattern=f"^{CB_EVIDENCE_DONE}$"),
            CallbackQueryHandler(evidence_clear, pattern=f"^{CB_EVIDENCE_CLEAR}$"),
            back,
            unexpected(),
        ],
        steps.IDENTITY: [
            CallbackQueryHandler(identity_chosen, pattern=f"^{CB_IDENTITY}"),
            back,
            unexpected(),
        ],
        steps.CONTACT: [
            MessageHandler(message & filters.CONTACT, contact_shared),
            MessageHandler(
                message & filters.Text(labels("tips.button.stay_anonymous")), contact_to_anonymous
            ),
            MessageHandler(free_text, contact_typed),
            unexpected(),
        ],
        steps.REVIEW: [
            CallbackQueryHandler(edit_step, pattern=f"^{CB_EDIT}"),
            CallbackQueryHandler(send, pattern=f"^{CB_SEND}"),
            unexpected(),
        ],
        steps.LEGAL: [
            CallbackQueryHandler(legal_chosen, pattern=f"^{CB_LEGAL}"),
            back,
            unexpected(),
        ],
    }
