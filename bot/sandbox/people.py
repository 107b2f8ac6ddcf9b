"""Who you can be in the sandbox, and which chat each of them talks in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bot.sandbox.settings import OFFICERS_CHAT_ID
from bot.testing.updates import Person

RoleName = Literal["resident", "officer", "admin", "analyst"]
ROLE_NAMES: Final[tuple[RoleName, ...]] = ("resident", "officer", "admin", "analyst")

OFFICERS_CHAT_TITLE = "officers' chat"
# The group's title in the simulated Telegram.
OFFICERS_GROUP_TITLE = "Cán bộ tiếp nhận tin báo (sandbox)"


@dataclass(frozen=True)
class Identity:
    """A sandbox person: their Telegram user, their role and the chat they start in."""

    role: RoleName
    person: Person
    # Officers follow tips in the officers' group; everyone else talks to the bot privately.
    default_chat: int

    @property
    def name(self) -> str:
        """Return the first name shown in the prompt."""
        return self.person.first_name


RESIDENT = Identity(
    "resident",
    Person(id=5550101, first_name="Lan", last_name="Nguyễn Thị", username="lan_sandbox"),
    5550101,
)
OFFICER = Identity(
    "officer",
    Person(id=5550102, first_name="Minh", last_name="Trần Văn", username="minh_sandbox"),
    OFFICERS_CHAT_ID,
)
ADMIN = Identity(
    "admin",
    Person(id=5550103, first_name="Hùng", last_name="Lê Văn", username="hung_sandbox"),
    5550103,
)
ANALYST = Identity(
    "analyst",
    Person(id=5550104, first_name="Thu", last_name="Phạm Thị", username="thu_sandbox"),
    5550104,
)

IDENTITIES: Final[dict[RoleName, Identity]] = {
    identity.role: identity for identity in (RESIDENT, OFFICER, ADMIN, ANALYST)
}


def as_role_name(value: str) -> RoleName | None:
    """Return `value` as a sandbox role (any case), or None."""
    cleaned = value.strip().lower()
    for role in ROLE_NAMES:
        if cleaned == role:
            return role
    return None


def chat_title(chat_id: int) -> str:
    """Return how the sandbox names a chat in its own messages."""
    if chat_id == OFFICERS_CHAT_ID:
        return OFFICERS_CHAT_TITLE
    for identity in IDENTITIES.values():
        if identity.person.id == chat_id:
            return f"{identity.name}'s private chat ({identity.role})"
    return f"chat {chat_id}"
