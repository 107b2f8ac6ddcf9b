"""Sending text the way Telegram wants it: HTML mode, at most 4096 UTF-16 units a message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackContext

from bot.kernel.telegram_text import TEXT_LIMIT, continues, telegram_length, visible_text

_TOKEN = re.compile(r"(<[^<>]+>)")
_TAG_NAME = re.compile(r"^</?\s*([a-zA-Z-]+)")
# One character as Telegram shows it: a character reference (one decoded character) or any
# single character. A cut falls only between these, never inside `&amp;`.
_ATOM = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);|.", re.DOTALL)
# Preferred places to cut a long text, best first.
_BREAKS = ("\n\n", "\n", ". ", " ")


def _cut_point(text: str, budget: int) -> int:
    """Return how much of the HTML text run `text` fits in `budget` visible units.

    Measured as Telegram measures (UTF-16 units after parsing: `&amp;` is one unit) and cut at
    the best boundary; 0 when not even one character fits.
    """
    used = 0
    starts: list[int] = []
    fit = 0
    for atom in _ATOM.finditer(text):
        piece = atom.group()
        used += (2 if ord(piece) > 0xFFFF else 1) if len(piece) == 1 else telegram_length(piece)
        if used > budget:
            break
        starts.append(atom.start())
        fit = atom.end()
    if fit >= len(text):
        return len(text)
    for separator in _BREAKS:
        position = text.rfind(separator, 0, fit)
        if position > 0:
            return position + len(separator)
    # A hard cut: not between a letter and its combining marks (the next piece would start with
    # a mark standing alone).
    while starts and continues(text[fit]):
        fit = starts.pop()
    return fit


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split HTML text into pieces within `limit`, closing and reopening tags at each cut.

    `limit` is in Telegram's units (UTF-16, after entity parsing): tags cost nothing, so a
    piece is as long as Telegram allows, not shorter because of its markup.
    """
    if telegram_length(text) <= limit:
        return [text]
    chunks: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)
    current = ""
    used = 0  # visible units in `current`

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(open_tags))

    def keep(piece: str) -> None:
        # A piece with nothing visible would be refused ("message text is empty").
        if visible_text(piece).strip():
            chunks.append(piece + closing())

    def flush() -> None:
        nonlocal current, used
        keep(current)
        current = "".join(tag for _, tag in open_tags)
        used = 0

    for token in _TOKEN.split(text):
        if not token:
            continue
        if _TOKEN.fullmatch(token):
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            current += token
            if token.startswith("</"):
                for index in range(len(open_tags) - 1, -1, -1):
                    if open_tags[index][0] == name:
                        del open_tags[index]
                        break
            else:
                open_tags.append((name, token))
            continue
        remaining = token
        while remaining:
            budget = limit - used
            cut = _cut_point(remaining, budget) if budget > 0 else 0
            if cut == len(remaining):
                current += remaining
                used += telegram_length(remaining)
                break
            if used and (cut == 0 or (cut < len(remaining) // 4 and cut < budget // 4)):
                # Nothing or only a sliver fits here; start a fresh message instead.
                flush()
                continue
            if cut == 0:
                # Not even one character fits an empty piece: only a limit below 2 does that.
                match = _ATOM.match(remaining)
                cut = match.end() if match else 1
            current += remaining[:cut]
            remaining = remaining[cut:]
            flush()
    keep(current)
    return chunks


async def send_text(
    bot: Bot,
    chat_id: int | str,
    text: str,
    *,
    reply_markup: Any = None,
    protect_content: bool | None = None,
    **kwargs: Any,
) -> Sequence[Message]:
    """Send HTML text in as many messages as needed; the keyboard goes on the last one."""
    pieces = split_html(text)
    sent: list[Message] = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        sent.append(
            await bot.send_message(
                chat_id,
                piece,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup if last else None,
                protect_content=protect_content,
                **kwargs,
            )
        )
    return sent


async def reply_in_chat(
    update: Update,
    context: CallbackContext[Any, Any, Any, Any],
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send HTML text to the update's chat, if it has one."""
    chat = update.effective_chat
    if chat is not None:
        await send_text(context.bot, chat.id, text, reply_markup=markup)
