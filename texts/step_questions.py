"""The questions asked once before a step a head cannot take back: what will happen, to how
many members, with "yes" and a way out that changes nothing. Each "yes" carries when it was
asked and the members it counted, so a stale or repeated one is refused (domain.confirmation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.confirmation import Step, StepQuestion
from domain.purchase import PickupSlot, Purchase
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
    Step.COMPLETE: Action.HEAD_COMPLETE_CONFIRM,
}


def step_question(
    t: Translator,
    step: Step,
    question: StepQuestion,
    reason: str = "",
    slots: Sequence[PickupSlot] | None = None,
) -> str:
    """What taking `step` will do, and to how many members; `reason` is a cancel's, `slots`
    the pickup typed with /arrived, as read."""
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
    if step is Step.ARRIVED and slots is not None:
        return t.gettext(
            "Have the goods of {title} arrived? I send the pickup codes now ({members}), for:\n"
            "{slots}"
        ).format(title=title, members=members, slots=slots_text(t, slots))
    if step is Step.ARRIVED:
        return t.gettext(
            "Have the goods of {title} arrived? I send the pickup codes now ({members}), for:\n"
            "{slots}\nTo pick up elsewhere or at another time, send /arrived {id} with the slots."
        ).format(title=title, members=members, slots=slots_text(t, purchase.pickup_slots),
                 id=purchase.id)  # fmt: skip
    if step is Step.COMPLETE:
        return complete_question(t, purchase)
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


def slots_text(t: Translator, slots: Sequence[PickupSlot]) -> str:
    return "\n".join("📍 " + slot_text(t, slot) for slot in slots)


def complete_question(t: Translator, purchase: Purchase) -> str:
    """Completing ends the purchase for good: who has not collected is told their goods are
    leftovers, everyone who got goods is asked for a rating, the card is unpinned."""
    waiting = len([m for m in purchase.pickup_codes if m not in purchase.handed_over])
    title = notices.title(purchase)
    if not waiting:
        return t.gettext(
            "Complete {title}? Everyone has collected their goods. This cannot be undone: "
            "members are asked to rate it and the card is unpinned."
        ).format(title=title)
    return t.ngettext(
        "Complete {title}? {count} member has not collected their goods: I tell them they "
        "are kept on the record as leftovers and to write to you. This cannot be undone: "
        "members are asked to rate it and the card is unpinned.",
        "Complete {title}? {count} members have not collected their goods: I tell them they "
        "are kept on the record as leftovers and to write to you. This cannot be undone: "
        "members are asked to rate it and the card is unpinned.",
        waiting,
    ).format(title=title, count=waiting)


def step_markup(
    t: Translator,
    step: Step,
    question: StepQuestion,
    asked_at: datetime,
    typed: bool = False,
) -> InlineKeyboardMarkup:
    """Yes, carrying what was asked; and a way out: the panel again, or (under a question
    that answers a typed command: /cancel_purchase, /arrived) the question closed."""
    pid = question.purchase.id
    yes = {
        Step.STOP: t.gettext("✅ Yes, stop now"),
        Step.GO_AHEAD: t.gettext("✅ Yes, go ahead"),
        Step.CANCEL: t.gettext("✅ Yes, cancel it"),
        Step.ORDERED: t.gettext("✅ Yes, it is ordered"),
        Step.ARRIVED: t.gettext("✅ Yes, they are here"),
        Step.COMPLETE: t.gettext("✅ Yes, complete it"),
    }[step]
    typed_arrived = typed and step is Step.ARRIVED
    action = Action.HEAD_ARRIVED_TYPED_CONFIRM if typed_arrived else CONFIRMED_BY[step]
    confirm = encode(action, pid, int(asked_at.timestamp()), question.members)
    if step is Step.CANCEL:
        back = InlineKeyboardButton(
            t.gettext("↩️ No, keep the purchase"), callback_data=encode(Action.HEAD_KEEP, pid)
        )
    elif typed:
        back = InlineKeyboardButton(
            t.gettext("↩️ No, not yet"), callback_data=encode(Action.HEAD_KEEP, pid)
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
