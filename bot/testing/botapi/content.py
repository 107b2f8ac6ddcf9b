"""What a send carries: text or caption (HTML parsed into entities) and a checked keyboard."""

from typing import Any

from bot.testing.botapi.html import parse_html
from bot.testing.botapi.model import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    JSONDict,
)
from bot.testing.botapi.params import Params, bad_request, utf16_len

_INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)


def format_text(p: Params, text_field: str, entities_field: str) -> tuple[str, list[JSONDict], str]:
    """Return (plain text, entities, text as sent) for a text or caption parameter."""
    source = p.get_str(text_field) or ""
    parse_mode = (p.get_str("parse_mode") or "").lower()
    if parse_mode == "html":
        text, entities = parse_html(source)
        return text, entities, source
    # Markdown modes are passed through unparsed; only HTML is modelled.
    given = p.get_json(entities_field)
    entities = [e for e in given if isinstance(e, dict)] if isinstance(given, list) else []
    return source, entities, source


def text_content(p: Params) -> tuple[JSONDict, str]:
    """Return a text message's content and its text as sent; 400 if empty or too long."""
    text, entities, source = format_text(p, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    content: JSONDict = {"text": text}
    if entities:
        content["entities"] = entities
    return content, source


def caption_content(p: Params) -> tuple[JSONDict, str]:
    """Return a caption's content and its text as sent; 400 if too long."""
    if not p.has("caption"):
        return {}, ""
    caption, entities, source = format_text(p, "caption", "caption_entities")
    if utf16_len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    content: JSONDict = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content, source


def check_markup(markup: Any) -> JSONDict | None:
    """Return the reply_markup if Telegram would take it; 400 as Telegram words it otherwise."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (
                isinstance(data, str) and 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
            ):
                raise bad_request("BUTTON_DATA_INVALID")
    return markup
