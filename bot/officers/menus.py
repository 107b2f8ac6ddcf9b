"""Officers' command menus: chat-scoped, per language, republished when the registry changes.

Residents see the resident commands (bot.ptb.commands, scope "all private chats"). An officer's
private chat gets its own scope listing the resident commands plus the guarded commands their
role may use, in Vietnamese and English, and in their chosen language for clients in any other
language. A digest of what was published is kept, so a restart touches only menus that changed
and clears the menus of people who are no longer officers.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.core.help import RESIDENT_EXAMPLES
from bot.kernel.i18n import LANGUAGES, N_, Language, translator
from bot.officers.access import GuardedCommand, guarded_commands
from bot.officers.model import Officer
from bot.officers.needs import OfficersNeeds
from bot.ptb.commands import resident_commands

if TYPE_CHECKING:
    from bot.ptb.application import TipsApplication

log = logging.getLogger(__name__)

# One example per command of any officer's menu (the resident commands' come from the core):
# /help shows it next to the menu's description. tests/officers/test_help.py fails on a menu
# command without one.
OFFICER_EXAMPLES: Final[Mapping[str, str]] = {
    **RESIDENT_EXAMPLES,
    "officers": N_("help.example.officers"),
    "addofficer": N_("help.example.addofficer"),
    "setrole": N_("help.example.setrole"),
    "setunit": N_("help.example.setunit"),
    "removeofficer": N_("help.example.removeofficer"),
    "officerlog": N_("help.example.officerlog"),
    "whoami": N_("help.example.whoami"),
    "units": N_("help.example.units"),
    "importunits": N_("help.example.importunits"),
    "exportunits": N_("help.example.exportunits"),
    "record": N_("help.example.record"),
    "import": N_("help.example.import"),
    "figures": N_("help.example.figures"),
    "report": N_("help.example.report"),
    "stats": N_("help.example.stats"),
    "export": N_("help.example.export"),
    "indicators": N_("help.example.indicators"),
    "add_indicator": N_("help.example.add_indicator"),
    "tips": N_("help.example.tips"),
    "assign": N_("help.example.assign"),
    "note": N_("help.example.note"),
    "transfer": N_("help.example.transfer"),
    "ask": N_("help.example.ask"),
    "overdue": N_("help.example.overdue"),
    "file": N_("help.example.file"),
    "audit": N_("help.example.audit"),
    "deadletters": N_("help.example.deadletters"),
}


def officer_commands(
    officer: Officer, commands: list[GuardedCommand], language: Language
) -> list[BotCommand]:
    """Return the menu of an officer in one language: resident commands, then theirs."""
    t = translator(language)
    own = [
        BotCommand(command.name, t.label(command.description))
        for command in commands
        if officer.role in command.roles
    ]
    return [*resident_commands(language), *own]


def menu_of(
    application: Application[Any, Any, Any, Any, Any, Any], officer: Officer, language: Language
) -> list[BotCommand]:
    """Return the menu an officer's private chat is published with, in one language.

    /help lists exactly this (bot.officers.help), so help and menu cannot drift apart.
    """
    return officer_commands(officer, guarded_commands(application), language)


def _digest(menus: dict[str, list[BotCommand]] | None) -> str | None:
    if menus is None:
        return None
    plain = {
        key: [[command.command, command.description] for command in commands]
        for key, commands in menus.items()
    }
    encoded = json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


async def publish_officer_menu(application: TipsApplication[Any], user_id: int) -> bool:
    """Publish (or clear) one person's officer menu if it changed; say whether it is current.

    Telegram refusing this person's menu returns False; a network failure raises TelegramError.
    """
    services: OfficersNeeds = application.services
    officer = await services.officers.officer(user_id)
    menus: dict[str, list[BotCommand]] | None = None
    if officer is not None:
        menus = {language: menu_of(application, officer, language) for language in LANGUAGES}
        menus[""] = menu_of(application, officer, await services.language_of(user_id))
    digest = _digest(menus)
    if digest == await services.officers.menu_digest(user_id):
        return True
    scope = BotCommandScopeChat(user_id)
    bot = application.bot
    try:
        if menus is None:
            for language in LANGUAGES:
                await bot.delete_my_commands(scope=scope, language_code=language)
            await bot.delete_my_commands(scope=scope)
        else:
            for key, menu in menus.items():
                await bot.set_my_commands(menu, scope=scope, language_code=key or None)
    except (BadRequest, Forbidden) as error:
        # Typically "chat not found": the person has not opened the bot yet. The digest is not
        # stored, so the next change or restart tries again.
        log.warning("could not publish an officer menu: %s", error)
        return False
    await services.officers.set_menu_digest(user_id, digest, services.clock.now())
    return True


async def publish_all_officer_menus(application: TipsApplication[Any]) -> None:
    """Bring every officer's menu up to date and clear those of former officers."""
    people = await application.services.officers.everyone_with_a_menu()
    published = 0
    for user_id in sorted(people):
        try:
            if await publish_officer_menu(application, user_id):
                published += 1
        except TelegramError as error:
            # Telegram is unreachable: waiting out a timeout per officer would only delay the
            # start. Menus that were not published are retried at the next start or change.
            log.warning("officer menus: stopped after a network failure: %s", error)
            break
    log.info("officer menus: %d of %d up to date", published, len(people))
