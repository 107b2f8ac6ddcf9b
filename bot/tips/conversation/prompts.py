"""The question of each step and its keyboard: a step -> prompt table, the review, the hints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.kernel.i18n import N_, Html, Translator
from bot.tips import steps
from bot.tips.conversation.callbacks import (
    CB_CANCEL,
    CB_CATEGORY,
    CB_EDIT,
    CB_EVIDENCE_CLEAR,
    CB_EVIDENCE_DONE,
    CB_IDENTITY,
    CB_LEGAL,
    CB_PREVIOUS,
    CB_REVIEW,
    CB_SEND,
    CB_STORY_DONE,
    CB_WHEN,
)
from bot.tips.conversation.turn import Markup, Turn, with_draft
from bot.tips.model import MAX_EVIDENCE, STORY_MAX_CHARS, Draft, DraftRecord
from bot.tips.render import day, moment, review_text
from bot.tips.service import LimitReached
from bot.units import Unit

_HINTS = {
    steps.CATEGORY: N_("tips.hint.category"),
    steps.STORY: N_("tips.hint.story"),
    steps.PLACE: N_("tips.hint.place"),
    steps.PLACE_UNIT: N_("tips.hint.place_unit"),
    steps.WHEN: N_("tips.hint.when"),
    steps.WHEN_DATE: N_("tips.hint.when_date"),
    steps.EVIDENCE: N_("tips.hint.evidence"),
    steps.IDENTITY: N_("tips.hint.identity"),
    steps.CONTACT: N_("tips.hint.contact"),
    steps.REVIEW: N_("tips.hint.review"),
    steps.LEGAL: N_("tips.hint.legal"),
}


def limit_text(turn: Turn, limit: LimitReached) -> str:
    """Return why the resident cannot send a tip now, and when they can again."""
    when = moment(limit.retry_at, turn.services.settings.zone)
    if limit.period == "hour":
        return turn.t("tips.limit.hour", limit=limit.limit, time=when)
    return turn.t("tips.limit.day", limit=limit.limit, time=when)


def inline(
    rows: list[list[InlineKeyboardButton]], draft: Draft, t: Translator, *, previous: bool = True
) -> Markup | None:
    """Return inline buttons, with "Back to the review" once the review was seen, else (unless
    the step is the first) «Quay lại» to the step before."""
    if draft.reviewed:
        rows = [*rows, [InlineKeyboardButton(t.label("tips.button.back"), callback_data=CB_REVIEW)]]
    elif previous:
        back = InlineKeyboardButton(t.label("tips.button.previous"), callback_data=CB_PREVIOUS)
        rows = [*rows, [back]]
    return InlineKeyboardMarkup(rows) if rows else None


def done_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Return the story's "Done" button."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.label("tips.button.done"), callback_data=CB_STORY_DONE)]]
    )


def evidence_keyboard(t: Translator, draft: Draft) -> Markup | None:
    """Return the evidence step's buttons: "Done" and "Clear", or "No files"."""
    if draft.evidence:
        rows = [
            [InlineKeyboardButton(t.label("tips.button.done"), callback_data=CB_EVIDENCE_DONE)],
            [
                InlineKeyboardButton(
                    t.label("tips.button.evidence_clear"), callback_data=CB_EVIDENCE_CLEAR
                )
            ],
        ]
    else:
        rows = [
            [
                InlineKeyboardButton(
                    t.label("tips.button.evidence_none"), callback_data=CB_EVIDENCE_DONE
                )
            ]
        ]
    return inline(rows, draft, t)


async def unit_label(turn: Turn, unit: Unit) -> str:
    """Return a unit's name with its parent's, in the resident's language."""
    name = unit.name(turn.t.language)
    if unit.parent_id is not None:
        parent = await turn.services.units.by_id(unit.parent_id)
        if parent is not None:
            return f"{name} · {parent.name(turn.t.language)}"
    return name


async def unit_name(turn: Turn, unit_id: int | None) -> str | None:
    """Return the label of the unit with this id, or None."""
    if unit_id is None:
        return None
    unit = await turn.services.units.by_id(unit_id)
    return None if unit is None else await unit_label(turn, unit)


# ------------------------------------------------------------------ one prompt per step

Question = tuple[str, Markup | None]
# A step's question and keyboard, given the draft and the "step n of N" line.
Prompt = Callable[[Turn, Draft, Html], Awaitable[Question]]


async def _ask_category(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    rows = [
        [
            InlineKeyboardButton(
                category.label(t.language), callback_data=CB_CATEGORY + category.code
            )
        ]
        for category in await turn.tips.categories()
    ]
    return t("tips.ask.category", progress=progress), inline(rows, draft, t, previous=False)


async def _ask_story(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    if draft.reviewed:
        return t("tips.ask.story_again", progress=progress, max=STORY_MAX_CHARS), inline(
            [], draft, t
        )
    return t("tips.ask.story", progress=progress, max=STORY_MAX_CHARS), inline([], draft, t)


async def _ask_place(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    buttons = [[KeyboardButton(t.label("tips.button.share_location"), request_location=True)]]
    if await turn.tips.any_units():
        buttons.append([KeyboardButton(t.label("tips.button.pick_unit"))])
    buttons.append([KeyboardButton(t.label("tips.button.place_unknown"))])
    buttons.append(
        [
            KeyboardButton(t.label("tips.button.previous")),
            KeyboardButton(t.label("tips.button.cancel")),
        ]
    )
    keyboard = ReplyKeyboardMarkup(
        buttons,
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t.label("tips.placeholder.address"),
    )
    return t("tips.ask.place", progress=progress), keyboard


async def _ask_unit(turn: Turn, draft: Draft, progress: Html) -> Question:
    # The place step's reply keyboard, «Quay lại» included, stays while a unit is searched for.
    return turn.t("tips.ask.unit", progress=progress), None


async def _ask_when(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    rows = [
        [InlineKeyboardButton(t.label("tips.button.when_now"), callback_data=CB_WHEN + "now")],
        [
            InlineKeyboardButton(
                t.label("tips.button.when_today"), callback_data=CB_WHEN + "today"
            ),
            InlineKeyboardButton(
                t.label("tips.button.when_yesterday"), callback_data=CB_WHEN + "yesterday"
            ),
        ],
        [
            InlineKeyboardButton(
                t.label("tips.button.when_earlier"), callback_data=CB_WHEN + "earlier"
            )
        ],
        [InlineKeyboardButton(t.label("tips.button.when_skip"), callback_data=CB_WHEN + "skip")],
    ]
    return t("tips.ask.when", progress=progress), inline(rows, draft, t)


async def _ask_date(turn: Turn, draft: Draft, progress: Html) -> Question:
    example = day(turn.tips.local_today())
    return turn.t("tips.ask.date", progress=progress, example=example), inline([], draft, turn.t)


async def _ask_evidence(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    return (
        t("tips.ask.evidence", progress=progress, max=MAX_EVIDENCE, count=len(draft.evidence)),
        evidence_keyboard(t, draft),
    )


async def _ask_identity(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    rows = [
        [
            InlineKeyboardButton(
                t.label("tips.button.anonymous"), callback_data=CB_IDENTITY + "anon"
            )
        ],
        [
            InlineKeyboardButton(
                t.label("tips.button.leave_contact"), callback_data=CB_IDENTITY + "contact"
            )
        ],
    ]
    return t("tips.ask.identity", progress=progress), inline(rows, draft, t)


async def _ask_contact(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    keyboard = ReplyKeyboardMarkup(
        [
            [KeyboardButton(t.label("tips.button.share_contact"), request_contact=True)],
            [KeyboardButton(t.label("tips.button.stay_anonymous"))],
            [
                KeyboardButton(t.label("tips.button.previous")),
                KeyboardButton(t.label("tips.button.cancel")),
            ],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=t.label("tips.placeholder.contact"),
    )
    return t("tips.ask.contact", progress=progress), keyboard


async def _ask_legal(turn: Turn, draft: Draft, progress: Html) -> Question:
    t = turn.t
    rows = [
        [InlineKeyboardButton(t.label(key), callback_data=CB_LEGAL + legal)]
        for legal, key in (
            ("to_giac", "tips.legal.to_giac"),
            ("tin_bao", "tips.legal.tin_bao"),
            ("phan_anh", "tips.legal.phan_anh"),
        )
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t.label("tips.button.legal_default"), callback_data=CB_LEGAL + "default"
            )
        ]
    )
    return t("tips.ask.legal"), inline(rows, draft, t)


# Every step but the review, which `prompt` shows for any step not named here.
PROMPTS: dict[str, Prompt] = {
    steps.CATEGORY: _ask_category,
    steps.STORY: _ask_story,
    steps.PLACE: _ask_place,
    steps.PLACE_UNIT: _ask_unit,
    steps.WHEN: _ask_when,
    steps.WHEN_DATE: _ask_date,
    steps.EVIDENCE: _ask_evidence,
    steps.IDENTITY: _ask_identity,
    steps.CONTACT: _ask_contact,
    steps.LEGAL: _ask_legal,
}


async def prompt(turn: Turn, draft: Draft, step: str) -> Question:
    """Return the question of a step and its keyboard."""
    ask = PROMPTS.get(step)
    if ask is None:
        return await review(turn, draft)
    number = steps.NUMBER.get(step)
    progress = Html(turn.t("tips.progress", n=number, total=steps.COUNTED) if number else "")
    return await ask(turn, draft, progress)


async def review(turn: Turn, draft: Draft) -> tuple[str, Markup]:
    """Return the review of the draft, with a button to change each answer and "Send"."""
    t = turn.t
    category = await turn.tips.category(draft.category)
    text = review_text(t, draft, category=category, unit_name=await unit_name(turn, draft.unit_id))

    def edit(key: str, target: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(t.label(key), callback_data=CB_EDIT + target)

    keyboard = InlineKeyboardMarkup(
        [
            [
                edit("tips.button.edit_category", "category"),
                edit("tips.button.edit_story", "story"),
            ],
            [edit("tips.button.edit_place", "place"), edit("tips.button.edit_when", "when")],
            [
                edit("tips.button.edit_evidence", "evidence"),
                edit("tips.button.edit_identity", "identity"),
            ],
            [edit("tips.button.edit_legal", "legal")],
            [
                InlineKeyboardButton(
                    t.label("tips.button.send"), callback_data=CB_SEND + draft.submission_key
                )
            ],
            [InlineKeyboardButton(t.label("tips.button.cancel_inline"), callback_data=CB_CANCEL)],
        ]
    )
    return text, keyboard


async def show(turn: Turn, draft: Draft, step: str) -> None:
    """Ask the question of a step."""
    text, markup = await prompt(turn, draft, step)
    await turn.say(text, markup)


async def hint_step(turn: Turn, record: DraftRecord) -> object:
    """Tell the resident what this step expects (a sticker, a poll, a file where text is asked)."""
    step = record.step
    text = turn.t(_HINTS.get(step, "tips.hint.review"))
    markup: Markup | None = None
    if step in (steps.CATEGORY, steps.WHEN, steps.EVIDENCE, steps.IDENTITY, steps.LEGAL):
        _question, markup = await prompt(turn, record.draft, step)
    elif step == steps.REVIEW:
        _question, markup = await review(turn, record.draft)
    elif step == steps.STORY and (record.draft.story_parts or record.draft.story_voice):
        markup = done_keyboard(turn.t)
    await turn.say(text, markup)
    return None


hint = with_draft(hint_step)
