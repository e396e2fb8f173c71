"""The head's panel as words and buttons: the panel's text and controls for each status, and
the line a purchase gets in the head's list.
"""

from __future__ import annotations

from html import escape

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from domain import ledger
from domain.confirmation import Step
from domain.ports import PurchaseHeadline
from domain.purchase import (
    FINISHED,
    RUNNING,
    STATUS_WORDS,
    Purchase,
    PurchaseStatus,
)
from domain.supply import CONFIRMABLE
from domain.weights import WEIGHABLE
from texts.callback_data import Action, encode
from texts.card_view import members_count
from texts.i18n import Translator
from texts.notices import progress, slot_text


def panel_keyboard(t: Translator, purchase: Purchase) -> InlineKeyboardMarkup:
    pid = purchase.id

    def button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=encode(action, pid, *args))

    rows: list[list[InlineKeyboardButton]] = []
    if purchase.status is PurchaseStatus.OPEN:
        short = purchase.awaiting_head_decision or not purchase.moq_met()
        if short and purchase.can_take(Step.GO_AHEAD):
            rows.append([button(t.gettext("Go ahead anyway"), Action.HEAD_GO_AHEAD)])
        # Offered only when it would work: below the minimum Stop is refused (the head goes
        # ahead anyway, extends or cancels), and a campaign's purchase stops with the campaign
        # (neither Stop nor Go ahead).
        if not purchase.awaiting_head_decision and purchase.can_take(Step.STOP):
            rows.append([button(t.gettext("Stop now"), Action.HEAD_STOP)])
        if purchase.campaign_refusal() is None:
            rows.append([button(t.gettext("Extend by 24 h"), Action.HEAD_EXTEND, 24)])
        if not purchase.awaiting_head_decision:
            rows.append([button(t.gettext("Edit"), Action.HEAD_EDIT)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.STOPPED:
        rows.append([button(t.gettext("Mark ordered"), Action.HEAD_ORDERED)])
        rows.append([button(t.gettext("Cancel the purchase"), Action.HEAD_CANCEL)])
    elif purchase.status is PurchaseStatus.ORDERED:
        rows.append([
            button(t.gettext("Mark arrived"), Action.HEAD_ARRIVED),
            button(t.gettext("Helpers"), Action.HEAD_HELPERS),
        ])  # fmt: skip
    elif purchase.status is PurchaseStatus.ARRIVED:
        rows.append([
            button(t.gettext("Complete"), Action.HEAD_COMPLETE),
            button(t.gettext("Helpers"), Action.HEAD_HELPERS),
        ])  # fmt: skip
    if purchase.status in CONFIRMABLE:
        rows.append([button(t.gettext("What the supplier confirmed"), Action.HEAD_SUPPLY)])
    if purchase.status in WEIGHABLE and any(item.by_weight for item in purchase.items):
        rows.append([button(t.gettext("⚖️ Enter weights"), Action.HEAD_WEIGH)])
    if purchase.status in (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED):
        rows.append([button(t.gettext("Payment details"), Action.HEAD_EDIT)])
    # Collecting, or money on record (cancelled after collecting: whom to pay back).
    if (purchase.accepts_payments() and purchase.final_lines()) or purchase.ledger:
        rows.append([button(t.gettext("Payments"), Action.HEAD_PAYMENTS)])
    if purchase.participant_ids():
        rows.append([
            button(t.gettext("Participants"), Action.HEAD_PARTICIPANTS),
            button(t.gettext("Export"), Action.HEAD_EXPORT),
        ])  # fmt: skip
        rows.append([button(t.gettext("Message all"), Action.HEAD_MESSAGE)])
    if purchase.status in RUNNING and set(purchase.participant_ids()) - {purchase.head_id}:
        rows.append([button(t.gettext("Hand over to another member"), Action.HEAD_TRANSFER)])
    if purchase.status in FINISHED:
        rows.append([button(t.gettext("🔁 Open again"), Action.HEAD_AGAIN)])
    rows.append([button(t.gettext("Refresh"), Action.HEAD_PANEL)])
    return InlineKeyboardMarkup(rows)


def panel_text(t: Translator, purchase: Purchase, now_status: str) -> str:
    members = len(purchase.participant_ids())
    lines = [
        f"🛒 <b>{escape(purchase.title)}</b>",
        now_status,
        members_count(t, members) + " · " + progress(t, purchase),
    ]
    if purchase.accepts_payments() or purchase.ledger:
        figures = ledger.totals(purchase, ledger.accounts(purchase))
        money = [t.gettext("Settled: {settled} of {count}").format(
            settled=figures.settled, count=figures.paying
        )]  # fmt: skip
        if figures.to_collect.minor:
            money.append(
                t.gettext("to collect {amount}").format(amount=t.money(figures.to_collect))
            )
        if figures.to_give_back.minor:
            money.append(
                t.gettext("to give back {amount}").format(amount=t.money(figures.to_give_back))
            )
        lines.append(" · ".join(money))
    if purchase.status is PurchaseStatus.ARRIVED:
        handed = len(purchase.handed_over)
        lines.append(
            t.gettext(
                "Handed over: {handed} of {total}. Send a member's pickup code here to hand over."
            ).format(handed=handed, total=len(purchase.pickup_codes))
        )
        if len(purchase.pickup_slots) > 1:
            takers = purchase.slot_takers()
            lines += [
                "📍 " + t.ngettext(
                    "{slot}: {count} member chose it", "{slot}: {count} members chose it",
                    takers[slot.number],
                ).format(slot=slot_text(t, slot), count=takers[slot.number])
                for slot in purchase.pickup_slots
            ]  # fmt: skip
        lines.append(
            t.gettext("To move the pickup: /arrived {id} and the slots, one per line.").format(
                id=purchase.id
            )
        )
    return "\n".join(lines)


def headline_label(t: Translator, line: PurchaseHeadline) -> str:
    status = t.gettext(STATUS_WORDS[line.status])
    members = members_count(t, line.members)
    return f"{line.title[:40]} · {status} · {members}"
