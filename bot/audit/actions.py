"""Every kind of action the audit log records, so that /audit can say each one in a sentence.

`AuditLog.append` refuses a kind that is not listed here: a new kind must be added here and
given its sentence (bot/triage/audit_text.py, both catalogs), or it would show as a raw code.
"""

from __future__ import annotations

from typing import Final

TIP_STATUS: Final = "tip.status"
TIP_TRANSFER: Final = "tip.transfer"
TIP_ASSIGN: Final = "tip.assign"
TIP_NOTE: Final = "tip.note"
TIP_EXTEND: Final = "tip.extend"
TIP_LEGAL_TYPE: Final = "tip.legal_type"
TIP_VIEW: Final = "tip.view"
TIP_FILE: Final = "tip.file"
RELAY_ASK: Final = "relay.ask"
OFFICER_ADD: Final = "officer.add"
OFFICER_RESTORE: Final = "officer.restore"
OFFICER_ROLE: Final = "officer.role"
OFFICER_UNIT: Final = "officer.unit"
OFFICER_REMOVE: Final = "officer.remove"
EXPORT_TIPS: Final = "export.tips"
EXPORT_REPORT: Final = "export.report"
RETENTION_PURGE: Final = "retention.purge"

AUDIT_ACTIONS: Final[frozenset[str]] = frozenset(
    {
        TIP_STATUS,
        TIP_TRANSFER,
        TIP_ASSIGN,
        TIP_NOTE,
        TIP_EXTEND,
        TIP_LEGAL_TYPE,
        TIP_VIEW,
        TIP_FILE,
        RELAY_ASK,
        OFFICER_ADD,
        OFFICER_RESTORE,
        OFFICER_ROLE,
        OFFICER_UNIT,
        OFFICER_REMOVE,
        EXPORT_TIPS,
        EXPORT_REPORT,
        RETENTION_PURGE,
    }
)


class UnknownAuditAction(ValueError):
    """An action kind that /audit has no sentence for."""
