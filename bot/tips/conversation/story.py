"""Steps 1 and 2: the category, and what happened (typed in parts, or a voice note)."""

from __future__ import annotations

from bot.kernel.telegram_text import utf16_length
from bot.tips import steps
from bot.tips.conversation.callbacks import CB_CATEGORY
from bot.tips.conversation.moves import advance, stay
from bot.tips.conversation.prompts import done_keyboard, hint_step, inline
from bot.tips.conversation.turn import Markup, Turn, with_draft
from bot.tips.model import (
    STORY_MAX_CHARS,
    STORY_MIN_CHARS,
    STORY_MIN_WORDS,
    Attachment,
    Draft,
    DraftRecord,
)


@with_draft
async def choose_category(turn: Turn, record: DraftRecord) -> object:
    """Record the category."""
    category = await turn.tips.category(turn.data.removeprefix(CB_CATEGORY))
    if category is None:
        await turn.answer(turn.t.label("tips.stale_button"), alert=True)
        return None
    record.draft.category = category.code
    turn.settle_button(category.label(turn.t.language))
    return await advance(turn, record, steps.CATEGORY)


# ------------------------------------------------------------------ 2. what happened


def story_is_enough(draft: Draft) -> bool:
    """Say whether the story has at least a few words (or is a voice note)."""
    if draft.story_voice is not None:
        return True
    story = draft.story.strip()
    return len(story) >= STORY_MIN_CHARS and len(story.split()) >= STORY_MIN_WORDS


@with_draft
async def story_text(turn: Turn, record: DraftRecord) -> object:
    """Add one message to the story."""
    draft = record.draft
    text = (turn.message.text or "").strip()
    if not text:
        return await hint_step(turn, record)
    parts = [] if draft.story_replacing else list(draft.story_parts)
    # Counted as Telegram counts (UTF-16 units): an emoji is two, and the officers' card, which
    # carries the whole story in one message, must stay under Telegram's 4096.
    used = utf16_length("\n\n".join(parts))
    separator = 2 if parts else 0
    length = utf16_length(text)
    if length > STORY_MAX_CHARS:
        await turn.say(turn.t("tips.story.too_long", max=STORY_MAX_CHARS, length=length))
        return None
    if used + separator + length > STORY_MAX_CHARS:
        left = max(0, STORY_MAX_CHARS - used - separator)
        await turn.say(turn.t("tips.story.too_long_total", max=STORY_MAX_CHARS, left=left))
        return None
    if draft.story_replacing:
        draft.story_voice = None
        draft.story_replacing = False
    draft.story_parts = [*parts, text]
    await stay(turn, record)
    await turn.say(
        turn.t("tips.story.added", length=utf16_length(draft.story), max=STORY_MAX_CHARS),
        done_keyboard(turn.t),
    )
    return steps.STORY


@with_draft
async def story_voice(turn: Turn, record: DraftRecord) -> object:
    """Take a voice note as the story."""
    voice = turn.message.voice
    if voice is None:
        return None
    draft = record.draft
    if draft.story_replacing:
        draft.story_parts = []
        draft.story_replacing = False
    draft.story_voice = Attachment(
        kind="voice",
        file_id=voice.file_id,
        file_unique_id=voice.file_unique_id,
        mime=voice.mime_type,
        size=voice.file_size,
    )
    await stay(turn, record)
    await turn.say(turn.t("tips.story.voice_added"), done_keyboard(turn.t))
    return steps.STORY


@with_draft
async def story_done(turn: Turn, record: DraftRecord) -> object:
    """Finish the story if it says enough."""
    if not story_is_enough(record.draft):
        await turn.answer()
        await turn.say(
            turn.t("tips.story.too_short", words=STORY_MIN_WORDS), _story_markup(turn, record)
        )
        return None
    turn.settle_button()
    return await advance(turn, record, steps.STORY)


def _story_markup(turn: Turn, record: DraftRecord) -> Markup | None:
    if record.draft.reviewed:
        return inline([], record.draft, turn.t)
    return None
