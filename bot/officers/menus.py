"""Officers' command menus: chat-scoped, per language, republished when the registry changes.

Residents see the resident commands (bot.ptb.commands, scope "all private chats"). An officer's
private chat gets its own scope listing the resident commands plus the guarded commands their
role may use, in Vietnamese and English, and in their chosen language for clients in any other
language. A digest of what was published is kept, so a restart touches only menus that changed
and clears the menus of people who are no longer officers.

Each officers' group (OFFICER_CHAT_ID and every unit's own chat) gets a menu of its own, scoped
to that chat (BotCommandScopeChat): exactly the commands that answer in the group. The chat
scope, not BotCommandScopeAllGroupChats (that would show officers' commands in every group the
bot is in, residents' groups too) nor BotCommandScopeChatAdministrators (officers need not be
the group's administrators). Its members who are not officers see the names, get silence.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.core.help import RESIDENT_EXAMPLES
from bot.kernel.config import Settings
from bot.kernel.i18n import LANGUAGES, N_, Language, translator
from bot.officers.access import ANSWERED_IN_OFFICERS_CHATS, GuardedCommand, guarded_commands
from bot.officers.model import Officer
from bot.officers.needs import OfficersNeeds
from bot.officers.service import OfficersService
from bot.ptb.commands import resident_commands
from bot.units import UnitDirectory

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


def group_menu(
    application: Application[Any, Any, Any, Any, Any, Any], language: Language
) -> list[BotCommand]:
    """Return the menu of an officers' group in one language: the commands answered there.

    It is what an officer's /help in the group says answers there (bot.officers.help, the
    officer's menu filtered by ANSWERED_IN_OFFICERS_CHATS), for every role at once: a group is
    shared by officers of several roles, and each command checks the role of who typed it.
    """
    t = translator(language)
    menu = [c for c in resident_commands(language) if c.command in ANSWERED_IN_OFFICERS_CHATS]
    listed = {command.command for command in menu}
    for command in guarded_commands(application):
        if command.name in ANSWERED_IN_OFFICERS_CHATS and command.name not in listed:
            menu.append(BotCommand(command.name, t.label(command.description)))
            listed.add(command.name)
    return menu


class GroupMenuNeeds(Protocol):
    """What publishing the groups' menus reads: OFFICER_CHAT_ID, the units' chats, the default
    language (both the registry commands' and the unit commands' services have them)."""

    @property
    def officers(self) -> OfficersService:
        """The registry, which knows OFFICER_CHAT_ID."""
        ...

    @property
    def units(self) -> UnitDirectory:
        """The unit tree, which knows the units' own chats."""
        ...

    @property
    def settings(self) -> Settings:
        """The configuration (the default language)."""
        ...


async def officers_chats(services: GroupMenuNeeds) -> list[int]:
    """Return every officers' chat: OFFICER_CHAT_ID and each unit's own, without repeats."""
    chats = [services.officers.officer_chat_id]
    chats += [unit.chat_id for unit in await services.units.with_chats()]
    return sorted({chat for chat in chats if chat is not None})


async def publish_group_menus(
    application: Application[Any, Any, Any, Any, Any, Any], services: GroupMenuNeeds
) -> int:
    """Publish the group menu in every officers' chat; return in how many it now stands.

    A chat Telegram refuses (the bot is not in it) is logged and skipped; a network failure
    stops the round (the next start or chat change publishes again).
    """
    menus = {language: group_menu(application, language) for language in LANGUAGES}
    # Clients in any other language get the default language's menu.
    default = menus[services.settings.default_language]
    published = 0
    chats = await officers_chats(services)
    for chat_id in chats:
        scope = BotCommandScopeChat(chat_id)
        try:
            for language, menu in menus.items():
                await application.bot.set_my_commands(menu, scope=scope, language_code=language)
            await application.bot.set_my_commands(default, scope=scope)
        except (BadRequest, Forbidden) as error:
            log.warning("could not publish the menu of officers' chat %s: %s", chat_id, error)
            continue
        except TelegramError as error:
            log.warning("group menus: stopped after a network failure: %s", error)
            break
        published += 1
    log.info("group menus: %d of %d officers' chats up to date", published, len(chats))
    return published


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
