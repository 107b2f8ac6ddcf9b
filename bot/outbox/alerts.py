"""Alerting the administrators: one function any feature calls inside its own transaction.

    async with services.db.transaction() as conn:
        ...  # the change that needs an administrator's attention
        await services.outbox.alert_admins_in(
            conn, N_("alerts.my_feature.stuck"), now, code=code, count=3
        )

The alert is an outbox row of kind `admin.alert`, committed (or rolled back) with the caller's
change, so an alert is never sent for something that did not happen and never lost for something
that did. The outbox delivers it like any other row: retried through outages, and, if Telegram
refuses it for good OUTBOX_MAX_PERMANENT_FAILURES times, kept as a dead letter. A dead alert
raises no alert of its own (no loops); it is still listed by /deadletters and `python -m bot
check`.

Who reads it: ADMIN_CHAT_ID if set (one message in DEFAULT_LANGUAGE; a group of the admins), else
each active admin in their private chat (ADMIN_USER_IDS and the registry's admins, as they are
when it is delivered), each in their own language. The text is the catalog key rendered then,
with `values` HTML-escaped, so the key must exist in every catalog with exactly those
placeholders; `enqueue_admin_alert` checks that at once, in the caller's code path. The delivery
is `bot.outbox.admin_alerts.AdminAlerts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import aiosqlite

from bot.kernel.i18n import LANGUAGES, catalog, translator
from bot.outbox.repository import OutboxRepository

if TYPE_CHECKING:
    from datetime import datetime


ADMIN_ALERT: Final = "admin.alert"
# An alert is a short notice; a long value (an error text) is cut so the message stays readable.
MAX_VALUE_LENGTH: Final = 300


async def enqueue_admin_alert(
    conn: aiosqlite.Connection,
    outbox: OutboxRepository,
    key: str,
    now: datetime,
    **values: str | int,
) -> None:
    """Queue an alert to the administrators in the caller's open transaction.

    `key` is a catalog key (mark it with `N_` so tests/test_i18n.py checks both languages);
    `values` fill its placeholders. Raises KeyError at once if the key or a placeholder is
    missing in a language, rather than queueing an alert that could never be rendered.
    """
    kept = {
        name: value[:MAX_VALUE_LENGTH] if isinstance(value, str) else value
        for name, value in values.items()
    }
    for language in LANGUAGES:
        if key not in catalog(language):
            raise KeyError(f"alert key {key!r} is missing in the {language} catalog")
        translator(language)(key, **kept)  # a missing placeholder raises KeyError here
    await outbox.enqueue_in(conn, ADMIN_ALERT, {"key": key, "values": kept}, now)
