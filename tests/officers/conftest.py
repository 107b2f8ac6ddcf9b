"""A bot with the Kiên Giang sample units and its staff.

Admins (one from ADMIN_USER_IDS, one in the registry), officers of two sibling units, an
analyst, a revoked officer, and a resident who is none of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.officers.model import Role
from bot.officers.service import Actor
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person
from bot.units.repository import UnitRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)

ADMIN = Person(id=9100001, first_name="Hà", last_name="Trần", username="ha_admin")
DB_ADMIN = Person(id=9100006, first_name="Quang", last_name="Đỗ")
OFFICER_RG = Person(id=9100002, first_name="Minh", last_name="Lê")
OFFICER_GQ = Person(id=9100003, first_name="Tuấn", last_name="Võ")
ANALYST = Person(id=9100004, first_name="Phương", last_name="Huỳnh")
REVOKED = Person(id=9100005, first_name="Cường", last_name="Đặng")
RESIDENT = Person(id=5550001, first_name="Lan", last_name="Nguyễn", username="lan_ng")
NEWCOMER = Person(id=9100009, first_name="Hoa", last_name="Phạm", username="hoa_p")

STAFF: dict[str, tuple[Person, Role, str | None]] = {
    "db_admin": (DB_ADMIN, "admin", None),
    "officer_rg": (OFFICER_RG, "officer", "KG-RG"),
    "officer_gq": (OFFICER_GQ, "officer", "KG-GQ"),
    "analyst": (ANALYST, "analyst", "KG-RG"),
    "revoked": (REVOKED, "officer", "KG-RG"),
}


def sample_csv() -> bytes:
    """Return the shipped sample file: An Giang today, the old Kiên Giang tree retired."""
    return (resources.files("bot") / "data" / "kien_giang_units.csv").read_bytes()


def pre_reform_csv() -> bytes:
    """Return the sample as the tree stood before 1 July 2025: Kiên Giang alone, all active."""
    lines = sample_csv().decode("utf-8").splitlines()
    header = lines[0].split(",")
    parent, active = header.index("parent_code"), header.index("active")
    rows = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if not cells[0].startswith("KG"):
            continue  # An Giang's units of today did not exist yet
        cells[active] = "1"
        if cells[0] == "KG":
            cells[parent] = ""
        rows.append(",".join(cells))
    return ("\n".join(rows) + "\n").encode("utf-8")


async def add_staff(harness: BotHarness) -> None:
    """Import the units as they stood before 1 July 2025 and register the staff there.

    The officer mechanics tested with this do not depend on the reform; `reform` then applies
    the shipped file (Kiên Giang retired under An Giang), as a deployment's upgrade would.
    """
    services = harness.app.services
    plan = await services.units.import_csv(pre_reform_csv(), NOW)
    assert plan.ok, plan.errors
    for person, role, code in STAFF.values():
        unit = None if code is None else await services.units.by_code(code)
        await services.officers.add(
            Actor.cli(),
            person.id,
            role,
            unit,
            display_name=f"{person.last_name} {person.first_name}",  # family name first
        )
    await services.officers.remove(Actor.cli(), REVOKED.id)


async def reform(harness: BotHarness) -> None:
    """Import the shipped file: An Giang active, the old Kiên Giang tree retired below it."""
    plan = await harness.app.services.units.import_csv(sample_csv(), NOW)
    assert plan.ok, plan.errors


async def deepen(harness: BotHarness) -> None:
    """Add two levels below a ward (5 levels in all) and a 2-level tree after the 2025 reform."""
    await harness.app.services.units.save_all(
        [
            UnitRecord("KG-RG-VT-1", "Khu phố 1", "Quarter 1", "KG-RG-VT", "quarter"),
            UnitRecord("KG-RG-VT-1-A", "Tổ dân phố A", None, "KG-RG-VT-1", "group"),
            UnitRecord("AG", "Tỉnh An Giang", "An Giang Province", None, "province"),
            UnitRecord("AG-RG", "Phường Rạch Giá", "Rach Gia Ward", "AG", "commune"),
            UnitRecord("AG-VT", "Phường Vĩnh Thông", None, "AG", "commune"),
        ],
        NOW,
    )


def staffed_settings(database_path: Path, **overrides: Any) -> Any:
    """Return test settings with ADMIN as the ADMIN_USER_IDS admin."""
    values: dict[str, Any] = {"admin_user_ids": (ADMIN.id,)}
    values.update(overrides)
    return settings_for_tests(database_path, **values)


@pytest.fixture
async def staffed(database_path: Path) -> AsyncIterator[BotHarness]:
    """Return a started bot with units and staff in place."""
    async with BotHarness(staffed_settings(database_path)) as harness:
        await add_staff(harness)
        yield harness


def sent_to(harness: BotHarness, chat_id: int, since: int) -> list[str]:
    """Return the texts sent to a chat after the first `since` messages of all chats."""
    return [
        message.text
        for message in harness.api.sent_messages()[since:]
        if message.chat_id == chat_id
    ]
