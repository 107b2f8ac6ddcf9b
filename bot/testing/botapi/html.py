"""Telegram-flavoured HTML -> plain text and entities, as the Bot API parses ``parse_mode=HTML``."""

import re

from bot.testing.botapi.model import JSONDict
from bot.testing.botapi.params import ApiFailure, bad_request, utf16_len

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_NAME_RE = re.compile(r"[A-Za-z][-A-Za-z0-9]*")
_ATTR_RE = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_CHARREF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]+);")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL_RE = re.compile(r"[<&]")


def _parse_error(reason: str) -> ApiFailure:
    return bad_request(f"can't parse entities: {reason}")


def _decode_charref(ref: str) -> str | None:
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        # No character behind 0, a surrogate or past U+10FFFF: the reference stays as text.
        if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return None
        return chr(code)
    return _NAMED_REFS.get(ref)


def _tag_entity(
    name: str, attrs: dict[str, str], stack: list[tuple[str, JSONDict | None, int]], where: int
) -> JSONDict | None:
    kind = _TAG_ENTITY.get(name)
    if kind is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
        raise _parse_error(f'Unsupported start tag "{name}" at byte offset {where}')
    if name == "a":
        href = attrs.get("href")
        return {"type": "text_link", "url": href} if href else None
    if name == "code" and stack and stack[-1][0] == "pre":
        # Telegram folds <pre><code class="language-x"> into one pre entity with a language.
        language = attrs.get("class", "")
        pre_entity = stack[-1][1]
        if pre_entity is not None and language.startswith("language-"):
            pre_entity["language"] = language.removeprefix("language-")
        return None
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Turn Telegram-flavoured HTML into plain text and entities, as the Bot API does."""
    out: list[str] = []
    position = 0
    stack: list[tuple[str, JSONDict | None, int]] = []
    entities: list[JSONDict] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            where = len(source[:index].encode("utf-8"))
            end = source.find(">", index)
            if end < 0:
                raise _parse_error(f"Unclosed start tag at byte offset {where}")
            inner = source[index + 1 : end].strip()
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _parse_error(f'Unexpected end tag "{name}" at byte offset {where}')
                open_name, entity, start = stack.pop()
                if name != open_name:
                    raise _parse_error(
                        f'Unmatched end tag at byte offset {where}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                if entity is not None and position > start:
                    entities.append({**entity, "offset": start, "length": position - start})
            else:
                match = _TAG_NAME_RE.match(inner)
                name = match.group(0).lower() if match else ""
                attrs = {
                    m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                    for m in _ATTR_RE.finditer(inner[len(name) :])
                }
                stack.append((name, _tag_entity(name, attrs, stack, where), position))
            index = end + 1
            continue
        if char == "&":
            ref = _CHARREF_RE.match(source, index)
            decoded = _decode_charref(ref.group(1)) if ref else None
            if ref is not None and decoded is not None:
                out.append(decoded)
                position += utf16_len(decoded)
                index = ref.end()
                continue
        # A run of plain text up to the next tag or character reference, taken whole: a long
        # answer would otherwise cost one UTF-16 encoding per character.
        special = _SPECIAL_RE.search(source, index + 1)
        run_end = special.start() if special else len(source)
        run = source[index:run_end]
        out.append(run)
        position += utf16_len(run)
        index = run_end
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), [
        {"type": e["type"], "offset": e["offset"], "length": e["length"]}
        | {k: v for k, v in e.items() if k not in ("type", "offset", "length")}
        for e in ordered
    ]
