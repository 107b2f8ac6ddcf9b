"""Officers' names read in the order of their language: family name first in Vietnamese."""

from __future__ import annotations

import pytest

from bot.officers.service import person_name
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.officers.conftest import ADMIN, OFFICER_RG


@pytest.mark.parametrize(
    ("first", "last", "language", "expected"),
    [
        ("Minh", "Trần Văn", "vi", "Trần Văn Minh"),
        ("Minh", "Trần Văn", "en", "Minh Trần Văn"),
        ("Trần Văn Minh", None, "vi", "Trần Văn Minh"),
        ("Trần Văn Minh", None, "en", "Trần Văn Minh"),
        ("  Minh ", " Trần  Văn", "vi", "Trần Văn Minh"),
        (None, None, "vi", ""),
    ],
)
def test_person_name_puts_the_family_name_where_the_language_does(
    first: str | None, last: str | None, language: str, expected: str
) -> None:
    assert person_name(first, last, language) == expected


async def test_a_vietnamese_officer_is_registered_and_listed_family_name_first(
    staffed: BotHarness,
) -> None:
    renamed = Person(id=OFFICER_RG.id, first_name="Minh", last_name="Trần Văn")
    await staffed.say(renamed, "/whoami")
    record = await staffed.app.services.officers.record(OFFICER_RG.id)
    assert record is not None
    assert record.display_name == "Trần Văn Minh"
    await staffed.say(ADMIN, "/officers")
    listing = staffed.api.last_message(ADMIN.id).plain_text
    assert f"Trần Văn Minh ({OFFICER_RG.id})" in listing
    assert "Minh Trần Văn" not in listing


async def test_an_english_speaking_officer_keeps_the_given_name_first(
    staffed: BotHarness,
) -> None:
    await staffed.app.services.set_language(OFFICER_RG.id, "en")
    renamed = Person(id=OFFICER_RG.id, first_name="Minh", last_name="Tran", language_code="en")
    await staffed.say(renamed, "/whoami")
    record = await staffed.app.services.officers.record(OFFICER_RG.id)
    assert record is not None
    assert record.display_name == "Minh Tran"


async def test_a_contact_shared_to_add_an_officer_is_named_family_name_first(
    staffed: BotHarness,
) -> None:
    newcomer = Person(id=9100020, first_name="Lan", last_name="Nguyễn Thị")
    await staffed.say(ADMIN, "/addofficer officer KG-RG")
    await staffed.send(staffed.updates.forwarded_text(ADMIN, "x", from_person=newcomer))
    assert f"Nguyễn Thị Lan ({newcomer.id})" in staffed.api.last_message(ADMIN.id).plain_text
    record = await staffed.app.services.officers.record(newcomer.id)
    assert record is not None
    assert record.display_name == "Nguyễn Thị Lan"
