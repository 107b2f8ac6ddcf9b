"""The officers' registry: who acts for which unit, every change checked and recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import aiosqlite
from telegram import Bot

from bot.audit import AuditLog
from bot.db import Database
from bot.kernel.clock import Clock
from bot.kernel.i18n import N_
from bot.kernel.refusal import Refusal
from bot.kernel.telegram_text import clip
from bot.officers.chats import ChatCheck, check_officer_chats, officer_chat_for, serves_chat
from bot.officers.model import Officer, Role
from bot.officers.repository import (
    Action,
    OfficerChange,
    OfficerRecord,
    OfficersRepository,
    Via,
    WaitingNotice,
)
from bot.units import Unit, UnitDirectory

log = logging.getLogger(__name__)

# Officers' names come from Telegram (first + last name, at most 64 + 64 characters).
MAX_DISPLAY_NAME = 130

NOTICE_ADDED: Final = N_("officers.notify.added")
NOTICE_CHANGED: Final = N_("officers.notify.changed")
NOTICE_REMOVED: Final = N_("officers.notify.removed")
# The notice a change leaves waiting for its person until it is delivered (at once, or when they
# next press Start): (when nothing or a later notice waits, when their first contact still
# waits). Someone who never got their first contact is told of their access as it stands when
# it is sent, or, once removed, not at all.
_NEXT_NOTICE: Final[dict[Action, tuple[str, str | None]]] = {
    "add": (NOTICE_ADDED, NOTICE_ADDED),
    "restore": (NOTICE_ADDED, NOTICE_ADDED),
    "role": (NOTICE_CHANGED, NOTICE_ADDED),
    "unit": (NOTICE_CHANGED, NOTICE_ADDED),
    "remove": (NOTICE_REMOVED, None),
}


class OfficerError(Refusal):
    """A change that is refused; `key` is the catalog key of the explanation.

    Its message names the person, their role and unit (`record`, or `user_id` alone): the
    handler, which can look names and units up, fills those values in the reader's language
    before the refusal is answered (bot.officers.handlers).
    """

    def __init__(
        self, key: str, *, record: OfficerRecord | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(key)
        self.record = record
        self.user_id = record.user_id if record is not None else user_id


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an admin in Telegram, or the command line."""

    user_id: int | None
    via: Via = "telegram"

    @classmethod
    def cli(cls) -> Actor:
        """Return the actor for changes made with `python -m bot`."""
        return cls(None, "cli")

    @property
    def audit_name(self) -> str:
        """Return the actor as the audit log names it: 'officer:<telegram id>' or 'cli'."""
        return "cli" if self.user_id is None else f"officer:{self.user_id}"


def clean_name(name: str) -> str:
    """Return a display name on one line, bounded."""
    return clip(" ".join(name.split()), MAX_DISPLAY_NAME)


def person_name(first_name: str | None, last_name: str | None, language: str) -> str:
    """Return the name Telegram holds for a person in the order their language writes it.

    Telegram keeps a given name and a family name; Vietnamese writes the family name first
    («Trần Văn Minh», first_name "Minh", last_name "Trần Văn"), English the given name first.
    A name typed whole into first_name (no last_name) stays as it was typed.
    """
    parts = (last_name, first_name) if language == "vi" else (first_name, last_name)
    return clean_name(" ".join(part for part in parts if part))


class OfficersService:
    """Look officers up and change the registry; every change is one transaction with its record."""

    def __init__(
        self,
        db: Database,
        units: UnitDirectory,
        clock: Clock,
        *,
        config_admins: Iterable[int] = (),
        audit: AuditLog | None = None,
        officer_chat_id: int | None = None,
    ) -> None:
        self._db = db
        # Grants and revocations are officer actions: each is chained into the audit log in the
        # same transaction as the change itself.
        self._audit = audit
        self.units = units
        self.repository = OfficersRepository(db)
        self._clock = clock
        # ADMIN_USER_IDS: admins by configuration, whatever the registry says, so a bot can
        # always be managed and a removal from the configuration takes effect at restart.
        self.config_admins: frozenset[int] = frozenset(config_admins)
        # Names of ADMIN_USER_IDS admins as Telegram last showed them: they have no registry
        # row to keep a name in, and a list of bare ids is hard to read.
        self.config_names: dict[int, str] = {}
        # OFFICER_CHAT_ID: where tips go when their unit has no chat of its own.
        self.officer_chat_id = officer_chat_id
        # What the start-up check (`check_chats`) found: {chat id: result}.
        self.chat_checks: dict[int, ChatCheck] = {}

    async def check_chats(self, bot: Bot) -> list[ChatCheck]:
        """Check that the bot can post in every officers' chat, and keep what was found."""
        checks = await check_officer_chats(bot, self.units, self.officer_chat_id)
        self.chat_checks = {check.chat_id: check for check in checks}
        return checks

    async def chat_for(self, unit_id: int | None) -> int | None:
        """Return the officers' chat that gets the tips of a unit (bot.officers.chats)."""
        return await officer_chat_for(self.units, self.officer_chat_id, unit_id)

    async def serves_chat(self, officer: Officer, chat_id: int) -> bool:
        """Say whether a group is an officers' chat of this officer's units (bot.officers.chats)."""
        return await serves_chat(self.units, self.officer_chat_id, officer, chat_id)

    # ------------------------------------------------------------ lookups

    async def officer(self, user_id: int) -> Officer | None:
        """Return the active officer with this Telegram id and their scope, or None."""
        if user_id in self.config_admins:
            name = self.config_names.get(user_id, "")
            return Officer(user_id, "admin", None, display_name=name, from_config=True)
        record = await self.repository.get(user_id)
        if record is None or not record.active:
            return None
        return await self._officer(record)

    async def _officer(self, record: OfficerRecord) -> Officer:
        if record.role == "admin" or record.unit_id is None:
            return Officer(record.user_id, "admin", None, display_name=record.display_name)
        scope = frozenset(await self.units.subtree_ids(record.unit_id))
        return Officer(
            record.user_id,
            record.role,
            record.unit_id,
            display_name=record.display_name,
            scope=scope,
        )

    async def record(self, user_id: int) -> OfficerRecord | None:
        """Return the registry row of a person, revoked or not."""
        return await self.repository.get(user_id)

    async def menu_digest(self, user_id: int) -> str | None:
        """Return the digest of the command menu last published for a person, or None."""
        return await self.repository.menu_digest(user_id)

    async def set_menu_digest(self, user_id: int, digest: str | None, now: datetime) -> None:
        """Remember the digest of a published menu (None: the person has no officer menu)."""
        await self.repository.set_menu_digest(user_id, digest, now)

    async def records(self, *, active_only: bool = True) -> list[OfficerRecord]:
        """Return the registry, admins first."""
        return await self.repository.all(active_only=active_only)

    async def covering(
        self, unit_id: int, roles: Iterable[Role] = ("admin", "officer")
    ) -> list[Officer]:
        """Return the active officers whose scope includes the unit, with the given roles.

        This is who may act on a tip of that unit: officers of the unit or of any unit above
        it, and admins (registry and ADMIN_USER_IDS).
        """
        wanted = frozenset(roles)
        found: dict[int, Officer] = {}
        if "admin" in wanted:
            for user_id in sorted(self.config_admins):
                found[user_id] = Officer(user_id, "admin", None, from_config=True)
            for record in await self.repository.active_admins():
                found.setdefault(record.user_id, await self._officer(record))
        ancestors = [unit.id for unit in await self.units.ancestors(unit_id)]
        for record in await self.repository.active_at_units(ancestors):
            if record.role in wanted and record.user_id not in found:
                found[record.user_id] = await self._officer(record)
        return list(found.values())

    async def administrators(self) -> list[int]:
        """Return the Telegram ids of every active admin: ADMIN_USER_IDS and the registry's."""
        people = set(self.config_admins)
        people.update(record.user_id for record in await self.repository.active_admins())
        return sorted(people)

    async def everyone_with_a_menu(self) -> set[int]:
        """Return every person whose officer menu may need publishing or clearing."""
        people = set(self.config_admins)
        people.update(await self.repository.user_ids())
        people.update(await self.repository.menu_user_ids())
        return people

    async def history(
        self, *, officer_id: int | None = None, limit: int = 20
    ) -> list[OfficerChange]:
        """Return the latest changes, newest first."""
        return await self.repository.changes(officer_id=officer_id, limit=limit)

    def name_of(self, user_id: int, stored: str = "") -> str:
        """Return the best known display name of an officer (registry, or ADMIN_USER_IDS)."""
        return stored or self.config_names.get(user_id, "")

    async def remember_name(self, user_id: int, name: str) -> None:
        """Keep the stored display name of a registered officer up to date."""
        cleaned = clean_name(name)
        if user_id in self.config_admins:
            if cleaned:
                self.config_names[user_id] = cleaned
            return
        record = await self.repository.get(user_id)
        if record is not None and cleaned and record.display_name != cleaned:
            await self.repository.set_display_name(user_id, cleaned)

    async def waiting_notice(self, user_id: int) -> WaitingNotice | None:
        """Return the notice waiting for a person (their access, told when Telegram lets us)."""
        return await self.repository.waiting_notice(user_id)

    async def notice_sent(self, notice: WaitingNotice) -> None:
        """Forget a notice that reached its person (a newer one stays)."""
        await self.repository.clear_notice(notice)

    # ------------------------------------------------------------ changes

    async def add(
        self,
        actor: Actor,
        user_id: int,
        role: Role,
        unit: Unit | None,
        *,
        display_name: str = "",
    ) -> OfficerRecord:
        """Add a person as an officer (or restore a revoked one) with a role and a unit."""
        self._refuse_config_admin(user_id)
        unit_id = self._unit_for(role, unit)
        name = clean_name(display_name)
        now = self._clock.now()
        async with self._db.transaction() as conn:
            current = await self.repository.get_in(conn, user_id)
            if current is not None and current.active:
                raise OfficerError(N_("officers.error.already"), record=current)
            action: Action
            if current is None:
                await self.repository.insert(
                    conn, user_id=user_id, role=role, unit_id=unit_id, display_name=name, now=now
                )
                action = "add"
            else:
                await self.repository.update(
                    conn,
                    user_id=user_id,
                    role=role,
                    unit_id=unit_id,
                    display_name=name or current.display_name,
                    active=True,
                    now=now,
                )
                action = "restore"
            return await self._record_change(conn, actor, action, current, user_id)

    async def change_role(
        self, actor: Actor, user_id: int, role: Role, unit: Unit | None = None
    ) -> OfficerRecord:
        """Give an officer another role; officers and analysts keep their unit unless given one."""
        self._refuse_config_admin(user_id)
        if unit is not None and not unit.active:
            raise OfficerError(N_("officers.error.unit_retired"))
        now = self._clock.now()
        async with self._db.transaction() as conn:
            current = await self._active_in(conn, user_id)
            if role == "admin":
                unit_id = None
            elif unit is not None:
                unit_id = unit.id
            elif current.unit_id is not None:
                unit_id = current.unit_id
            else:
                raise OfficerError(N_("officers.error.need_unit"), record=current)
            if current.role == role and current.unit_id == unit_id:
                raise OfficerError(N_("officers.error.already"), record=current)
            if current.role == "admin" and role != "admin":
                await self._keep_an_admin(conn, current)
            await self.repository.update(
                conn,
                user_id=user_id,
                role=role,
                unit_id=unit_id,
                display_name=current.display_name,
                active=True,
                now=now,
            )
            return await self._record_change(conn, actor, "role", current, user_id)

    async def change_unit(self, actor: Actor, user_id: int, unit: Unit) -> OfficerRecord:
        """Move an officer or analyst to another unit."""
        self._refuse_config_admin(user_id)
        if not unit.active:
            raise OfficerError(N_("officers.error.unit_retired"))
        now = self._clock.now()
        async with self._db.transaction() as conn:
            current = await self._active_in(conn, user_id)
            if current.role == "admin":
                raise OfficerError(N_("officers.error.admin_has_no_unit"), record=current)
            if current.unit_id == unit.id:
                raise OfficerError(N_("officers.error.already"), record=current)
            await self.repository.update(
                conn,
                user_id=user_id,
                role=current.role,
                unit_id=unit.id,
                display_name=current.display_name,
                active=True,
                now=now,
            )
            return await self._record_change(conn, actor, "unit", current, user_id)

    async def remove(
        self, actor: Actor, user_id: int, *, expected_version: int | None = None
    ) -> OfficerRecord:
        """Revoke an officer; with `expected_version`, only if nothing changed since it was read."""
        self._refuse_config_admin(user_id)
        now = self._clock.now()
        async with self._db.transaction() as conn:
            current = await self._active_in(conn, user_id)
            if expected_version is not None and current.version != expected_version:
                raise OfficerError(N_("officers.error.stale"), record=current)
            if current.role == "admin":
                await self._keep_an_admin(conn, current)
            await self.repository.update(
                conn,
                user_id=user_id,
                role=current.role,
                unit_id=current.unit_id,
                display_name=current.display_name,
                active=False,
                now=now,
            )
            return await self._record_change(conn, actor, "remove", current, user_id)

    # ------------------------------------------------------------ rules

    def _refuse_config_admin(self, user_id: int) -> None:
        if user_id in self.config_admins:
            raise OfficerError(N_("officers.error.config_admin"), user_id=user_id)

    @staticmethod
    def _unit_for(role: Role, unit: Unit | None) -> int | None:
        if role == "admin":
            return None
        if unit is None:
            raise OfficerError(N_("officers.error.need_unit"))
        if not unit.active:
            raise OfficerError(N_("officers.error.unit_retired"))
        return unit.id

    async def _active_in(self, conn: aiosqlite.Connection, user_id: int) -> OfficerRecord:
        current = await self.repository.get_in(conn, user_id)
        if current is None or not current.active:
            raise OfficerError(N_("officers.error.not_officer"), user_id=user_id)
        return current

    async def _keep_an_admin(self, conn: aiosqlite.Connection, leaving: OfficerRecord) -> None:
        others = await self.repository.count_admins_in(conn, excluding=leaving.user_id)
        if others + len(self.config_admins - {leaving.user_id}) == 0:
            raise OfficerError(N_("officers.error.last_admin"), record=leaving)

    async def _record_change(
        self,
        conn: aiosqlite.Connection,
        actor: Actor,
        action: Action,
        before: OfficerRecord | None,
        user_id: int,
    ) -> OfficerRecord:
        after = await self.repository.get_in(conn, user_id)
        assert after is not None
        await self.repository.record_change(
            conn,
            at=self._clock.now(),
            actor_id=actor.user_id,
            actor_via=actor.via,
            officer_id=user_id,
            action=action,
            before=None if before is None else before.snapshot(),
            after=after.snapshot(),
        )
        if self._audit is not None:
            await self._audit.append(
                conn,
                at=self._clock.now(),
                actor=actor.audit_name,
                action=f"officer.{action}",
                target=f"officer:{user_id}",
                details={
                    "before": None if before is None else before.snapshot(),
                    "after": after.snapshot(),
                },
            )
        await self._leave_notice(conn, actor, action, user_id)
        # Who changed whom is in the audit log; the log names no Telegram id.
        log.info("officer record: %s by %s", action, actor.via)
        return after

    async def _leave_notice(
        self, conn: aiosqlite.Connection, actor: Actor, action: Action, user_id: int
    ) -> None:
        """Queue the person's notice of a change in its transaction (see _NEXT_NOTICE)."""
        waiting = await self.repository.notice_in(conn, user_id)
        if waiting is None and (actor.via == "cli" or actor.user_id == user_id):
            # Changes from the command line, and one's own, were never announced; one that is
            # waiting is still kept true.
            return
        fresh, after_first_contact = _NEXT_NOTICE[action]
        notice = after_first_contact if waiting == NOTICE_ADDED else fresh
        await self.repository.set_notice(conn, user_id, notice, self._clock.now())
