"""The command menu Telegram shows, per chat scope and language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeDefault

from bot.kernel.i18n import LANGUAGES, Language, translator

if TYPE_CHECKING:
    from telegram import Bot

# (command, catalog key of its description) shown to everyone in a private chat.
RESIDENT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "command.start"),
    ("tip", "command.tip"),
    ("mytips", "command.mytips"),
    ("status", "command.status"),
    ("help", "command.help"),
    ("language", "command.language"),
    ("cancel", "command.cancel"),
)


def resident_commands(language: Language) -> list[BotCommand]:
    """Return the resident commands with descriptions in one language."""
    t = translator(language)
    return [BotCommand(name, t.label(key)) for name, key in RESIDENT_COMMANDS]


async def publish_commands(bot: Bot, default_language: Language) -> None:
    """Set the command menus: private chats per language, and the default language as fallback."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        await bot.set_my_commands(resident_commands(language), scope=scope, language_code=language)
    default = resident_commands(default_language)
    await bot.set_my_commands(default, scope=scope)
    # Groups (such as the officers' chat) get no resident commands in the default scope.
    await bot.delete_my_commands(scope=BotCommandScopeDefault())
