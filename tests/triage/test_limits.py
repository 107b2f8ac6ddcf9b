"""Officers' side of Telegram's limits: a card too long for one message, and relayed texts.

Telegram counts UTF-16 units after entity parsing: 𝐁 or an emoji is two.
"""

from __future__ import annotations

import pytest

from bot.kernel.i18n import Language, translator
from bot.kernel.telegram_text import TEXT_LIMIT, utf16_length, visible_text
from bot.testing.harness import BotHarness
from bot.testing.updates import Person
from tests.officers.conftest import ADMIN, OFFICER_RG
from tests.tips.flow import label

from .conftest import ENGLISH_TIPSTER, OFFICERS, TIPSTER, card, deliver, plant, press

BOLD_B = "𝐁"
TAKE = "🙋 Nhận xử lý"


async def _speak(desk: BotHarness, person: Person, language: Language) -> None:
    await desk.say(person, "/language")
    await desk.press(person, label("language.name", language))


async def test_a_card_over_the_limit_is_cut_story_first_stays_editable_and_tip_shows_all(
    desk: BotHarness,
) -> None:
    story = BOLD_B * 1500  # 3000 units: the story's own limit
    tip = await plant(desk, story=story)
    # An address and a contact stored when their limits counted len(): 300 and 200 characters,
    # 600 and 400 units. The card of such a tip was 4,410 units and never reached the officers.
    address = "Số 12 " + BOLD_B * 294
    contact = "0912345678 " + "😀" * 189
    services = desk.app.services
    # Sealed as a submission seals it (bound to the tip's code).
    sealed = services.keyring.seal(contact, context=f"tip-contact:{tip.code}")
    async with services.db.transaction() as conn:
        await conn.execute(
            "UPDATE tips SET place_kind = 'address', place_text = ?, anonymous = 0, "
            "contact_sealed = ? WHERE id = ?",
            (address, sealed, tip.id),
        )
    continued = f"… (xem tiếp bằng lệnh /tip {tip.code})"

    shown = await card(desk, tip)
    assert utf16_length(shown.plain_text) <= TEXT_LIMIT
    assert shown.plain_text.endswith(continued)
    # The story gave way first: the address and the contact are whole, the story cut with "…".
    assert address in shown.plain_text
    assert contact in shown.plain_text
    assert story not in shown.plain_text
    assert BOLD_B * 1200 + "…" in shown.plain_text  # cut by what it must, not more
    assert await desk.app.services.tips.outbox.pending_count() == 0

    # Triage edits the same message, still within the limit.
    after = await press(desk, OFFICER_RG, shown, TAKE)
    assert "Người xử lý: Lê Minh" in after.plain_text
    assert after.plain_text.endswith(continued)
    edits = desk.api.calls_for("editMessageText")
    assert edits
    assert [call.error for call in edits] == [None] * len(edits)

    # /tip CODE shows the whole card, over as many messages as it takes.
    before = len(desk.api.sent_messages(OFFICER_RG.id))
    await desk.say(OFFICER_RG, f"/tip {tip.code}")
    view = desk.api.sent_messages(OFFICER_RG.id)[before:]
    texts = [message.plain_text for message in view if message.method == "sendMessage"]
    assert story in "".join(texts)
    assert address in "".join(texts)
    assert contact in "".join(texts)
    assert not any(continued in text for text in texts)
    assert all(utf16_length(text) <= TEXT_LIMIT for text in texts)


@pytest.mark.parametrize(
    ("language", "note", "question"),
    [
        (
            "vi",
            "Nội dung quá dài (2002 ký tự); tối đa 2000 ký tự.",
            "Nội dung quá dài (1002 ký tự); tối đa 1000 ký tự.",
        ),
        (
            "en",
            "Too long (2002 characters); at most 2000.",
            "Too long (1002 characters); at most 1000.",
        ),
    ],
)
async def test_notes_and_questions_count_astral_letters_as_two(
    desk: BotHarness, language: Language, note: str, question: str
) -> None:
    tip = await plant(desk)
    await card(desk, tip)
    await _speak(desk, OFFICER_RG, language)
    # 1001 and 501 characters by len(), within 2000 and 1000; 2002 and 1002 units.
    await desk.say(OFFICER_RG, f"/note {tip.code} " + BOLD_B * 1001)
    assert desk.api.last_message(OFFICER_RG.id).plain_text.startswith(note)
    await desk.say(OFFICER_RG, f"/ask {tip.code} " + "😀" * 501)
    assert desk.api.last_message(OFFICER_RG.id).plain_text.startswith(question)
    rows = await desk.app.services.db.fetch_value("SELECT count(*) FROM tip_messages")
    assert rows == 0


@pytest.mark.parametrize(
    ("tipster", "language", "reply", "refusal"),
    [
        (TIPSTER, "vi", "✍️ Trả lời", "Nội dung quá dài (3002 ký tự); tối đa 3000 ký tự."),
        (ENGLISH_TIPSTER, "en", "✍️ Reply", "Too long (3002 characters); at most 3000."),
    ],
)
async def test_a_tipsters_answer_counts_astral_letters_as_two(
    desk: BotHarness, tipster: Person, language: Language, reply: str, refusal: str
) -> None:
    tip = await plant(desk, tipster, language=language)
    await card(desk, tip)
    await _speak(desk, tipster, language)
    await desk.say(OFFICER_RG, f"/ask {tip.code} Người bán thường đi xe gì?")
    await deliver(desk)
    question = desk.api.last_message(tipster.id)
    await press(desk, tipster, question, reply)
    # 1501 characters, 3002 units.
    await desk.say(tipster, BOLD_B * 1501)
    assert desk.api.last_message(tipster.id).plain_text.startswith(refusal)
    await desk.say(tipster, BOLD_B * 1500)
    await deliver(desk)
    answer = desk.api.last_message(OFFICERS)
    assert BOLD_B * 1500 in answer.plain_text


async def test_command_length_guards_count_astral_letters_as_two(desk: BotHarness) -> None:
    # 150 characters by len(), under the 300 guard; 300 units, plus the command: over it.
    await desk.say(ADMIN, "/officers " + BOLD_B * 150)
    assert desk.api.last_message(ADMIN.id).plain_text == (
        "Nội dung quá dài cho lệnh này (tối đa 300 ký tự)."
    )
    await desk.say(OFFICER_RG, "/tips " + BOLD_B * 150)
    usage = visible_text(translator("vi")("triage.list.usage"))
    assert desk.api.last_message(OFFICER_RG.id).plain_text == usage
