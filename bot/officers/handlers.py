"""Admin commands over the officers' registry, and /whoami for every officer.

/officers                      list the registry
/addofficer [ID] ROLE [UNIT]   add (or restore) a person: by id, by replying to one of their
                               messages, or, without either, by forwarding one afterwards
/setrole [ID] ROLE [UNIT]      change a role (officers and analysts keep their unit if none given)
/setunit [ID] UNIT             move an officer or analyst
/removeofficer [ID]            revoke access, after a confirmation button
/officerlog [ID]               the history of changes: who changed whom, when
/whoami                        your role, scope and commands

Every handler here is guarded (bot.officers.access); handlers parse, call the service, reply.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, Final, TypeAlias

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
)
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.kernel.i18n import N_, Language, Translator, translator
from bot.kernel.refusal import Refusal
from bot.kernel.telegram_text import utf16_length
from bot.officers.access import (
    ADMIN_ONLY,
    STAFF,
    Officer,
    OfficerCallback,
    guarded_commands,
    officer_callback,
    officer_command,
    officer_message,
    refuse,
)
from bot.officers.labels import (
    ACTION_KEYS,
    Person,
    local_time,
    person_label,
    record_values,
    role_label,
    scope_label,
    state_label,
)
from bot.officers.menus import (
    publish_all_officer_menus,
    publish_group_menus,
    publish_officer_menu,
)
from bot.officers.model import Role, as_role
from bot.officers.needs import OfficersNeeds
from bot.officers.repository import OfficerChange, OfficerRecord
from bot.officers.service import Actor, OfficerError, person_name
from bot.ptb.application import TipsApplication
from bot.ptb.context import BotContext
from bot.ptb.messaging import reply_in_chat, send_text
from bot.ptb.refusals import answers_refusals
from bot.units import Unit
from bot.units.lookup import InputError, shown, unit_label

log = logging.getLogger(__name__)

Context: TypeAlias = BotContext[OfficersNeeds]

# Conversation state of /addofficer while it waits for the person (a forward, a contact, an id).
WAIT_PERSON: Final = 0
ADD_TIMEOUT_SECONDS: Final = 600
_PENDING = "officers.pending_add"

REMOVE_CALLBACK: Final = "off:rm:"
KEEP_CALLBACK: Final = "off:keep:"

# Commands with arguments are short; a longer text is a paste gone wrong, not a request.
MAX_COMMAND_LENGTH: Final = 300
HISTORY_LENGTH: Final = 20
# Telegram user ids are positive and below 2**52; groups and channels are negative.
_USER_ID = re.compile(r"[1-9]\d{0,15}")
_ID_ATTEMPT = re.compile(r"[-+]?\d")

# New messages only: editing an old "/setrole ..." must not run it a second time.
PRIVATE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
PRIVATE_OR_GROUP = filters.UpdateType.MESSAGE & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)

# ---------------------------------------------------------------- parsing


def _arguments(update: Update, context: Context) -> list[str]:
    message = update.effective_message
    if message is not None and utf16_length(message.text or "") > MAX_COMMAND_LENGTH:
        raise InputError(N_("officers.error.too_long"), limit=MAX_COMMAND_LENGTH)
    return list(context.args or [])


def _user_id(token: str, context: Context) -> int:
    cleaned = token.strip()
    if not _USER_ID.fullmatch(cleaned):
        raise InputError(N_("officers.error.bad_id"), value=shown(cleaned))
    user_id = int(cleaned)
    if user_id == context.bot.id:
        raise InputError(N_("officers.error.is_bot"))
    return user_id


def person_in(message: Message, language: str) -> Person:
    """Return the person a message stands for: a forward's author, a contact, or its sender.

    Their name is written in the order of `language` (the registering admin's, as the person's
    own is unknown for a contact): family name first in Vietnamese.
    """
    origin = message.forward_origin
    user: User | None
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
    elif isinstance(origin, MessageOriginHiddenUser):
        # The author hides their account in forwards (a Telegram privacy setting).
        raise InputError(N_("officers.error.hidden_forward"))
    elif origin is not None:
        raise InputError(N_("officers.error.not_a_person"))
    elif message.contact is not None:
        contact = message.contact
        if contact.user_id is None:
            raise InputError(N_("officers.error.contact_without_account"))
        return Person(contact.user_id, person_name(contact.first_name, contact.last_name, language))
    else:
        user = message.from_user
    if user is None:
        raise InputError(N_("officers.error.not_a_person"))
    if user.is_bot:
        raise InputError(N_("officers.error.is_bot"))
    return Person(user.id, person_name(user.first_name, user.last_name, language))


def _replied_message(update: Update) -> Message | None:
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return None
    reply = message.reply_to_message
    # In a forum topic every message "replies" to the topic's first message; that is no reply.
    if message.is_topic_message and reply.message_id == message.message_thread_id:
        return None
    return reply


def _target(update: Update, context: Context, args: list[str]) -> tuple[Person | None, list[str]]:
    """Split off who the command is about: a leading id, or the author of the replied message."""
    if args and _ID_ATTEMPT.match(args[0]):
        return Person(_user_id(args[0], context)), args[1:]
    reply = _replied_message(update)
    if reply is not None:
        return person_in(reply, context.t.language), args
    return None, args


def _role(token: str | None) -> Role:
    if token is None:
        raise InputError(N_("officers.error.missing_role"))
    role = as_role(token)
    if role is None:
        raise InputError(N_("officers.error.bad_role"), value=shown(token))
    return role


async def _unit_for_role(
    services: OfficersNeeds, role: Role, words: list[str], language: Language
) -> Unit | None:
    """Return the unit named by `words` for an officer or analyst; None for an admin."""
    if role == "admin":
        if words:
            raise InputError(N_("officers.error.admin_has_no_unit_arg"))
        return None
    if not words:
        raise InputError(N_("officers.error.need_unit_arg"))
    return await services.units.resolve(" ".join(words), within=None, language=language)


def _names_the_person(callback: OfficerCallback) -> OfficerCallback:
    """Fill a refused change's person, role and unit in the reader's language (see OfficerError)."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: Context, officer: Officer) -> object:
        try:
            return await callback(update, context, officer)
        except OfficerError as error:
            person = None if error.user_id is None else Person(error.user_id)
            values = await record_values(context.services, context.t, error.record, person)
            raise Refusal(error.key, **values) from error

    return wrapper


def _answers_errors(callback: OfficerCallback) -> OfficerCallback:
    """Answer refused input and refused changes (bot.ptb.refusals) in the chat, and return
    None: stay in (or do not enter) a conversation."""
    return answers_refusals(_names_the_person(callback))


# ---------------------------------------------------------------- after a change


async def _after_change(context: Context, record: OfficerRecord) -> None:
    """Refresh the person's menu and send them the notice the change left waiting."""
    application = context.application
    if isinstance(application, TipsApplication):
        try:
            await publish_officer_menu(application, record.user_id)
        except TelegramError as error:
            # The change is committed; the menu follows at the next change or restart.
            log.warning("could not refresh an officer menu: %s", error)
    await deliver_waiting_notice(context.bot, context.services, record.user_id)


async def deliver_waiting_notice(bot: Bot, services: OfficersNeeds, user_id: int) -> None:
    """Send a person the notice waiting for them; if Telegram refuses, it waits for their Start.

    A bot may not write first to someone who never started it. What the admin is told must not
    depend on that (it would tell them who has used the bot), so the notice just waits.
    """
    notice = await services.officers.waiting_notice(user_id)
    if notice is None:
        return
    record = await services.officers.record(user_id)
    t = translator(await services.language_of(user_id))
    values = await record_values(services, t, record, None)
    try:
        await send_text(bot, user_id, t(notice.key, **values))
    except TelegramError as error:
        log.info("an officer's notice waits for their next Start: %s", error)
        return
    await services.officers.notice_sent(notice)


async def _confirm_change(context: Context, t: Translator, record: OfficerRecord, key: str) -> str:
    """Tell the person about a committed change; return the admin's confirmation `key`."""
    await _after_change(context, record)
    values = await record_values(context.services, t, record, None)
    return t(key, **values)


async def notice_on_start(update: Update, context: Context) -> None:
    """Give someone who presses Start the notice that waited for them."""
    user = update.effective_user
    if user is not None:
        await deliver_waiting_notice(context.bot, context.services, user.id)


# ---------------------------------------------------------------- commands


@_answers_errors
async def list_officers(update: Update, context: Context, officer: Officer) -> object:
    """List the active officers by role, with their units; count the revoked ones."""
    services = context.services
    t = context.t
    _arguments(update, context)
    records = await services.officers.records(active_only=False)
    by_id = {record.user_id: record for record in records}
    units = {unit.id: unit for unit in await services.units.all()}
    sections: dict[Role, list[str]] = {"admin": [], "officer": [], "analyst": []}
    for user_id in sorted(services.officers.config_admins):
        known = by_id.get(user_id)
        name = services.officers.name_of(user_id, known.display_name if known else "")
        sections["admin"].append(t("officers.list.config_line", person=person_label(name, user_id)))
    for record in records:
        if not record.active or record.user_id in services.officers.config_admins:
            continue
        label = person_label(record.display_name, record.user_id)
        if record.unit_id is None:
            sections[record.role].append(t("officers.list.admin_line", person=label))
        else:
            unit = units.get(record.unit_id)
            where = unit_label(unit, t.language) if unit else str(record.unit_id)
            sections[record.role].append(t("officers.list.line", person=label, unit=where))
    total = sum(len(lines) for lines in sections.values())
    parts = [t("officers.list.title", count=total)]
    headings = {
        "admin": t("officers.list.admins"),
        "officer": t("officers.list.officers"),
        "analyst": t("officers.list.analysts"),
    }
    for role, lines in sections.items():
        if lines:
            parts.append(headings[role] + "\n" + "\n".join(lines))
    revoked = sum(
        1
        for record in records
        if not record.active and record.user_id not in services.officers.config_admins
    )
    if revoked:
        parts.append(t("officers.list.revoked", count=revoked))
    if total == 0:
        parts.append(t("officers.list.empty"))
    await reply_in_chat(update, context, "\n\n".join(parts))
    return None


@_answers_errors
async def add_officer(update: Update, context: Context, officer: Officer) -> object:
    """Add a person: by id or reply at once, otherwise ask for a forwarded message."""
    services = context.services
    t = context.t
    args = _arguments(update, context)
    if not args:
        await reply_in_chat(update, context, t("officers.add.usage"))
        return ConversationHandler.END
    person, rest = _target(update, context, args)
    role = _role(rest[0] if rest else None)
    unit = await _unit_for_role(services, role, rest[1:], t.language)
    if person is None:
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            raise InputError(N_("officers.error.who"))
        if context.user_data is not None:
            context.user_data[_PENDING] = (role, None if unit is None else unit.id)
        await reply_in_chat(update, context, t("officers.add.ask_person"))
        return WAIT_PERSON
    await _add(update, context, officer, person, role, unit)
    return ConversationHandler.END


@_answers_errors
async def add_officer_person(update: Update, context: Context, officer: Officer) -> object:
    """Take the person to add from a forwarded message, a shared contact or a typed id."""
    services = context.services
    message = update.effective_message
    pending = (context.user_data or {}).get(_PENDING)
    if message is None or pending is None:
        return ConversationHandler.END
    if message.forward_origin is not None or message.contact is not None:
        person = person_in(message, context.t.language)
    else:
        text = (message.text or "").strip()
        if utf16_length(text) > MAX_COMMAND_LENGTH or not _ID_ATTEMPT.match(text):
            raise InputError(N_("officers.error.person_expected"))
        person = Person(_user_id(text, context))
    role, unit_id = pending
    unit = None if unit_id is None else await services.units.by_id(unit_id)
    await _add(update, context, officer, person, role, unit)
    if context.user_data is not None:
        context.user_data.pop(_PENDING, None)
    return ConversationHandler.END


async def add_officer_cancel(update: Update, context: Context) -> int:
    """Stop waiting for the person to add."""
    if context.user_data is not None:
        context.user_data.pop(_PENDING, None)
    t = context.t
    await reply_in_chat(update, context, t("officers.add.cancelled"))
    return ConversationHandler.END


async def _add(
    update: Update,
    context: Context,
    officer: Officer,
    person: Person,
    role: Role,
    unit: Unit | None,
) -> None:
    services = context.services
    t = context.t
    known = await services.officers.record(person.user_id)
    name = person.name or (known.display_name if known else "")
    try:
        record = await services.officers.add(
            Actor(officer.user_id), person.user_id, role, unit, display_name=name
        )
    except OfficerError as error:
        values = await record_values(services, t, error.record, Person(person.user_id, name))
        await reply_in_chat(update, context, t(error.key, **values))
        return
    key = N_("officers.added") if known is None else N_("officers.restored")
    text = await _confirm_change(context, t, record, key)
    # The same words whether or not the person ever started the bot (see deliver_waiting_notice).
    await reply_in_chat(update, context, text + "\n" + t("officers.notify.promise"))


@_answers_errors
async def set_role(update: Update, context: Context, officer: Officer) -> object:
    """Change a person's role (and unit, when one is given or needed)."""
    services = context.services
    t = context.t
    args = _arguments(update, context)
    if not args:
        await reply_in_chat(update, context, t("officers.setrole.usage"))
        return None
    person, rest = _target(update, context, args)
    if person is None:
        raise InputError(N_("officers.error.who"))
    role = _role(rest[0] if rest else None)
    if role == "admin" and rest[1:]:
        raise InputError(N_("officers.error.admin_has_no_unit_arg"))
    unit = None
    if rest[1:]:
        unit = await services.units.resolve(" ".join(rest[1:]), within=None, language=t.language)
    record = await services.officers.change_role(Actor(officer.user_id), person.user_id, role, unit)
    text = await _confirm_change(context, t, record, N_("officers.changed"))
    await reply_in_chat(update, context, text)
    return None


@_answers_errors
async def set_unit(update: Update, context: Context, officer: Officer) -> object:
    """Move an officer or analyst to another unit."""
    services = context.services
    t = context.t
    args = _arguments(update, context)
    if not args:
        await reply_in_chat(update, context, t("officers.setunit.usage"))
        return None
    person, rest = _target(update, context, args)
    if person is None:
        raise InputError(N_("officers.error.who"))
    if not rest:
        raise InputError(N_("units.error.missing"))
    unit = await services.units.resolve(" ".join(rest), within=None, language=t.language)
    record = await services.officers.change_unit(Actor(officer.user_id), person.user_id, unit)
    text = await _confirm_change(context, t, record, N_("officers.changed"))
    await reply_in_chat(update, context, text)
    return None


def _signed(services: OfficersNeeds, admin_id: int, user_id: int, version: int) -> str:
    return services.keyring.sign(f"{REMOVE_CALLBACK}{admin_id}:{user_id}:{version}")


@_answers_errors
async def remove_officer(update: Update, context: Context, officer: Officer) -> object:
    """Ask the admin to confirm revoking a person's access."""
    services = context.services
    t = context.t
    args = _arguments(update, context)
    person, rest = _target(update, context, args)
    if person is None:
        await reply_in_chat(update, context, t("officers.remove.usage"))
        return None
    if rest:
        raise InputError(N_("officers.error.extra"), value=shown(" ".join(rest)))
    if person.user_id in services.officers.config_admins:
        raise OfficerError(N_("officers.error.config_admin"), user_id=person.user_id)
    record = await services.officers.record(person.user_id)
    if record is None or not record.active:
        raise OfficerError(N_("officers.error.not_officer"), user_id=person.user_id)
    signature = _signed(services, officer.user_id, record.user_id, record.version)
    data = f"{REMOVE_CALLBACK}{record.user_id}:{record.version}:{signature}"
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.label("officers.remove.yes"), callback_data=data),
                InlineKeyboardButton(
                    t.label("officers.remove.no"), callback_data=f"{KEEP_CALLBACK}{record.user_id}"
                ),
            ]
        ]
    )
    values = await record_values(services, t, record, None)
    await reply_in_chat(update, context, t("officers.remove.confirm", **values), markup)
    return None


async def remove_confirmed(update: Update, context: Context, officer: Officer) -> object:
    """Revoke access once the admin confirms, unless the button is forged or out of date."""
    query = update.callback_query
    if query is None:
        return None
    services = context.services
    t = context.t
    parts = (query.data or "").removeprefix(REMOVE_CALLBACK).split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts[:2]):
        await refuse(update, context)
        return None
    user_id, version, signature = int(parts[0]), int(parts[1]), parts[2]
    expected = f"{REMOVE_CALLBACK}{officer.user_id}:{user_id}:{version}"
    if not services.keyring.verify(expected, signature):
        # Forged, or made for another admin: the same answer as any dead button.
        await refuse(update, context)
        return None
    try:
        record = await services.officers.remove(
            Actor(officer.user_id), user_id, expected_version=version
        )
    except OfficerError as error:
        values = await record_values(services, t, error.record, Person(user_id))
        await query.answer()
        await query.edit_message_text(t(error.key, **values))
        return None
    await query.answer()
    text = await _confirm_change(context, t, record, N_("officers.removed"))
    await query.edit_message_text(text)
    return None


async def remove_kept(update: Update, context: Context, officer: Officer) -> object:
    """Leave the person's access as it is."""
    query = update.callback_query
    if query is None:
        return None
    t = context.t
    await query.answer()
    await query.edit_message_text(t("officers.remove.kept"))
    return None


@_answers_errors
async def officer_log(update: Update, context: Context, officer: Officer) -> object:
    """Show the latest changes to the registry, or those of one person."""
    services = context.services
    t = context.t
    args = _arguments(update, context)
    person, rest = _target(update, context, args)
    if rest:
        raise InputError(N_("officers.error.extra"), value=shown(" ".join(rest)))
    changes = await services.officers.history(
        officer_id=None if person is None else person.user_id, limit=HISTORY_LENGTH
    )
    if not changes:
        await reply_in_chat(update, context, t("officers.log.empty"))
        return None
    lines = [t("officers.log.title", count=len(changes))]
    lines.extend(_change_line(services, t, change) for change in changes)
    await reply_in_chat(update, context, "\n".join(lines))
    return None


def _change_line(services: OfficersNeeds, t: Translator, change: OfficerChange) -> str:
    names = services.officers
    if change.actor_via == "cli" or change.actor_id is None:
        actor = t.label("officers.log.cli")
    else:
        actor = person_label(names.name_of(change.actor_id, change.actor_name), change.actor_id)
    return t(
        ACTION_KEYS[change.action],
        at=local_time(services, change.at),
        actor=actor,
        person=person_label(
            names.name_of(change.officer_id, change.officer_name), change.officer_id
        ),
        old=state_label(t, change.before),
        new=state_label(t, change.after),
    )


async def whoami(update: Update, context: Context, officer: Officer) -> object:
    """Tell an officer their role, their scope and the commands they can use."""
    services = context.services
    t = context.t
    scope = await scope_label(services, t, officer.unit_id)
    lines = [t("officers.whoami", role=role_label(t, officer.role), unit=scope)]
    if officer.from_config:
        lines.append(t("officers.whoami.config"))
    commands = [
        command
        for command in guarded_commands(context.application)
        if officer.role in command.roles
    ]
    lines.extend(
        t("officers.whoami.command", command=command.name, description=t.label(command.description))
        for command in commands
    )
    await reply_in_chat(update, context, "\n".join(lines))
    return None


# ---------------------------------------------------------------- wiring


def start_handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return what /start does for officers: it goes in a group before core's /start."""
    return [CommandHandler("start", notice_on_start, filters=PRIVATE)]


def handlers() -> list[BaseHandler[Update, Context, object]]:
    """Return the registry's handlers; they go before the core fallbacks."""
    add_person_message = PRIVATE & (
        filters.FORWARDED | filters.CONTACT | (filters.TEXT & ~filters.COMMAND)
    )
    adding = ConversationHandler(
        entry_points=[
            officer_command(
                "addofficer",
                add_officer,
                roles=ADMIN_ONLY,
                description=N_("command.addofficer"),
                filters=PRIVATE_OR_GROUP,
            )
        ],
        states={
            WAIT_PERSON: [officer_message(add_person_message, add_officer_person, roles=ADMIN_ONLY)]
        },
        fallbacks=[CommandHandler("cancel", add_officer_cancel)],
        name="officers.add",
        conversation_timeout=ADD_TIMEOUT_SECONDS,
    )
    return [
        officer_command(
            "officers", list_officers, roles=ADMIN_ONLY, description=N_("command.officers")
        ),
        adding,
        officer_command(
            "setrole",
            set_role,
            roles=ADMIN_ONLY,
            description=N_("command.setrole"),
            filters=PRIVATE_OR_GROUP,
        ),
        officer_command(
            "setunit",
            set_unit,
            roles=ADMIN_ONLY,
            description=N_("command.setunit"),
            filters=PRIVATE_OR_GROUP,
        ),
        officer_command(
            "removeofficer",
            remove_officer,
            roles=ADMIN_ONLY,
            description=N_("command.removeofficer"),
        ),
        officer_command(
            "officerlog", officer_log, roles=ADMIN_ONLY, description=N_("command.officerlog")
        ),
        officer_command("whoami", whoami, roles=STAFF, description=N_("command.whoami")),
        officer_callback(f"^{REMOVE_CALLBACK}", remove_confirmed, roles=ADMIN_ONLY),
        officer_callback(f"^{KEEP_CALLBACK}", remove_kept, roles=ADMIN_ONLY),
    ]


async def on_startup(application: TipsApplication[Any]) -> None:
    """Check the officers' chats and bring the officers' and their groups' menus up to date."""
    await application.services.officers.check_chats(application.bot)
    await publish_all_officer_menus(application)
    await publish_group_menus(application, application.services)
