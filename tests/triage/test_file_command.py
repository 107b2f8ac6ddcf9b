"""/file CODE N: a withheld file, opened as it was sent, by an officer in scope, on the record."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from bot.tips.model import Attachment, Tip
from tests.officers.conftest import OFFICER_GQ, OFFICER_RG, RESIDENT
from tests.triage.conftest import audit_rows, card, open_desk, plant

NOISE = os.urandom(2048)


@pytest.fixture
async def cleaning_desk(database_path: Path) -> AsyncIterator[BotHarness]:
    harness = await open_desk(database_path, evidence_download=True)
    yield harness
    await harness.stop()


async def plant_with_noise(harness: BotHarness) -> Tip:
    """Plant a tip (unit KG-RG-VT) whose one file is bytes no cleaner can read."""
    tip = await plant(harness)
    file_id = harness.api.register_file(NOISE, file_name="IMG_1.jpg", mime_type="image/jpeg")
    attachment = Attachment(
        kind="document",
        file_id=file_id,
        file_unique_id=harness.api.file_unique_id(file_id),
        mime="image/jpeg",
        size=len(NOISE),
    )
    services = harness.app.services
    async with services.db.transaction() as conn:
        await services.tips.tips.add_evidence_in(conn, tip.id, [("evidence", attachment)])
    return tip


async def test_an_officer_in_scope_opens_a_withheld_file_as_it_was_sent_and_it_is_audited(
    cleaning_desk: BotHarness,
) -> None:
    tip = await plant_with_noise(cleaning_desk)
    await card(cleaning_desk, tip)
    assert all("document" not in m.raw for m in cleaning_desk.api.sent_messages())
    await cleaning_desk.say(OFFICER_RG, f"/file {tip.code} 1")
    [sent] = [m for m in cleaning_desk.api.sent_messages(OFFICER_RG.id) if "document" in m.raw]
    assert cleaning_desk.api.file_content(sent.raw["document"]["file_id"]) == NOISE
    assert tip.code in sent.plain_text
    [opened] = await audit_rows(cleaning_desk, "tip.file")
    assert (opened["actor"], opened["target"]) == (f"officer:{OFFICER_RG.id}", f"tip:{tip.code}")
    assert json.loads(opened["details"]) == {"position": 1}


@pytest.mark.parametrize(
    "person", [RESIDENT, OFFICER_GQ], ids=["resident", "officer of another unit"]
)
async def test_file_is_answered_like_an_unknown_command_outside_the_scope(
    cleaning_desk: BotHarness, person: Person
) -> None:
    tip = await plant_with_noise(cleaning_desk)
    await cleaning_desk.say(person, "/nosuchcommand")
    unknown = cleaning_desk.api.last_message(person.id).text
    attempts = [f"/file {tip.code} 1", "/file TB-2345-6789 1"]
    if person is OFFICER_GQ:
        # An officer in scope of nothing here: a file number the tip lacks answers the same.
        attempts.append(f"/file {tip.code} 7")
    for text in attempts:
        before = len(cleaning_desk.api.calls)
        await cleaning_desk.say(person, text)
        calls = cleaning_desk.api.calls[before:]
        assert [call.method for call in calls] == ["sendMessage"], text
        assert cleaning_desk.api.last_message(person.id).text == unknown, text
    assert await audit_rows(cleaning_desk, "tip.file") == []


async def test_an_officer_asking_for_a_file_the_tip_lacks_gets_the_unknown_command_answer(
    cleaning_desk: BotHarness,
) -> None:
    tip = await plant_with_noise(cleaning_desk)
    await cleaning_desk.say(OFFICER_RG, "/nosuchcommand")
    unknown = cleaning_desk.api.last_message(OFFICER_RG.id).text
    for text in (f"/file {tip.code} 2", f"/file {tip.code} x", "/file TB-2345-6789 1"):
        await cleaning_desk.say(OFFICER_RG, text)
        assert cleaning_desk.api.last_message(OFFICER_RG.id).text == unknown, text
    assert await audit_rows(cleaning_desk, "tip.file") == []
