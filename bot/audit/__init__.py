"""An append-only, hash-chained record of every officer action."""

from bot.audit.log import AuditEntry, AuditLog, ChainBreak

__all__ = ["AuditEntry", "AuditLog", "ChainBreak"]
