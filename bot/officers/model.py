"""The officer as the access layer sees it, and the roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Role = Literal["admin", "officer", "analyst"]
ROLES: Final[tuple[Role, ...]] = ("admin", "officer", "analyst")

# Who may use a handler. Tip content and tipsters' identities are for case workers only;
# analysts see aggregate figures, never a tip.
ADMIN_ONLY: Final[frozenset[Role]] = frozenset({"admin"})
CASE_WORKERS: Final[frozenset[Role]] = frozenset({"admin", "officer"})
STAFF: Final[frozenset[Role]] = frozenset(ROLES)


def as_role(value: str | None) -> Role | None:
    """Return `value` as a role (any case, surrounding space ignored), or None."""
    cleaned = (value or "").strip().lower()
    for role in ROLES:
        if cleaned == role:
            return role
    return None


@dataclass(frozen=True)
class Officer:
    """An active officer acting on an update: role and scope.

    `unit_id` is the root of the scope (None for admins: the whole tree). `scope` holds the ids
    of that unit and every unit below it, at any depth, resolved when the officer was looked up;
    an Officer built by hand with an empty scope acts on its own unit only.
    """

    user_id: int
    role: Role
    unit_id: int | None
    display_name: str = ""
    active: bool = True
    # True for admins named in ADMIN_USER_IDS: the configuration, not the registry, makes them.
    from_config: bool = False
    scope: frozenset[int] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        if self.role == "admin":
            if self.unit_id is not None:
                raise ValueError("an admin covers the whole tree and has no unit")
        elif self.unit_id is None:
            raise ValueError(f"an {self.role} needs a unit")
        elif self.unit_id not in self.scope:
            object.__setattr__(self, "scope", self.scope | {self.unit_id})

    @property
    def whole_tree(self) -> bool:
        """Say whether the officer acts on every unit (admins)."""
        return self.role == "admin"

    def covers(self, unit_id: int) -> bool:
        """Say whether the unit is within this officer's scope."""
        return self.active and (self.whole_tree or unit_id in self.scope)

    def unit_ids(self) -> frozenset[int] | None:
        """Return the ids of the units in scope, or None for the whole tree."""
        return None if self.whole_tree else self.scope
