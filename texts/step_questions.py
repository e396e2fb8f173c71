"""The questions asked once before a step a head cannot take back: what will happen, to how
many members, with "yes" and a way out that changes nothing. Each "yes" carries when it was
asked and the members it counted, so a stale or repeated one is refused (domain.confirmation).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.confirmation import Step, StepQuestion
from domain.purchase import Purchase
from texts import notices
from texts.callback_data import Action, encode
from texts.card_view import members_count
from texts.i18n import Translator
from texts.notices import progress, slot_text

CONFIRMED_BY = {
    Step.STOP: Action.HEAD_STOP_CONFIRM,
    Step.GO_AHEAD: Action.HEAD_GO_AHEAD_CONFIRM,
    Step.CANCEL: Action.HEAD_CANCEL_CONFIRM,
    Step.ORDERED: Action.HEAD_ORDERED_CONFIRM,
    Step.ARRIVED: Action.HEAD_ARRIVED_CONFIRM,
}


def step_question(t: Translator, step: Step, question: StepQuestion, reason: str = "") -> str:
    """What taking `step` will do, and to how many members; `reason` is a cancel's."""
    purchase = question.purchase
    title = notices.title(purchase)
    members = members_count(t, question.members)
    if step is Step.STOP:
        return t.ngettext(
            "Stop {title} now? Orders freeze for good: {count} member gets their final order "
            "and what they owe, and nobody can change or withdraw on their own after this.",
            "Stop {title} now? Orders freeze for good: {count} members get their final order "
            "and what they owe, and nobody can change or withdraw on their own after this.",
            question.members,
        ).format(title=title, count=question.members)
    if step is Step.GO_AHEAD:
        return t.gettext(
            "The minimum order of {title} is not reached: {progress}. Stop now and order "
            "anyway? I tell each member their final order ({members})."
        ).format(title=title, progress=progress(t, purchase), members=members)
    if step is Step.ORDERED:
        return t.gettext(
            "Mark {title} ordered from the supplier? I tell all its members ({members})."
        ).format(title=title, members=members)
    if step is Step.ARRIVED:
        slots = "\n".join("📍 " + slot_text(t, slot) for slot in purchase.pickup_slots)
        return t.gettext(
            "Have the goods of {title} arrived? I send the pickup codes now ({members}), for:\n"
            "{slots}\nTo pick up elsewhere or at another time, send /arrived {id} with the slots."
        ).format(title=title, members=members, slots=slots, id=purchase.id)
    lines = [
        t.ngettext(
            "Cancel {title}? This cannot be undone: {count} member is told it is cancelled, "
            "with your reason:",
            "Cancel {title}? This cannot be undone: {count} members are told it is cancelled, "
            "with your reason:",
            question.members,
        ).format(title=title, count=question.members),
        t.gettext("«{reason}»").format(reason=escape(reason)),
    ]
    if question.collected.minor:
        lines.append(
            t.ngettext(
                "{count} member has paid {amount} in all: give it back after cancelling "
                "(Payments lists whom).",
                "{count} members have paid {amount} in all: give it back after cancelling "
                "(Payments lists whom).",
                question.paid_by,
            ).format(count=question.paid_by, amount=t.money(question.collected))
        )
    return "\n".join(lines)


def step_markup(
    t: Translator, step: Step, question: StepQuestion, asked_at: datetime
) -> InlineKeyboardMarkup:
    """Yes, carrying what was asked; and a way out: the panel again, or (under the cancel
    question, which answers a typed command) the question closed."""
    pid = question.purchase.id
    yes = {
        Step.STOP: t.gettext("✅ Yes, stop now"),
        Step.GO_AHEAD: t.gettext("✅ Yes, go ahead"),
        Step.CANCEL: t.gettext("✅ Yes, cancel it"),
        Step.ORDERED: t.gettext("✅ Yes, it is ordered"),
        Step.ARRIVED: t.gettext("✅ Yes, they are here"),
    }[step]
    confirm = encode(CONFIRMED_BY[step], pid, int(asked_at.timestamp()), question.members)
    if step is Step.CANCEL:
        back = InlineKeyboardButton(
            t.gettext("↩️ No, keep the purchase"), callback_data=encode(Action.HEAD_KEEP, pid)
        )
    else:
        back = InlineKeyboardButton(
            t.gettext("↩️ Back"), callback_data=encode(Action.HEAD_PANEL, pid)
        )
    return InlineKeyboardMarkup([[InlineKeyboardButton(yes, callback_data=confirm)], [back]])


def helper_removal(
    t: Translator, purchase: Purchase, helper_id: int, asked_at: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """Asked once before a helper goes: what they can no longer do; yes, and back to the list."""
    name = purchase.helpers.get(helper_id, str(helper_id))
    text = t.gettext(
        "Remove {name} as a helper of {title}? They can no longer hand goods over or take cash "
        "for it, and I tell them so."
    ).format(name=escape(name), title=notices.title(purchase))
    asked = int(asked_at.timestamp())
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(
            t.gettext("✅ Yes, remove {name}").format(name=name)[:64],
            callback_data=encode(Action.HELPER_REMOVE_CONFIRM, purchase.id, helper_id, asked),
        )],
        [InlineKeyboardButton(
            t.gettext("↩️ Back"), callback_data=encode(Action.HELPERS_LIST, purchase.id)
        )],
    ])  # fmt: skip
    return text, markup
