"""/audit in sentences: each recorded action said in the reader's language, not as code and JSON.

Every kind in `bot.audit.actions.AUDIT_ACTIONS` has a sentence here (tests/audit enumerate them);
a row of a kind no longer written (an older version's) falls back to its raw code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.audit import AuditEntry
from bot.audit import actions as kinds
from bot.kernel.i18n import N_, Html, Translator
from bot.officers.labels import state_label
from bot.tips.deadlines import Extension, as_extension
from bot.tips.render import day, legal_type_label, moment
from bot.tips.status import outcome_label, status_label
from bot.triage.model import ref_user_id

# The catalog key of each kind's sentence. Its values: {actor} and {target} always, and what
# the kind's `Values` function below returns from the row's details.
SENTENCE_KEYS: Final[dict[str, str]] = {
    kinds.TIP_STATUS: N_("triage.audit.said.tip_status"),
    kinds.TIP_TRANSFER: N_("triage.audit.said.tip_transfer"),
    kinds.TIP_ASSIGN: N_("triage.audit.said.tip_assign"),
    kinds.TIP_NOTE: N_("triage.audit.said.tip_note"),
    kinds.TIP_EXTEND: N_("triage.audit.said.tip_extend"),
    kinds.TIP_LEGAL_TYPE: N_("triage.audit.said.tip_legal_type"),
    kinds.TIP_VIEW: N_("triage.audit.said.tip_view"),
    kinds.TIP_FILE: N_("triage.audit.said.tip_file"),
    kinds.RELAY_ASK: N_("triage.audit.said.relay_ask"),
    kinds.OFFICER_ADD: N_("triage.audit.said.officer_add"),
    kinds.OFFICER_RESTORE: N_("triage.audit.said.officer_restore"),
    kinds.OFFICER_ROLE: N_("triage.audit.said.officer_role"),
    kinds.OFFICER_UNIT: N_("triage.audit.said.officer_unit"),
    kinds.OFFICER_REMOVE: N_("triage.audit.said.officer_remove"),
    kinds.EXPORT_TIPS: N_("triage.audit.said.export_tips"),
    kinds.EXPORT_REPORT: N_("triage.audit.said.export_report"),
    kinds.RETENTION_PURGE: N_("triage.audit.said.retention_purge"),
}
_EXTENSION_NAMES: Final[dict[Extension, str]] = {
    Extension.COMPLEX: N_("triage.extension.complex"),
    Extension.PROCURACY: N_("triage.extension.procuracy"),
}
UNKNOWN: Final = "?"

Details = Mapping[str, Any]
Names = Mapping[int, str]
Said = dict[str, object]
# What a kind's sentence says besides who and what: its values, from the row's details.
Values = Callable[[Translator, Details, Names], Said]


def _text(details: Mapping[str, Any], name: str) -> str:
    value = details.get(name)
    return UNKNOWN if value is None else str(value)


def _day(details: Mapping[str, Any], name: str) -> str:
    try:
        return day(date.fromisoformat(str(details.get(name))))
    except ValueError:
        return UNKNOWN


def person(user_id: object, names: Mapping[int, str]) -> str:
    """Return an officer as "Name (id)", or the id alone when no name is known."""
    if not isinstance(user_id, int):
        return UNKNOWN
    name = names.get(user_id, "")
    return f"{name} ({user_id})" if name and name != str(user_id) else str(user_id)


def _status(t: Translator, details: Details, names: Names) -> Said:
    outcome = details.get("outcome")
    return {
        "old": status_label(t, _text(details, "from")),
        "new": status_label(t, _text(details, "to")),
        "outcome": (
            t.label("triage.audit.said.with_outcome", outcome=outcome_label(t, str(outcome)))
            if outcome
            else ""
        ),
    }


def _transfer(t: Translator, details: Details, names: Names) -> Said:
    return {"to": _text(details, "to")}


def _assign(t: Translator, details: Details, names: Names) -> Said:
    return {"assignee": person(details.get("assignee"), names)}


def _note(t: Translator, details: Details, names: Names) -> Said:
    return {"length": _text(details, "length")}


def _extend(t: Translator, details: Details, names: Names) -> Said:
    extension = as_extension(str(details.get("extension")))
    key = _EXTENSION_NAMES.get(extension) if extension is not None else None
    return {
        "extension": t.label(key) if key else _text(details, "extension"),
        "deadline": _day(details, "deadline"),
    }


def _legal(t: Translator, details: Details, names: Names) -> Said:
    return {
        "old": legal_type_label(t, _text(details, "from")),
        "new": legal_type_label(t, _text(details, "to")),
        # Rows written before each legal type had its own clock carry no deadline.
        "deadline": (
            t.label("triage.audit.said.due", deadline=_day(details, "deadline"))
            if "deadline" in details
            else ""
        ),
    }


def _file(t: Translator, details: Details, names: Names) -> Said:
    return {"position": _text(details, "position")}


def _officer(t: Translator, details: Details, names: Names) -> Said:
    before, after = details.get("before"), details.get("after")
    return {
        "before": state_label(t, before if isinstance(before, dict) else None),
        "after": state_label(t, after if isinstance(after, dict) else None),
    }


def _export(t: Translator, details: Details, names: Names) -> Said:
    return {
        "period": _text(details, "period"),
        "rows": _text(details, "rows"),
        "format": _text(details, "format").upper(),
    }


def _purge(t: Translator, details: Details, names: Names) -> Said:
    return {"days": _text(details, "retention_days"), "files": _text(details, "evidence")}


def _nothing(t: Translator, details: Details, names: Names) -> Said:
    return {}


VALUES: Final[dict[str, Values]] = {
    kinds.TIP_STATUS: _status,
    kinds.TIP_TRANSFER: _transfer,
    kinds.TIP_ASSIGN: _assign,
    kinds.TIP_NOTE: _note,
    kinds.TIP_EXTEND: _extend,
    kinds.TIP_LEGAL_TYPE: _legal,
    kinds.TIP_VIEW: _nothing,
    kinds.TIP_FILE: _file,
    kinds.RELAY_ASK: _nothing,
    kinds.OFFICER_ADD: _officer,
    kinds.OFFICER_RESTORE: _officer,
    kinds.OFFICER_ROLE: _officer,
    kinds.OFFICER_UNIT: _officer,
    kinds.OFFICER_REMOVE: _officer,
    kinds.EXPORT_TIPS: _export,
    kinds.EXPORT_REPORT: _export,
    kinds.RETENTION_PURGE: _purge,
}


def people_in(entries: Iterable[AuditEntry]) -> set[int]:
    """Return the officers an audit page names: actors, targets, assignees."""
    found: set[int] = set()
    for entry in entries:
        for ref in (entry.actor, entry.target):
            user_id = ref_user_id(ref)
            if user_id is not None:
                found.add(user_id)
        assignee = entry.details.get("assignee")
        if isinstance(assignee, int):
            found.add(assignee)
    return found


def _actor(t: Translator, actor: str, names: Mapping[int, str]) -> str:
    user_id = ref_user_id(actor)
    if user_id is not None:
        return person(user_id, names)
    if actor == "cli":
        return t.label("triage.audit.said.cli")
    if actor == "system":
        return t.label("triage.audit.said.system")
    return actor


def _target(target: str | None, names: Mapping[int, str]) -> str:
    if target is None:
        return "—"
    user_id = ref_user_id(target)
    if user_id is not None:
        return person(user_id, names)
    # "tip:CODE" and "unit:CODE" read as the code itself.
    return target.partition(":")[2] or target


def audit_sentence(t: Translator, entry: AuditEntry, names: Mapping[int, str]) -> str:
    """Say one recorded action in a sentence (HTML, escaped)."""
    actor = _actor(t, entry.actor, names)
    target = _target(entry.target, names)
    key = SENTENCE_KEYS.get(entry.action)
    values = VALUES.get(entry.action)
    if key is None or values is None:
        return t("triage.audit.said.other", actor=actor, action=entry.action, target=target)
    return t(key, actor=actor, target=target, **values(t, entry.details, names))


def audit_text(
    t: Translator, entries: Sequence[AuditEntry], *, zone: ZoneInfo, names: Mapping[int, str]
) -> str:
    """Return one page of the audit log, newest first, one sentence an entry."""
    if not entries:
        return t("triage.audit.empty")
    lines = [
        t(
            "triage.audit.line",
            id=entry.id,
            at=moment(entry.at, zone),
            said=Html(audit_sentence(t, entry, names)),
        )
        for entry in entries
    ]
    return t("triage.audit.title") + "\n" + "\n".join(lines)
