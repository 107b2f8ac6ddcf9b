"""Helpers for driving the tip conversation through the real application."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.kernel.i18n import Language, translator
from bot.testing.botapi import SentMessage
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person
from bot.tips.outbox import deliverer_of

OFFICERS = -1001234567890


def tips_settings(database_path: Path, **overrides: Any) -> Any:
    """Return test settings with an officers' chat and no background outbox ticks."""
    values: dict[str, Any] = {
        "officer_chat_id": OFFICERS,
        # The repeating outbox job would race the tests' own delivery runs; they call it.
        "outbox_interval_seconds": 3600,
    }
    values.update(overrides)
    return settings_for_tests(database_path, **values)


def label(key: str, language: Language = "vi") -> str:
    """Return a button label in a language."""
    return translator(language).label(key)


async def deliver(harness: BotHarness) -> int:
    """Run the outbox now (after any run already going) and return how many rows went out."""
    return await deliverer_of(harness.app).run(wait=True)


@dataclass
class Answers:
    """What a resident answers at each step (None: the default path)."""

    category: str = "drugs"
    story: tuple[str, ...] = ("Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ.",)
    address: str | None = "Hẻm 12 đường Nguyễn Trung Trực, phường Vĩnh Thanh"
    location: tuple[float, float] | None = None
    when: str = "today"
    photos: int = 0
    contact: str | None = None


CATEGORY_LABELS = {
    "vi": {
        "drugs": "💊 Ma túy",
        "fraud": "💳 Lừa đảo, lừa đảo qua mạng",
        "dispute": "🤝 Mâu thuẫn trong cộng đồng (cần hòa giải)",
        "wanted": "🚨 Đối tượng truy nã, bỏ trốn",
        "other": "📝 Việc khác",
    },
    "en": {
        "drugs": "💊 Drugs",
        "fraud": "💳 Fraud and online scams",
        "dispute": "🤝 A dispute in the community (for mediation)",
        "wanted": "🚨 A wanted person or fugitive",
        "other": "📝 Something else",
    },
}


async def reach_review(
    harness: BotHarness,
    person: Person,
    answers: Answers | None = None,
    *,
    language: Language = "vi",
    start: str = "/tip",
) -> None:
    """Walk a resident from the start to the review."""
    a = answers or Answers()
    await harness.say(person, start)
    await harness.press(person, CATEGORY_LABELS[language][a.category])
    for part in a.story:
        await harness.say(person, part)
    await harness.press(person, label("tips.button.done", language))
    if a.location is not None:
        await harness.send(harness.updates.location(person, *a.location))
    elif a.address is not None:
        await harness.say(person, a.address)
    else:
        await harness.say(person, label("tips.button.place_unknown", language))
    await harness.press(person, label(f"tips.button.when_{a.when}", language))
    for _ in range(a.photos):
        await harness.send(harness.updates.photo(person))
    await harness.press(
        person,
        label("tips.button.done" if a.photos else "tips.button.evidence_none", language),
    )
    if a.contact is None:
        await harness.press(person, label("tips.button.anonymous", language))
    else:
        await harness.press(person, label("tips.button.leave_contact", language))
        await harness.say(person, a.contact)


async def submit(
    harness: BotHarness,
    person: Person,
    answers: Answers | None = None,
    *,
    language: Language = "vi",
) -> str:
    """Send a whole tip and return its receipt code."""
    await reach_review(harness, person, answers, language=language)
    await harness.press(person, label("tips.button.send", language))
    return receipt_code(harness, person)


def visible(message: SentMessage) -> str:
    """Return a message's text as the person sees it (markup parsed)."""
    return str(message.raw.get("text") or message.raw.get("caption") or "")


def shown(harness: BotHarness, chat_id: int) -> list[str]:
    """Return the visible texts the bot sent to a chat, in order."""
    return [visible(message) for message in harness.api.sent_messages(chat_id)]


def last_shown(harness: BotHarness, chat_id: int) -> str:
    """Return the visible text of the latest message to a chat."""
    return visible(harness.api.last_message(chat_id))


def receipt_code(harness: BotHarness, person: Person) -> str:
    """Return the code in the latest receipt the person got."""
    for message in reversed(harness.api.sent_messages(person.id)):
        found = re.search(r"TB-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", message.text)
        if found:
            return found.group(0)
    raise AssertionError("no receipt code was sent")
