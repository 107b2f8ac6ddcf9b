"""Texts and buttons of triage: the card's keyboard, lists, history, relays, the audit log.

Every value a person typed (a note, a question, an answer, a filter) goes through the
translator's escaping. Callback data that acts on a tip is signed (`Keyring.sign`), so a forged
button is refused like a stale one; the guard still checks the officer's scope on every press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.audit import AuditEntry
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import N_, Html, Translator
from bot.kernel.status import Outcome, Status
from bot.kernel.telegram_text import clip
from bot.tips import deadlines
from bot.tips.deadlines import Extension, as_extension
from bot.tips.model import LEGAL_TYPE_KEYS, LEGAL_TYPES, TRANSFERRED_TO_INVESTIGATION, Category, Tip
from bot.tips.render import day, legal_type_label, moment
from bot.tips.status import ALLOWED, OPEN, as_status, outcome_label, outcomes_from, status_label
from bot.triage.model import (
    EVENT_ASKED,
    EVENT_ASSIGNED,
    EVENT_CLOCK,
    EVENT_EXTENDED,
    EVENT_LEGAL,
    EVENT_NOTE,
    EVENT_REPLIED,
    EVENT_STATUS,
    EVENT_TRANSFERRED,
    EVENT_UNDELIVERABLE,
    STATUS_ORDER,
    Overdue,
    RelayMessage,
    TipEvent,
    TipQuery,
    ref_user_id,
)
from bot.units import Unit

# Callback data prefixes: an action on a tip (signed), asking its tipster (signed), a page of
# /tips, a page of /audit, and the tipster's "Reply" (signed).
CB_ACTION: Final = "tr:"
CB_ASK: Final = "tq:"
CB_LIST: Final = "tl:"
CB_AUDIT: Final = "ta:"
CB_REPLY: Final = "tp:"

# Verbs of CB_ACTION data: `tr:<verb>:<tip id>:<argument>:<signature>`.
VERB_STATUS: Final = "s"  # argument: from and to status indexes
VERB_CLOSE: Final = "c"  # argument: from status index and outcome index
VERB_CLOSE_MENU: Final = "cm"
VERB_TRANSFER_MENU: Final = "tm"
VERB_TO_INVESTIGATION: Final = "ti"  # argument: from status index
VERB_TO_UNIT: Final = "tu"  # argument: "<from status index>.<unit id>"
VERB_EXTEND_MENU: Final = "xm"
VERB_EXTEND: Final = "x"  # argument: extension index
VERB_LEGAL_MENU: Final = "lm"
VERB_LEGAL: Final = "lg"  # argument: legal type index
VERB_BACK: Final = "b"
VERB_VIEW: Final = "v"
VERB_ASSIGN: Final = "as"  # argument: the assignee's Telegram id
VERB_ASSIGN_MENU: Final = "am"  # the card's list of the unit's officers
VERB_ASSIGN_CARD: Final = "ac"  # argument: the assignee's Telegram id; redraws the card
VERBS: Final = frozenset(
    {
        VERB_STATUS,
        VERB_CLOSE,
        VERB_CLOSE_MENU,
        VERB_TRANSFER_MENU,
        VERB_TO_INVESTIGATION,
        VERB_TO_UNIT,
        VERB_EXTEND_MENU,
        VERB_EXTEND,
        VERB_LEGAL_MENU,
        VERB_LEGAL,
        VERB_BACK,
        VERB_VIEW,
        VERB_ASSIGN,
        VERB_ASSIGN_MENU,
        VERB_ASSIGN_CARD,
    }
)

OUTCOMES: Final[tuple[Outcome, ...]] = tuple(Outcome)
EXTENSIONS: Final[tuple[Extension, ...]] = tuple(Extension)
# The status buttons a card offers, in this order, when the machine allows them.
_STATUS_BUTTONS: Final[dict[Status, str]] = {
    Status.TAKEN: N_("triage.button.take"),
    Status.VERIFYING: N_("triage.button.verifying"),
    Status.VERIFIED: N_("triage.button.verified"),
    Status.UNFOUNDED: N_("triage.button.unfounded"),
    Status.SPAM: N_("triage.button.spam"),
}
_EXTENSION_BUTTONS: Final[dict[Extension, str]] = {
    Extension.COMPLEX: N_("triage.button.extend_complex"),
    Extension.PROCURACY: N_("triage.button.extend_procuracy"),
}
_EXTENSION_NAMES: Final[dict[str, str]] = {
    Extension.COMPLEX: N_("triage.extension.complex"),
    Extension.PROCURACY: N_("triage.extension.procuracy"),
}
_QUESTION_KEYS: Final[dict[str, str]] = {
    "pending": N_("triage.messages.question_pending"),
    "delivered": N_("triage.messages.question"),
    "undeliverable": N_("triage.messages.question_failed"),
}
_EXCERPT = 120
_MAX_DATA_BYTES = 64
_T = TypeVar("_T")


# ---------------------------------------------------------------- callback data


def action_data(keyring: Keyring, verb: str, tip_id: int, argument: str = "") -> str:
    """Return signed callback data for an action on a tip."""
    body = f"{verb}:{tip_id}:{argument}"
    return f"{CB_ACTION}{body}:{keyring.sign(body)}"


def parse_action(keyring: Keyring, data: str) -> tuple[str, int, str] | None:
    """Return (verb, tip id, argument) of genuine action data, or None (forged or malformed)."""
    parts = data.removeprefix(CB_ACTION).split(":")
    if not data.startswith(CB_ACTION) or len(parts) != 4:
        return None
    verb, tip_id, argument, signature = parts
    if verb not in VERBS or not tip_id.isdigit() or len(tip_id) > 12:
        return None
    if not keyring.verify(f"{verb}:{tip_id}:{argument}", signature):
        return None
    return verb, int(tip_id), argument


def ask_data(keyring: Keyring, tip_id: int) -> str:
    """Return signed callback data of the "Ask the tipster" button."""
    return f"{CB_ASK}{tip_id}:{keyring.sign(f'ask:{tip_id}')}"


def parse_ask(keyring: Keyring, data: str) -> int | None:
    """Return the tip id of genuine "Ask" data, or None."""
    parts = data.removeprefix(CB_ASK).split(":")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    return int(parts[0]) if keyring.verify(f"ask:{parts[0]}", parts[1]) else None


def reply_data(keyring: Keyring, message_id: int) -> str:
    """Return signed callback data of the tipster's "Reply" button."""
    return f"{CB_REPLY}{message_id}:{keyring.sign(f'reply:{message_id}')}"


def parse_reply(keyring: Keyring, data: str) -> int | None:
    """Return the question id of genuine "Reply" data, or None."""
    parts = data.removeprefix(CB_REPLY).split(":")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    return int(parts[0]) if keyring.verify(f"reply:{parts[0]}", parts[1]) else None


def status_index(status: Status) -> str:
    """Return a status as one digit of callback data."""
    return str(STATUS_ORDER.index(status))


def status_at(text: str) -> Status | None:
    """Return the status of one digit of callback data, or None."""
    if len(text) != 1 or not text.isdigit() or int(text) >= len(STATUS_ORDER):
        return None
    return STATUS_ORDER[int(text)]


def indexed(values: Sequence[_T], text: str) -> _T | None:
    """Return values[int(text)] for a one-digit index, or None."""
    if len(text) != 1 or not text.isdigit() or int(text) >= len(values):
        return None
    return values[int(text)]


# ---------------------------------------------------------------- keyboards


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[index : index + width] for index in range(0, len(buttons), width)]


def can_ask(tip: Tip) -> bool:
    """Say whether the card offers to ask the tipster (reachable, not closed)."""
    return tip.reporter_chat_sealed is not None and tip.status != Status.CLOSED


def card_keyboard(
    t: Translator, keyring: Keyring, tip: Tip, today: date
) -> InlineKeyboardMarkup | None:
    """Return the card's buttons for the tip's status: only moves allowed now."""
    current = as_status(tip.status)
    if current is None or current is Status.CLOSED:
        return None
    allowed = ALLOWED[current]
    here = status_index(current)
    moves = [
        _button(t.label(key), action_data(keyring, VERB_STATUS, tip.id, here + status_index(to)))
        for to, key in _STATUS_BUTTONS.items()
        if to in allowed
    ]
    rows = _rows(moves, 3)
    menus = []
    if Status.TRANSFERRED in allowed:
        menus.append(
            _button(
                t.label("triage.button.transfer"),
                action_data(keyring, VERB_TRANSFER_MENU, tip.id, here),
            )
        )
    if Status.CLOSED in allowed:
        menus.append(
            _button(
                t.label("triage.button.close"), action_data(keyring, VERB_CLOSE_MENU, tip.id, here)
            )
        )
    if current in OPEN:
        menus.append(
            _button(t.label("triage.button.assign"), action_data(keyring, VERB_ASSIGN_MENU, tip.id))
        )
    if menus:
        rows.append(menus)
    tools = []
    if can_ask(tip):
        tools.append(_button(t.label("triage.button.ask"), ask_data(keyring, tip.id)))
    tools.append(
        _button(t.label("triage.button.legal"), action_data(keyring, VERB_LEGAL_MENU, tip.id))
    )
    if can_extend(tip, today):
        tools.append(
            _button(t.label("triage.button.extend"), action_data(keyring, VERB_EXTEND_MENU, tip.id))
        )
    rows.append(tools)
    return InlineKeyboardMarkup(rows)


def can_extend(tip: Tip, today: date) -> bool:
    """Say whether an art. 147 extension may still be recorded: open, before the deadline."""
    current = as_status(tip.status)
    return (
        current in OPEN
        and deadlines.follows_art_147(tip.legal_type)
        and as_extension(tip.extension) is not Extension.PROCURACY
        and not deadlines.is_overdue(tip.decision_deadline, today)
    )


def _back(t: Translator, keyring: Keyring, tip: Tip) -> list[InlineKeyboardButton]:
    return [_button(t.label("triage.button.back"), action_data(keyring, VERB_BACK, tip.id))]


def close_keyboard(t: Translator, keyring: Keyring, tip: Tip, here: Status) -> InlineKeyboardMarkup:
    """Return the outcomes to close a tip with."""
    buttons = [
        _button(
            outcome_label(t, outcome),
            action_data(
                keyring, VERB_CLOSE, tip.id, status_index(here) + str(OUTCOMES.index(outcome))
            ),
        )
        for outcome in outcomes_from(here)
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _back(t, keyring, tip)])


def transfer_keyboard(
    t: Translator, keyring: Keyring, tip: Tip, here: Status, parent: Unit | None
) -> InlineKeyboardMarkup:
    """Return where a tip can be transferred with a press (any unit: /transfer CODE UNIT)."""
    rows = [
        [
            _button(
                t.label("triage.button.investigation"),
                action_data(keyring, VERB_TO_INVESTIGATION, tip.id, status_index(here)),
            )
        ]
    ]
    if parent is not None and parent.active:
        rows.append(
            [
                _button(
                    t.label("triage.button.to_unit", unit=parent.name(t.language)),
                    action_data(keyring, VERB_TO_UNIT, tip.id, f"{status_index(here)}.{parent.id}"),
                )
            ]
        )
    rows.append(_back(t, keyring, tip))
    return InlineKeyboardMarkup(rows)


def extend_keyboard(t: Translator, keyring: Keyring, tip: Tip) -> InlineKeyboardMarkup:
    """Return the next extension that can be recorded."""
    had = as_extension(tip.extension) or Extension.NONE
    following = EXTENSIONS[min(EXTENSIONS.index(had) + 1, len(EXTENSIONS) - 1)]
    rows = []
    if following is not had:
        rows.append(
            [
                _button(
                    t.label(_EXTENSION_BUTTONS[following]),
                    action_data(keyring, VERB_EXTEND, tip.id, str(EXTENSIONS.index(following))),
                )
            ]
        )
    rows.append(_back(t, keyring, tip))
    return InlineKeyboardMarkup(rows)


def legal_keyboard(t: Translator, keyring: Keyring, tip: Tip) -> InlineKeyboardMarkup:
    """Return the legal types to choose from (the current one marked)."""
    buttons = [
        _button(
            ("• " if legal == tip.legal_type else "") + t.label(LEGAL_TYPE_KEYS[legal]),
            action_data(keyring, VERB_LEGAL, tip.id, str(LEGAL_TYPES.index(legal))),
        )
        for legal in LEGAL_TYPES
    ]
    return InlineKeyboardMarkup([[button] for button in buttons] + [_back(t, keyring, tip)])


def card_assign_keyboard(
    t: Translator, keyring: Keyring, tip: Tip, people: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """Return the card's list of the unit's officers to make the handler, and the way back."""
    buttons = [
        _button(
            ("• " if user_id == tip.assignee_id else "") + name,
            action_data(keyring, VERB_ASSIGN_CARD, tip.id, str(user_id)),
        )
        for user_id, name in people
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 2), _back(t, keyring, tip)])


def assign_keyboard(
    keyring: Keyring, tip: Tip, people: Sequence[tuple[int, str]]
) -> InlineKeyboardMarkup:
    """Return one button per officer who may handle the tip."""
    return InlineKeyboardMarkup(
        _rows(
            [
                _button(name, action_data(keyring, VERB_ASSIGN, tip.id, str(user_id)))
                for user_id, name in people
            ],
            2,
        )
    )


def reply_keyboard(t: Translator, keyring: Keyring, message_id: int) -> InlineKeyboardMarkup:
    """Return the tipster's "Reply" button under a question."""
    return InlineKeyboardMarkup(
        [[_button(t.label("triage.button.reply"), reply_data(keyring, message_id))]]
    )


def list_keyboard(
    t: Translator,
    keyring: Keyring,
    tips: Sequence[Tip],
    query: TipQuery,
    offset: int,
    total: int,
    page: int,
) -> InlineKeyboardMarkup | None:
    """Return a button to open each listed tip, and the pages before and after."""
    rows = _rows(
        [
            _button(
                t.label("triage.button.open", code=tip.code),
                action_data(keyring, VERB_VIEW, tip.id),
            )
            for tip in tips
        ],
        2,
    )
    pages = []
    encoded = query.encode()
    if offset > 0:
        pages.append(
            _button(
                t.label("triage.button.previous"), f"{CB_LIST}{max(0, offset - page)}:{encoded}"
            )
        )
    if offset + len(tips) < total:
        pages.append(_button(t.label("triage.button.next"), f"{CB_LIST}{offset + page}:{encoded}"))
    # Telegram takes at most 64 bytes of data; filters that do not fit lose the page buttons
    # (the list itself is right, and narrower filters page again).
    pages = [
        button for button in pages if len(str(button.callback_data).encode()) <= _MAX_DATA_BYTES
    ]
    if pages:
        rows.append(pages)
    return InlineKeyboardMarkup(rows) if rows else None


# ---------------------------------------------------------------- lines about tips


def days_text(t: Translator, deadline: date, today: date) -> str:
    """Say how the deadline stands: days left, today, or days overdue."""
    left = deadlines.days_left(deadline, today)
    if left > 0:
        return t.plural_label("triage.days.left", left, days=left)
    if left == 0:
        return t.label("triage.days.today")
    return t.plural_label("triage.days.over", -left, days=-left)


def tip_line(
    t: Translator,
    tip: Tip,
    *,
    today: date,
    categories: Mapping[str, Category],
    units: Mapping[int, Unit],
    names: Mapping[int, str],
) -> str:
    """Return one line about a tip for lists: code, category, status, unit, deadline, handler."""
    category = categories.get(tip.category)
    unit = units.get(tip.unit_id) if tip.unit_id is not None else None
    handler = (
        t("triage.line.handler", name=names.get(tip.assignee_id, str(tip.assignee_id)))
        if tip.assignee_id is not None
        else ""
    )
    return t(
        "triage.line",
        code=tip.code,
        category=category.label(t.language) if category else tip.category,
        status=status_label(t, tip.status),
        unit=unit.code if unit is not None else t.label("triage.line.no_unit"),
        # A decided tip has no clock left: its deadline is history, not a countdown.
        due=Html(
            t(
                "triage.line.due",
                deadline=day(tip.decision_deadline),
                left=days_text(t, tip.decision_deadline, today),
            )
            if as_status(tip.status) in OPEN
            else ""
        ),
        handler=Html(handler),
    )


def list_text(
    t: Translator,
    tips: Sequence[Tip],
    total: int,
    offset: int,
    *,
    today: date,
    categories: Mapping[str, Category],
    units: Mapping[int, Unit],
    names: Mapping[int, str],
) -> str:
    """Return one page of /tips."""
    if not tips:
        return t("triage.list.empty")
    lines = [
        tip_line(t, tip, today=today, categories=categories, units=units, names=names)
        for tip in tips
    ]
    return t(
        "triage.list",
        first=offset + 1,
        last=offset + len(tips),
        total=total,
        lines=Html("\n".join(lines)),
    )


def overdue_text(
    t: Translator,
    overdue: Overdue,
    *,
    categories: Mapping[str, Category],
    units: Mapping[int, Unit],
    names: Mapping[int, str],
    digest: bool = False,
) -> str:
    """Return /overdue, or the daily digest: deadlines near or past, tips nobody took."""

    def lines(tips: Sequence[Tip]) -> Html:
        return Html(
            "\n".join(
                tip_line(
                    t, tip, today=overdue.today, categories=categories, units=units, names=names
                )
                for tip in tips
            )
            or t("triage.overdue.none")
        )

    hours = t.number(overdue.untaken_hours, decimals=0 if overdue.untaken_hours.is_integer() else 1)
    key = N_("triage.digest") if digest else N_("triage.overdue")
    return t(
        key,
        date=day(overdue.today),
        days=deadlines.DUE_SOON_DAYS,
        due_count=len(overdue.due),
        due=lines(overdue.due),
        hours=hours,
        untaken_count=len(overdue.untaken),
        untaken=lines(overdue.untaken),
    )


# ---------------------------------------------------------------- history and messages


def _event_text(
    t: Translator, event: TipEvent, names: Mapping[int, str], units: Mapping[str, str]
) -> str:
    if event.event == EVENT_STATUS:
        text = t(
            "triage.history.status",
            old=status_label(t, event.from_status or ""),
            new=status_label(t, event.to_status or ""),
        )
        if event.note:
            text += t("triage.history.outcome", outcome=outcome_label(t, event.note))
        return text
    if event.event == EVENT_ASSIGNED:
        user_id = ref_user_id(event.note)
        name = names.get(user_id, str(user_id)) if user_id is not None else "?"
        return t("triage.history.assigned", name=name)
    if event.event == EVENT_NOTE:
        return t("triage.history.note", note=event.note or "")
    if event.event == EVENT_TRANSFERRED:
        target = event.note or ""
        shown = (
            t.label("tips.card.investigation_body")
            if target == TRANSFERRED_TO_INVESTIGATION
            else units.get(target, target)
        )
        return t("triage.history.transferred", target=shown)
    if event.event == EVENT_EXTENDED:
        key = _EXTENSION_NAMES.get(event.note or "")
        return t("triage.history.extended", extension=t.label(key) if key else event.note or "")
    if event.event == EVENT_LEGAL:
        return t("triage.history.legal", legal=legal_type_label(t, event.note or ""))
    if event.event == EVENT_CLOCK:
        return _clock_history(t, event.note or "")
    if event.event == EVENT_ASKED:
        return t("triage.history.asked")
    if event.event == EVENT_REPLIED:
        return t("triage.history.replied")
    if event.event == EVENT_UNDELIVERABLE:
        return t("triage.history.undeliverable")
    if event.event == "received":
        return t("triage.history.received")
    return t("triage.history.other", event=event.event)


def _clock_history(t: Translator, note: str) -> str:
    clock, _, deadline = note.partition(":")
    try:
        shown = day(date.fromisoformat(deadline))
    except ValueError:
        shown = deadline
    if clock == deadlines.CLOCK_ART_147:
        return t("triage.history.clock_art_147", deadline=shown)
    return t("triage.history.clock_service", deadline=shown)


def _actor(t: Translator, event: TipEvent, names: Mapping[int, str]) -> str:
    user_id = ref_user_id(event.actor_ref)
    if user_id is not None:
        return names.get(user_id, str(user_id))
    if event.actor_kind == "resident":
        return t.label("triage.history.tipster")
    return t.label("triage.history.system")


def history_text(
    t: Translator,
    events: Sequence[TipEvent],
    messages: Sequence[RelayMessage],
    *,
    zone: ZoneInfo,
    names: Mapping[int, str],
    units: Mapping[str, str],
) -> str:
    """Return the full view's history and the questions and answers exchanged with the tipster."""
    history = "\n".join(
        t(
            "triage.history.line",
            at=moment(event.at, zone),
            who=_actor(t, event, names),
            what=Html(_event_text(t, event, names, units)),
        )
        for event in events
    )
    parts = [t("triage.history.title") + "\n" + history]
    if messages:
        lines = []
        for message in messages:
            if message.direction == "to_tipster":
                key = _QUESTION_KEYS[message.state]
                officer = message.officer_id
                who = names.get(officer, str(officer)) if officer is not None else "?"
                lines.append(
                    t(key, at=moment(message.created_at, zone), who=who, text=message.body)
                )
            else:
                lines.append(
                    t(
                        "triage.messages.answer",
                        at=moment(message.created_at, zone),
                        text=message.body,
                    )
                )
        parts.append(t("triage.messages.title") + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """Return the start of a text on one line."""
    return clip(" ".join(text.split()), limit)


# ---------------------------------------------------------------- what the tipster reads


def question_text(t: Translator, tip: Tip, body: str, officer_name: str | None) -> str:
    """Return a question as the tipster reads it (the officer named only if configured)."""
    if officer_name:
        return t("triage.question.named", code=tip.code, officer=officer_name, text=body)
    return t("triage.question", code=tip.code, text=body)


def answer_text(t: Translator, tip: Tip, body: str, question: RelayMessage | None) -> str:
    """Return a tipster's answer as the officers' chat reads it: no identity, only the text."""
    asked = t("triage.answer.to", question=excerpt(question.body)) if question is not None else ""
    return t("triage.answer", code=tip.code, asked=Html(asked), text=body)


# ---------------------------------------------------------------- the audit log


def audit_keyboard(
    t: Translator, entries: Sequence[AuditEntry], filters: str, page: int
) -> InlineKeyboardMarkup | None:
    """Return the "Older" button when the page is full."""
    if len(entries) < page:
        return None
    data = f"{CB_AUDIT}{entries[-1].id}:{filters}"
    if len(data.encode()) > _MAX_DATA_BYTES:
        return None
    return InlineKeyboardMarkup([[_button(t.label("triage.button.older"), data)]])
