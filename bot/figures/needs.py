"""What the figures feature takes from the application: the few services its handlers use.

`bot.app` checks that the container satisfies it; nothing here imports the container.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

from bot.audit import AuditLog
from bot.figures.service import FiguresService
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.ptb.context import BotContext


class FiguresNeeds(Protocol):
    """The services the figures handlers read (read-only: the container's attributes fit)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def figures(self) -> FiguresService: ...

    @property
    def audit(self) -> AuditLog: ...


# The context every figures handler receives.
Context: TypeAlias = BotContext[FiguresNeeds]
