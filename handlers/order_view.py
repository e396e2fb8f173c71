"""A member's own order in the private chat: lines, place in the packs, amount due, buttons."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from domain.purchase import PaymentState, Purchase, PurchaseStatus
from domain.views import LineView, MemberOrderView
from handlers.callback_data import Action, encode
from handlers.card_view import status_line


def _pack_position(t: Translator, line: LineView, open_orders: bool) -> str:
    if line.item.pack_size == 1:
        return ""
    if line.short == 0:
        return t.gettext("all in full packs so far") if open_orders else t.gettext("all in packs")
    if open_orders:
        return t.gettext("{short} wait for the next pack: {more} more units fill it").format(
            short=line.short, more=line.units_to_next_pack
        )
    return t.gettext("{short} did not fit in a pack").format(short=line.short)


def editor_text(t: Translator, purchase: Purchase, view: MemberOrderView, now: datetime) -> str:
    open_orders = purchase.accepts_orders(now)
    lines = [f"🛒 <b>{escape(purchase.title)}</b>", status_line(t, purchase, now), ""]
    if not view.lines:
        lines.append(t.gettext("You have not ordered anything yet."))
    for line in view.lines:
        entry = f"• {escape(line.item.name)}: {line.quantity}"
        if not open_orders and line.allocated != line.quantity:
            entry += " → " + t.gettext("you get {units}").format(units=line.allocated)
        lines.append(entry)
        if line.tolerance:
            lines.append(
                "   "
                + t.gettext("would also take up to {units} more to fill a pack").format(
                    units=line.tolerance
                )
            )
        position = _pack_position(t, line, open_orders)
        if position:
            lines.append("   " + position)
    if view.due is not None:
        lines.append("")
        lines.append(
            t.gettext("Goods {goods} · fee {fee} · delivery {delivery}").format(
                goods=t.money(view.due.goods),
                fee=t.money(view.due.fee),
                delivery=t.money(view.due.delivery),
            )
        )
        total = t.money(view.due.total)
        if view.due.is_estimate:
            lines.append(
                t.gettext("<b>Total {total}</b> (an estimate until the stop)").format(total=total)
            )
        else:
            lines.append(t.gettext("<b>Total due {total}</b>").format(total=total))
    payment = _payment_line(t, view)
    if payment:
        lines.append(payment)
    return "\n".join(lines)


def _payment_line(t: Translator, view: MemberOrderView) -> str:
    match view.payment:
        case PaymentState.CONFIRMED:
            return t.gettext("✅ Paid: the head has confirmed your payment.")
        case PaymentState.CLAIMED:
            return t.gettext("⏳ You said you paid; the head has not confirmed it yet.")
        case PaymentState.REJECTED:
            return t.gettext(
                "⚠️ The head could not find your payment. Check it, then tap “I paid” again."
            )
        case PaymentState.PARTLY_PAID if view.paid is not None and view.due is not None:
            return t.gettext(
                "💰 You paid {paid}; after the supplier's change {rest} is still to pay. "
                "Tap “I paid” once you have."
            ).format(paid=t.money(view.paid), rest=t.money(view.due.total - view.paid))
    if view.collecting:
        return t.gettext("💰 Not paid yet. Pay the head as they said, then tap “I paid”.")
    return ""


def _button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=encode(action, *args))


def editor_keyboard(
    t: Translator, purchase: Purchase, view: MemberOrderView, now: datetime
) -> InlineKeyboardMarkup:
    """+1/-1 per item and tolerance while orders are open; then withdraw, or ask to."""
    rows: list[list[InlineKeyboardButton]] = []
    pid = purchase.id
    ordered = {line.item.item_id for line in view.lines}
    if purchase.accepts_orders(now):
        for item in purchase.items:
            plus = _button(f"+1 {item.name}", Action.ORDER_ADD, pid, item.item_id, 1)
            if item.item_id not in ordered:
                rows.append([plus])
                continue
            rows.append([_button(f"−1 {item.name}", Action.ORDER_ADD, pid, item.item_id, -1), plus])
            if item.pack_size > 1:
                less, more = t.gettext("Fill a pack −1"), t.gettext("Fill a pack +1")
                rows.append([
                    _button(less, Action.ORDER_TOLERANCE, pid, item.item_id, -1),
                    _button(more, Action.ORDER_TOLERANCE, pid, item.item_id, 1),
                ])  # fmt: skip
        if ordered:
            rows.append([_button(t.gettext("Withdraw"), Action.ORDER_WITHDRAW, pid)])
    elif ordered and purchase.status in WITHDRAWABLE:
        if purchase.in_transfer_window(now):
            rows.append([_button(t.gettext("Withdraw"), Action.ORDER_WITHDRAW, pid)])
        else:
            rows.append(
                [_button(t.gettext("Ask the head to withdraw me"), Action.ORDER_ASK_WITHDRAW, pid)]
            )
    if view.collecting and view.payment in (
        None,
        PaymentState.REJECTED,
        PaymentState.PARTLY_PAID,
    ):
        rows.append([_button(t.gettext("I paid"), Action.ORDER_PAID, pid)])
    rows.append([_button(t.gettext("Refresh"), Action.ORDER_REFRESH, pid)])
    return InlineKeyboardMarkup(rows)


WITHDRAWABLE = (PurchaseStatus.OPEN, PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)
