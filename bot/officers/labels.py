"""How the officers' registry reads in messages: roles, people, scopes, states, times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bot.kernel.i18n import N_, Translator
from bot.officers.model import Role, as_role
from bot.officers.needs import OfficersNeeds
from bot.officers.repository import OfficerRecord
from bot.units.lookup import unit_label

ROLE_KEYS: Final[dict[Role, str]] = {
    "admin": N_("officers.role.admin"),
    "officer": N_("officers.role.officer"),
    "analyst": N_("officers.role.analyst"),
}
ACTION_KEYS: Final[dict[str, str]] = {
    "add": N_("officers.log.add"),
    "restore": N_("officers.log.restore"),
    "role": N_("officers.log.role"),
    "unit": N_("officers.log.unit"),
    "remove": N_("officers.log.remove"),
}


@dataclass(frozen=True)
class Person:
    """The person a command is about: a Telegram id, and a name when Telegram showed one."""

    user_id: int
    name: str = ""


def person_label(name: str, user_id: int) -> str:
    """Return "Name (id)" as plain text, or the id alone when no name is known."""
    return f"{name} ({user_id})" if name else str(user_id)


def role_label(t: Translator, role: str) -> str:
    """Return a role in the translator's language."""
    checked = as_role(role)
    return t.label(ROLE_KEYS[checked]) if checked else role


async def scope_label(services: OfficersNeeds, t: Translator, unit_id: int | None) -> str:
    if unit_id is None:
        return t.label("officers.scope.all")
    unit = await services.units.by_id(unit_id)
    return unit_label(unit, t.language) if unit is not None else str(unit_id)


async def record_values(
    services: OfficersNeeds, t: Translator, record: OfficerRecord | None, person: Person | None
) -> dict[str, object]:
    """Return the placeholders every registry message may use: person, role, unit."""
    user_id = record.user_id if record else person.user_id if person else 0
    name = (person.name if person else "") or (record.display_name if record else "")
    name = services.officers.name_of(user_id, name)
    values: dict[str, object] = {"person": person_label(name, user_id), "id": user_id}
    values["role"] = role_label(t, record.role) if record else ""
    values["unit"] = await scope_label(services, t, record.unit_id) if record else ""
    return values


def state_label(t: Translator, state: dict[str, Any] | None) -> str:
    if state is None:
        return "—"
    if not state.get("active", True):
        return t.label("officers.state.revoked")
    unit = state.get("unit") or t.label("officers.scope.all")
    return f"{role_label(t, str(state.get('role', '')))} · {unit}"


def local_time(services: OfficersNeeds, stamp: str) -> str:
    moment = datetime.fromisoformat(stamp).astimezone(services.settings.zone)
    return moment.strftime("%d/%m/%Y %H:%M")
