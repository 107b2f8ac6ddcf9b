"""The officers' chats: where new tips are posted, and the start-up check that the bot can post.

OFFICER_CHAT_ID is the default; a unit may name its own chat (units.chat_id, set by the CSV
import), which then receives the tips of that unit and everything below it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, ChatMember, ChatMemberRestricted
from telegram.constants import ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.officers.model import Officer
from bot.units import UnitDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatCheck:
    """Whether the bot can post in one officers' chat, and why not."""

    chat_id: int
    source: str
    ok: bool
    title: str = ""
    problem: str = ""


async def officer_chat_for(
    units: UnitDirectory, officer_chat_id: int | None, unit_id: int | None
) -> int | None:
    """Return where tips of a unit go: its own chat, the nearest ancestor's, or OFFICER_CHAT_ID
    (`officer_chat_id`)."""
    if unit_id is not None:
        chat_id = await units.nearest_chat(unit_id)
        if chat_id is not None:
            return chat_id
    return officer_chat_id


async def serves_chat(
    units: UnitDirectory, officer_chat_id: int | None, officer: Officer, chat_id: int
) -> bool:
    """Say whether `chat_id` is an officers' chat of the officer's units.

    It is when the officer's own unit's tips go there, or a unit within their scope has it as
    its own chat; for an admin, any officers' chat. Any other group is no officers' chat of theirs.
    """
    if not officer.active:
        return False
    if officer.unit_id is not None and chat_id == await officer_chat_for(
        units, officer_chat_id, officer.unit_id
    ):
        return True
    if officer.whole_tree and chat_id == officer_chat_id:
        return True
    return any(
        unit.chat_id == chat_id and officer.covers(unit.id) for unit in await units.with_chats()
    )


async def check_chat(bot: Bot, chat_id: int, source: str) -> ChatCheck:
    """Ask Telegram whether the bot can post in a chat, without posting anything."""
    try:
        chat = await bot.get_chat(chat_id)
    except ChatMigrated as error:
        return ChatCheck(
            chat_id,
            source,
            ok=False,
            problem=f"the group became a supergroup; use its new id {error.new_chat_id}",
        )
    except Forbidden as error:
        return ChatCheck(chat_id, source, ok=False, problem=f"the bot is not allowed in: {error}")
    except BadRequest as error:
        return ChatCheck(
            chat_id,
            source,
            ok=False,
            problem=f"Telegram answers {error.message!r}; add the bot to that group or channel "
            "and check the id (groups have negative ids such as -1001234567890)",
        )
    except TelegramError as error:
        return ChatCheck(chat_id, source, ok=False, problem=f"could not be checked now: {error}")
    title = chat.title or chat.full_name or ""
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as error:
        return ChatCheck(
            chat_id, source, ok=False, title=title, problem=f"membership unknown: {error}"
        )
    problem = _posting_problem(
        chat.type,
        member,
        chat.permissions is not None and not bool(chat.permissions.can_send_messages),
    )
    return ChatCheck(chat_id, source, ok=not problem, title=title, problem=problem)


def _posting_problem(chat_type: str, member: ChatMember, members_muted: bool) -> str:
    status = member.status
    if status in (ChatMember.LEFT, ChatMember.BANNED):
        return "the bot is not a member of this chat; add it"
    if chat_type == ChatType.CHANNEL:
        if status == ChatMember.OWNER:
            return ""
        if status != ChatMember.ADMINISTRATOR or not getattr(member, "can_post_messages", False):
            return "in a channel the bot must be an administrator allowed to post messages"
        return ""
    if isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
        return "the bot is restricted and may not send messages; lift the restriction"
    if members_muted and status not in (ChatMember.ADMINISTRATOR, ChatMember.OWNER):
        return "members may not send messages in this chat; make the bot an administrator"
    return ""


async def check_officer_chats(
    bot: Bot, units: UnitDirectory, officer_chat_id: int | None
) -> list[ChatCheck]:
    """Check OFFICER_CHAT_ID and every unit's own chat, logging one clear line for each."""
    targets: list[tuple[int, str]] = []
    if officer_chat_id is None:
        log.warning(
            "OFFICER_CHAT_ID is not set: new tips will not be posted to an officers' chat "
            "(set it to the id of the officers' group, e.g. -1001234567890)"
        )
    else:
        targets.append((officer_chat_id, "OFFICER_CHAT_ID"))
    for unit in await units.with_chats():
        assert unit.chat_id is not None
        targets.append((unit.chat_id, f"the chat of unit {unit.code}"))
    checks: list[ChatCheck] = []
    for chat_id, source in targets:
        check = await check_chat(bot, chat_id, source)
        checks.append(check)
        if check.ok:
            log.info(
                "officers' chat %s (%s, %r): the bot can post there", chat_id, source, check.title
            )
        else:
            log.error(
                "officers' chat %s (%s) is NOT usable: %s. New tips for it will not reach the "
                "officers until this is fixed.",
                chat_id,
                source,
                check.problem,
            )
    return checks
