"""The resident's main menu: a reply keyboard whose buttons features contribute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update

from bot.kernel.i18n import LANGUAGES, Translator, translator
from bot.ptb.context import BotContext

# Any feature's context: each names its own needs (BotContext[TipsNeeds], ...).
Callback = Callable[[Update, BotContext[Any]], Awaitable[object]]

# Who sees a button: "resident", or an officer's role ("admin", "officer", "analyst"; the core
# knows roles only as words, bot.officers gives them meaning).
RESIDENT: Final = "resident"
RESIDENTS: Final[frozenset[str]] = frozenset({RESIDENT})


@dataclass(frozen=True)
class MenuEntry:
    """One button of the main menu: its catalog key, what it does, where it sits, and for whom."""

    key: str
    callback: Callback
    order: int
    audiences: frozenset[str] = RESIDENTS


class MainMenu:
    """Collect menu buttons from features and render them in any language."""

    def __init__(self) -> None:
        self._entries: list[MenuEntry] = []

    def add(
        self,
        key: str,
        callback: Callback,
        *,
        order: int,
        audiences: frozenset[str] = RESIDENTS,
    ) -> None:
        """Add a button for `audiences`; lower `order` comes first, two buttons a row.

        One key may be added once per audience, each time with its own callback (the help of a
        resident is not an officer's).
        """
        self._entries.append(MenuEntry(key, callback, order, audiences))
        self._entries.sort(key=lambda entry: entry.order)

    def keyboard(self, t: Translator, audience: str = RESIDENT) -> ReplyKeyboardMarkup:
        """Return the audience's menu as a persistent reply keyboard in the t's language."""
        labels = [
            KeyboardButton(t.label(entry.key))
            for entry in self._entries
            if audience in entry.audiences
        ]
        rows = [labels[index : index + 2] for index in range(0, len(labels), 2)]
        return ReplyKeyboardMarkup(
            rows,
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=t.label("menu.placeholder"),
        )

    def entry_for(self, text: str, audience: str = RESIDENT) -> MenuEntry | None:
        """Return the audience's entry whose label, in any language, is `text`."""
        for entry in self._entries:
            if audience in entry.audiences and any(
                translator(language).label(entry.key) == text for language in LANGUAGES
            ):
                return entry
        return None

    def labels(self) -> set[str]:
        """Return every button label of every audience in every language (for the filter)."""
        return {
            translator(language).label(entry.key)
            for entry in self._entries
            for language in LANGUAGES
        }
