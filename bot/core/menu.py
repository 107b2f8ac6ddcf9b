"""The resident's main menu: a reply keyboard whose buttons features contribute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update

from bot.kernel.i18n import LANGUAGES, Translator, translator
from bot.ptb.context import BotContext

if TYPE_CHECKING:
    from bot.services import Services


Callback = Callable[[Update, BotContext["Services"]], Awaitable[object]]


@dataclass(frozen=True)
class MenuEntry:
    """One button of the main menu: its catalog key, what it does, and where it sits."""

    key: str
    callback: Callback
    order: int


class MainMenu:
    """Collect menu buttons from features and render them in any language."""

    def __init__(self) -> None:
        self._entries: list[MenuEntry] = []

    def add(self, key: str, callback: Callback, *, order: int) -> None:
        """Add a button; lower `order` comes first, two buttons a row."""
        self._entries.append(MenuEntry(key, callback, order))
        self._entries.sort(key=lambda entry: entry.order)

    def keyboard(self, t: Translator) -> ReplyKeyboardMarkup:
        """Return the menu as a persistent reply keyboard in the translator's language."""
        labels = [KeyboardButton(t.label(entry.key)) for entry in self._entries]
        rows = [labels[index : index + 2] for index in range(0, len(labels), 2)]
        return ReplyKeyboardMarkup(
            rows,
            resize_keyboard=True,
            is_persistent=True,
            input_field_placeholder=t.label("menu.placeholder"),
        )

    def entry_for(self, text: str) -> MenuEntry | None:
        """Return the entry whose label, in any language, is `text`."""
        for entry in self._entries:
            if any(translator(language).label(entry.key) == text for language in LANGUAGES):
                return entry
        return None

    def labels(self) -> set[str]:
        """Return every button label in every language (for the handler's filter)."""
        return {
            translator(language).label(entry.key)
            for entry in self._entries
            for language in LANGUAGES
        }
