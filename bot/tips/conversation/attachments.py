"""Step 5: the evidence, Telegram's file ids of the photos, videos and files sent."""

from __future__ import annotations

from telegram import Message
from telegram.ext import filters

from bot.tips import steps
from bot.tips.conversation.moves import advance, go, stay
from bot.tips.conversation.prompts import evidence_keyboard
from bot.tips.conversation.turn import Turn, with_draft
from bot.tips.model import MAX_EVIDENCE, Attachment, DraftRecord


def attachment_of(message: Message) -> Attachment | None:
    """Return the file a message carries as evidence, or None."""
    caption = message.caption or None
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Attachment(
            "photo", photo.file_id, photo.file_unique_id, "image/jpeg", photo.file_size, caption
        )
    if message.video is not None:
        video = message.video
        return Attachment(
            "video", video.file_id, video.file_unique_id, video.mime_type, video.file_size, caption
        )
    if message.voice is not None:
        voice = message.voice
        return Attachment(
            "voice", voice.file_id, voice.file_unique_id, voice.mime_type, voice.file_size, caption
        )
    if message.audio is not None:
        audio = message.audio
        return Attachment(
            "audio", audio.file_id, audio.file_unique_id, audio.mime_type, audio.file_size, caption
        )
    if message.video_note is not None:
        note = message.video_note
        return Attachment(
            "video_note", note.file_id, note.file_unique_id, "video/mp4", note.file_size
        )
    if message.document is not None:
        document = message.document
        return Attachment(
            "document",
            document.file_id,
            document.file_unique_id,
            document.mime_type,
            document.file_size,
            caption,
        )
    return None


EVIDENCE_FILTER = (
    filters.PHOTO
    | filters.VIDEO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
)


@with_draft
async def evidence_added(turn: Turn, record: DraftRecord) -> object:
    """Keep one more attachment (Telegram's file id only), up to the limit."""
    item = attachment_of(turn.message)
    if item is None:
        return None
    draft = record.draft
    if len(draft.evidence) >= MAX_EVIDENCE:
        await turn.say(
            turn.t("tips.evidence.full", max=MAX_EVIDENCE), evidence_keyboard(turn.t, draft)
        )
        return None
    draft.evidence.append(item)
    await stay(turn, record)
    await turn.say(
        turn.t("tips.evidence.added", count=len(draft.evidence), max=MAX_EVIDENCE),
        evidence_keyboard(turn.t, draft),
    )
    return steps.EVIDENCE


@with_draft
async def evidence_done(turn: Turn, record: DraftRecord) -> object:
    """Finish the evidence step (with or without files)."""
    record.draft.evidence_done = True
    turn.settle_button()
    return await advance(turn, record, steps.EVIDENCE)


@with_draft
async def evidence_clear(turn: Turn, record: DraftRecord) -> object:
    """Drop every attachment and ask again."""
    record.draft.evidence = []
    turn.settle_button()
    return await go(turn, record, steps.EVIDENCE)
