"""Fixtures of the figures tests: a small unit tree, officers of every role, a started bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.figures.model import NewFigure
from bot.figures.numbers import Number
from bot.figures.service import FiguresService, Scope
from bot.kernel.periods import parse_period
from bot.officers.service import Actor
from bot.testing.harness import BotHarness, settings_for_tests
from bot.testing.updates import Person
from bot.units.repository import UnitRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 1, 1)
SEED_FILE = Path(__file__).parents[2] / "bot" / "data" / "kien_giang_figures_2013_2023.csv"

ADMIN = Person(id=7100001, first_name="Quản trị")
ADMIN_EN = Person(id=7100002, first_name="Admin", language_code="en")
OFFICER_RG = Person(id=7100003, first_name="Cán bộ Rạch Giá")
ANALYST = Person(id=7100004, first_name="Phân tích")
RESIDENT = Person(id=7100009, first_name="Lan", last_name="Nguyễn")

# KG
# ├── KG-RG (district) ── KG-RG-VT, KG-RG-VQ (communes)
# ├── KG-GQ (district) ── KG-GQ-A (commune)
# ├── KG-HT (district)
# └── KG-OLD (district, retired)
TREE = [
    UnitRecord("KG", "Tỉnh Kiên Giang", "Kien Giang Province", None, "province"),
    UnitRecord("KG-RG", "Thành phố Rạch Giá", "Rach Gia City", "KG", "district"),
    UnitRecord("KG-RG-VT", "Phường Vĩnh Thanh", "Vinh Thanh Ward", "KG-RG", "commune"),
    UnitRecord("KG-RG-VQ", "Phường Vĩnh Quang", "Vinh Quang Ward", "KG-RG", "commune"),
    UnitRecord("KG-GQ", "Huyện Gò Quao", "Go Quao District", "KG", "district"),
    UnitRecord("KG-GQ-A", "Xã Định An", "Dinh An Commune", "KG-GQ", "commune"),
    UnitRecord("KG-HT", "Thành phố Hà Tiên", "Ha Tien City", "KG", "district"),
    UnitRecord("KG-OLD", "Huyện cũ", "Former district", "KG", "district", active=False),
]


def seen(bot: BotHarness, person: Person, back: int = 1) -> str:
    """Return the text of the bot's `back`-th latest message to a person, as Telegram shows it."""
    return bot.api.sent_messages(person.id)[-back].plain_text


@dataclass
class Figures:
    """The running bot and shortcuts to record figures through the service."""

    bot: BotHarness

    @property
    def service(self) -> FiguresService:
        return self.bot.app.services.figures

    async def unit_id(self, code: str) -> int:
        unit = await self.service.unit(code)
        assert unit is not None, code
        return unit.id

    async def prepared(self, key: str, unit: str, period: str, value: object) -> NewFigure:
        """Return a figure checked the way an admin's would be; fail if it has problems."""
        figure = await self.service.prepare(
            indicator=key,
            value=value,
            unit=unit,
            period=period,
            scope=Scope.everything(),
            today=TODAY,
        )
        assert not isinstance(figure, list), figure
        return figure

    async def put(
        self, key: str, unit: str, period: str, value: Number, *, reason: str | None = None
    ) -> int:
        """Record a figure the way an admin would, and return its record id."""
        figure = await self.prepared(key, unit, period, value)
        result = await self.service.record(figure, by="tg:7100001", reason=reason)
        assert result.record_id is not None, result
        return result.record_id

    async def total(self, unit: str, period: str, key: str) -> Number | None:
        answer = await self.service.answer(await self.unit_id(unit), parse_period(period), [key])
        assert answer is not None
        return answer.value(key)

    async def count(self, sql: str) -> int:
        return int(await self.bot.app.services.db.fetch_value(sql) or 0)


@pytest.fixture
async def figures(database_path: Path) -> AsyncIterator[Figures]:
    """Return a started bot with the unit tree, an officer of Rạch Giá and an analyst of KG."""
    settings = settings_for_tests(database_path, admin_user_ids=(ADMIN.id, ADMIN_EN.id))
    async with BotHarness(settings) as bot:
        services = bot.app.services
        await services.units.save_all(TREE, NOW)
        rach_gia = await services.units.by_code("KG-RG")
        province = await services.units.by_code("KG")
        await services.officers.add(Actor.cli(), OFFICER_RG.id, "officer", rach_gia)
        await services.officers.add(Actor.cli(), ANALYST.id, "analyst", province)
        await services.set_language(ADMIN_EN.id, "en")
        yield Figures(bot)
