"""Telegram handlers: /figures, /record, /import, /report, /stats, /export, /indicators.

Handlers are thin: they read the update, check who is asking (`bot.figures._access`), call
the `FiguresService` and render the answer. Officers and administrators record and import;
analysts read figures and reports, never tip content; residents are refused without detail.
One module per command or conversation; `wiring` adds them in order.
"""

from __future__ import annotations

from bot.figures.handlers.wiring import figures_handlers

__all__ = ["figures_handlers"]
