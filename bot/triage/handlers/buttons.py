"""The card's buttons: one verb, one action (a table); every press is checked again.

A button's data is signed (`bot.triage.render.parse_action`): verb, tip, argument. The tip must
still be in the officer's scope; a forged or malformed press, or one on a tip out of reach, is
answered like a stale button. Actions that change the tip answer the press and redraw its card
(and the pressed view); a submenu swaps the pressed message's buttons. A refused change is
answered in an alert and the card redrawn, so it shows what stopped it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.kernel.i18n import N_, Translator
from bot.kernel.status import Status
from bot.officers.access import Officer, refuse
from bot.ptb.errors import is_benign
from bot.ptb.refusals import answer_refusal
from bot.tips.model import LEGAL_TYPES, Tip
from bot.tips.status import as_status, status_label
from bot.triage.handlers.cards import after_change, refresh_card, show_tip
from bot.triage.handlers.commands import assigned, tell_assignee
from bot.triage.handlers.common import message_translator, officer_names
from bot.triage.needs import Context, TriageNeeds
from bot.triage.render import (
    EXTENSIONS,
    OUTCOMES,
    VERB_ASSIGN,
    VERB_ASSIGN_CARD,
    VERB_ASSIGN_MENU,
    VERB_BACK,
    VERB_CLOSE,
    VERB_CLOSE_MENU,
    VERB_EXTEND,
    VERB_EXTEND_MENU,
    VERB_LEGAL,
    VERB_LEGAL_MENU,
    VERB_STATUS,
    VERB_TO_INVESTIGATION,
    VERB_TO_UNIT,
    VERB_TRANSFER_MENU,
    VERB_VIEW,
    can_extend,
    card_assign_keyboard,
    card_keyboard,
    close_keyboard,
    extend_keyboard,
    indexed,
    legal_keyboard,
    parse_action,
    status_at,
    transfer_keyboard,
)
from bot.triage.service import Change, TriageError
from bot.units import Unit

_T = TypeVar("_T")


class DeadButton(Exception):
    """A press whose argument makes no sense: answered like a stale button."""


@dataclass(frozen=True)
class Press:
    """One genuine press on a tip the officer may act on."""

    update: Update
    context: Context
    query: CallbackQuery
    officer: Officer
    tip: Tip
    argument: str
    # The pressed message, and its language: a card in a group speaks the default language.
    message: Message
    shown: Translator

    @property
    def services(self) -> TriageNeeds:
        return self.context.services

    @property
    def t(self) -> Translator:
        """The translator of the officer who pressed (for the answer to the press)."""
        return self.context.t

    async def changed(self, change: Change, answer: str) -> None:
        """Answer the press, then redraw the card and the pressed view of the tip."""
        await self.query.answer(answer)
        await after_change(self.context, change, pressed=(self.message, self.shown))

    async def status_changed(self, change: Change, status: str) -> None:
        await self.changed(
            change, self.t.label("triage.done.status", status=status_label(self.t, status))
        )


Action = Callable[[Press], Awaitable[None]]


async def action_pressed(update: Update, context: Context, officer: Officer) -> object:
    """Act on a tip from its card or its full view; every press is checked again."""
    query = update.callback_query
    services = context.services
    if query is None or not isinstance(query.message, Message):
        if query is not None:
            await refuse(update, context)
        return None
    parsed = parse_action(services.keyring, query.data or "")
    tip = None if parsed is None else await services.triage.get(officer, parsed[1])
    if parsed is None or tip is None:
        # Forged, malformed, or a tip outside the officer's scope: a dead button.
        await refuse(update, context)
        return None
    verb, tip_id, argument = parsed
    message = query.message
    shown = await message_translator(services, update, message)
    action = ACTIONS.get(verb)
    try:
        if action is None:
            raise DeadButton(verb)
        await action(Press(update, context, query, officer, tip, argument, message, shown))
    except DeadButton:
        await refuse(update, context)
    except TriageError as error:
        await answer_refusal(update, context, error)
        await refresh_card(context, tip_id, pressed=(message, shown))
    return None


# ---------------------------------------------------------------- changes


def _status(text: str) -> Status:
    """Return the status of one digit of the argument; a dead button if it names none."""
    status = status_at(text)
    if status is None:
        raise DeadButton(text)
    return status


def _pick(values: Sequence[_T], text: str) -> _T:
    """Return the value a one-digit index of the argument names; a dead button if none."""
    value = indexed(values, text)
    if value is None:
        raise DeadButton(text)
    return value


async def _set_status(press: Press) -> None:
    """Move the tip on from the status the card showed (argument: from and to indexes)."""
    if len(press.argument) != 2:
        raise DeadButton(press.argument)
    here, wanted = _status(press.argument[:1]), _status(press.argument[1:])
    change = await press.services.triage.change_status(press.officer, press.tip.id, here, wanted)
    await press.status_changed(change, change.after.status)


async def _close(press: Press) -> None:
    """Close the tip with an outcome (argument: from status index and outcome index)."""
    if len(press.argument) != 2:
        raise DeadButton(press.argument)
    here, outcome = _status(press.argument[:1]), _pick(OUTCOMES, press.argument[1:])
    change = await press.services.triage.change_status(
        press.officer, press.tip.id, here, Status.CLOSED, outcome=outcome
    )
    await press.status_changed(change, change.after.status)


async def _to_investigation(press: Press) -> None:
    """Hand the tip to the competent investigation body (argument: from status index)."""
    here_text, _, _unit_text = press.argument.partition(".")
    await _transfer(press, here_text, None)


async def _to_unit(press: Press) -> None:
    """Hand the tip to another unit (argument: "<from status index>.<unit id>")."""
    here_text, _, unit_text = press.argument.partition(".")
    units = press.services.units
    unit = await units.by_id(int(unit_text)) if unit_text.isdigit() else None
    if unit is None:
        raise DeadButton(press.argument)
    await _transfer(press, here_text, unit)


async def _transfer(press: Press, here_text: str, unit: Unit | None) -> None:
    change = await press.services.triage.transfer(
        press.officer, press.tip.id, _status(here_text), unit
    )
    await press.status_changed(change, Status.TRANSFERRED)


async def _extend(press: Press) -> None:
    """Extend the tip's deadline (argument: extension index)."""
    extension = _pick(EXTENSIONS, press.argument)
    change = await press.services.triage.extend(press.officer, press.tip.id, extension)
    await press.changed(change, press.t.label("triage.done.extended"))


async def _set_legal_type(press: Press) -> None:
    """Set the tip's legal type (argument: legal type index)."""
    legal = _pick(LEGAL_TYPES, press.argument)
    change = await press.services.triage.set_legal_type(press.officer, press.tip.id, legal)
    await press.changed(change, press.t.label("triage.done.legal"))


async def _assign(press: Press) -> None:
    """Make an officer the tip's handler (argument: their Telegram id), from /assign's buttons."""
    if not press.argument.isdigit() or len(press.argument) > 16:
        raise DeadButton(press.argument)
    change = await press.services.triage.assign(press.officer, press.tip.id, int(press.argument))
    await press.query.answer()
    text = await assigned(press.context, press.officer, change, press.t)
    await press.query.edit_message_text(text, parse_mode=ParseMode.HTML)


async def _view(press: Press) -> None:
    """Send the full view of the tip to the officer, in private."""
    await press.query.answer()
    await show_tip(press.context, press.officer.user_id, press.officer, press.tip, press.t)


# ---------------------------------------------------------------- submenus


Keyboard = Callable[[Press], Awaitable[InlineKeyboardMarkup | None]]


def _submenu(keyboard: Keyboard) -> Action:
    """Return an action that swaps the pressed message's buttons for `keyboard`'s."""

    async def swap(press: Press) -> None:
        markup = await keyboard(press)
        await press.query.answer()
        try:
            await press.query.edit_message_reply_markup(reply_markup=markup)
        except TelegramError as error:
            if not is_benign(error):
                raise

    return swap


def _unchanged(press: Press) -> Status:
    """Return the status the card showed (argument), refusing if the tip has moved on since."""
    here = _status(press.argument)
    tip = press.tip
    if tip.status != here:
        raise TriageError(N_("triage.refused.changed"), status=as_status(tip.status) or tip.status)
    return here


async def _close_menu(press: Press) -> InlineKeyboardMarkup | None:
    here = _unchanged(press)
    return close_keyboard(press.shown, press.services.keyring, press.tip, here)


async def _transfer_menu(press: Press) -> InlineKeyboardMarkup | None:
    here = _unchanged(press)
    units = press.services.units
    tip = press.tip
    parent = None
    if tip.unit_id is not None:
        unit = await units.by_id(tip.unit_id)
        if unit is not None and unit.parent_id is not None:
            parent = await units.by_id(unit.parent_id)
    return transfer_keyboard(press.shown, press.services.keyring, tip, here, parent)


async def _extend_menu(press: Press) -> InlineKeyboardMarkup | None:
    if not can_extend(press.tip, press.services.triage.today()):
        # A stale button (the deadline passed since the card was drawn): say why, redraw.
        raise TriageError(N_("triage.extend.expired"))
    return extend_keyboard(press.shown, press.services.keyring, press.tip)


async def _legal_menu(press: Press) -> InlineKeyboardMarkup | None:
    return legal_keyboard(press.shown, press.services.keyring, press.tip)


async def _back(press: Press) -> InlineKeyboardMarkup | None:
    return card_keyboard(
        press.shown, press.services.keyring, press.tip, press.services.triage.today()
    )


async def _assign_menu(press: Press) -> InlineKeyboardMarkup | None:
    if press.tip.status == Status.CLOSED:
        # A stale button: the tip was closed since the card was drawn.
        raise TriageError(N_("triage.refused.closed"))
    services = press.services
    people = await services.triage.candidates(press.tip)
    names = await officer_names(services, (person.user_id for person in people))
    choices = [(person.user_id, names[person.user_id]) for person in people]
    if not choices:
        raise TriageError(N_("triage.assign.nobody"))
    return card_assign_keyboard(press.shown, services.keyring, press.tip, choices)


async def _assign_from_card(press: Press) -> None:
    """Make an officer the handler from the card's list (argument: their Telegram id)."""
    if not press.argument.isdigit() or len(press.argument) > 16:
        raise DeadButton(press.argument)
    change = await press.services.triage.assign(press.officer, press.tip.id, int(press.argument))
    name = await tell_assignee(press.context, press.officer, change)
    await press.changed(change, press.t.label("triage.done.assigned", name=name))


# What each verb of a signed button does (bot.triage.render.VERBS); adding a verb is a row.
ACTIONS: Final[Mapping[str, Action]] = {
    VERB_STATUS: _set_status,
    VERB_CLOSE: _close,
    VERB_TO_INVESTIGATION: _to_investigation,
    VERB_TO_UNIT: _to_unit,
    VERB_EXTEND: _extend,
    VERB_LEGAL: _set_legal_type,
    VERB_ASSIGN: _assign,
    VERB_ASSIGN_CARD: _assign_from_card,
    VERB_ASSIGN_MENU: _submenu(_assign_menu),
    VERB_VIEW: _view,
    VERB_CLOSE_MENU: _submenu(_close_menu),
    VERB_TRANSFER_MENU: _submenu(_transfer_menu),
    VERB_EXTEND_MENU: _submenu(_extend_menu),
    VERB_LEGAL_MENU: _submenu(_legal_menu),
    VERB_BACK: _submenu(_back),
}
