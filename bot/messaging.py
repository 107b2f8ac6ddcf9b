"""Sending text the way Telegram wants it: HTML mode, at most 4096 characters a message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import CallbackContext

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
_TOKEN = re.compile(r"(<[^<>]+>)")
_TAG_NAME = re.compile(r"^</?\s*([a-zA-Z-]+)")
# Preferred places to cut a long text, best first.
_BREAKS = ("\n\n", "\n", ". ", " ")


def utf16_len(text: str) -> int:
    """Count characters the way Telegram does (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cut_point(text: str, budget: int) -> int:
    """Return how many characters of `text` fit in `budget`, cut at the best boundary."""
    fit = 0
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            break
        fit = index + 1
    if fit >= len(text):
        return len(text)
    for separator in _BREAKS:
        position = text.rfind(separator, 0, fit)
        if position > 0:
            return position + len(separator)
    # No separator: a hard cut, but never inside an HTML entity such as &amp;.
    amp = text.rfind("&", max(0, fit - 10), fit)
    if amp != -1 and ";" in text[amp : fit + 10] and ";" not in text[amp:fit]:
        return max(amp, 1)
    return max(fit, 1)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split HTML text into pieces of at most `limit`, closing and reopening tags at each cut."""
    if utf16_len(text) <= limit:
        return [text]
    chunks: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)
    current = ""

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(open_tags))

    def flush() -> None:
        nonlocal current
        if current.strip():
            chunks.append(current + closing())
        current = "".join(tag for _, tag in open_tags)

    for token in _TOKEN.split(text):
        if not token:
            continue
        if _TOKEN.fullmatch(token):
            name_match = _TAG_NAME.match(token)
            name = name_match.group(1).lower() if name_match else ""
            # An opening tag will also need its closing tag in this piece.
            extra = "" if token.startswith("</") else f"</{name}>"
            if utf16_len(current + token + extra + closing()) > limit:
                flush()
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
            budget = limit - utf16_len(current) - utf16_len(closing())
            if budget <= 0:
                flush()
                continue
            cut = _cut_point(remaining, budget)
            if cut == len(remaining):
                current += remaining
                break
            if utf16_len(current) > utf16_len("".join(tag for _, tag in open_tags)) and (
                cut < len(remaining) // 4 and cut < budget // 4
            ):
                # Only a sliver fits here; start a fresh message instead of a ragged cut.
                flush()
                continue
            current += remaining[:cut]
            remaining = remaining[cut:]
            flush()
    if current.strip() and current != "".join(tag for _, tag in open_tags):
        chunks.append(current + closing())
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
