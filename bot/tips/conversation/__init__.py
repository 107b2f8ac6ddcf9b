"""The tip conversation: category, story, place, time, evidence, identity, review, send.

Buttons first; typing only for the story, an address, a unit's name, a date or a contact.
Every answered step is saved (sealed draft and conversation state in one transaction) before
the next question is asked, so a restart, even a SIGKILL, resumes the resident where they were.

The rooms: `turn` (one update and what every step needs), `prompts` (each step's question, a
step -> prompt table), `moves` (save, then ask), the steps (`entry`, `story`, `place`, `when`,
`attachments`, `identity`, `review`, `send`), the buttons' data (`callbacks`) and `handler`
(the ConversationHandler that wires them).
"""

from bot.tips.conversation.callbacks import (
    CB_CANCEL,
    CB_CATEGORY,
    CB_EDIT,
    CB_EVIDENCE_CLEAR,
    CB_EVIDENCE_DONE,
    CB_IDENTITY,
    CB_LEGAL,
    CB_REVIEW,
    CB_SEND,
    CB_STORY_DONE,
    CB_UNIT,
    CB_WHEN,
    PREFIX,
)
from bot.tips.conversation.handler import TipConversation, build_conversation
from bot.tips.conversation.send import send_again

__all__ = [
    "CB_CANCEL",
    "CB_CATEGORY",
    "CB_EDIT",
    "CB_EVIDENCE_CLEAR",
    "CB_EVIDENCE_DONE",
    "CB_IDENTITY",
    "CB_LEGAL",
    "CB_REVIEW",
    "CB_SEND",
    "CB_STORY_DONE",
    "CB_UNIT",
    "CB_WHEN",
    "PREFIX",
    "TipConversation",
    "build_conversation",
    "send_again",
]
