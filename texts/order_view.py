"""A member's own order in the private chat: lines, place in the packs, amount due, buttons."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from domain import checkout
from domain.ledger import NOTHING_DUE, Account, PaymentStatus
from domain.purchase import RUNNING, Item, PaymentMode, Purchase, PurchaseStatus
from domain.views import LineView, MemberOrderView
from texts.callback_data import Action, encode, keyboard
from texts.card_view import status_line
from texts.i18n import Translator
from texts.notices import how_to_pay, pickup_choice_markup, slot_text, title


def _pack_position(
    t: Translator, purchase: Purchase, line: LineView, open_orders: bool, member_id: int
) -> str:
    supplied = purchase.supply.get(line.item.item_id)
    ordered = purchase.ordered_units(line.item.item_id)
    if not open_orders and line.short and supplied is not None and supplied.units < ordered:
        # Fewer came than were ordered: the supplier's doing, not the packs'.
        return t.gettext("{short} not sent: the supplier confirmed fewer").format(short=line.short)
    if line.item.in_rows:
        return _row_position(t, purchase, line, open_orders, member_id)
    if line.item.pack_size == 1:
        return ""
    if line.short == 0:
        return t.gettext("all in full packs so far") if open_orders else t.gettext("all in packs")
    if open_orders:
        more = line.units_to_next_pack
        # Two counts, two plurals: joined by a message of its own, for Chinese's "：".
        return t.gettext("{waiting}: {to_fill}").format(
            waiting=t.ngettext(
                "{short} waits for the next pack", "{short} wait for the next pack", line.short
            ).format(short=line.short),
            to_fill=t.ngettext(
                "{more} more unit fills it", "{more} more units fill it", more
            ).format(more=more),
        )
    return t.gettext("{short} did not fit in a pack").format(short=line.short)


def _row_position(
    t: Translator, purchase: Purchase, line: LineView, open_orders: bool, member_id: int
) -> str:
    """Goods sold in rows: whether the member's units are in full rows, and if not, which
    sizes would complete the row they wait in (anyone may take one)."""
    if line.short == 0:
        return (
            t.gettext("all in full rows so far") if open_orders else t.gettext("all in full rows")
        )
    state = purchase.rows_state(line.item.group)
    if not open_orders:
        short = t.gettext("{short} not in a full row: not ordered").format(short=line.short)
        moves = [
            target
            for source, target in purchase.row_moves(member_id)
            if source == line.item.item_id
        ]
        if moves:
            short += " — " + t.gettext(
                "{size} instead would fill the row (the button below)"
            ).format(size=escape(purchase.item(moves[0]).variant))
        return short
    missing = ", ".join(purchase.item(item_id).variant for item_id in state.missing)
    return t.ngettext(
        "{short} waits in row {row}, which still needs {missing}",
        "{short} wait in row {row} and after, which still needs {missing}",
        line.short,
    ).format(short=line.short, row=state.next_row_number, missing=escape(missing))


def _weight(t: Translator, purchase: Purchase, member_id: int, line: LineView) -> str:
    """ "(about 1 kg)", or once weighed "(1.104 kg)"."""
    grams = purchase.weights.get((member_id, line.item.item_id))
    if grams is not None:
        return " " + t.gettext("({weight} kg weighed)").format(weight=t.kilograms(grams))
    units = line.allocated if line.allocated else line.quantity
    return " " + t.gettext("(about {weight} kg)").format(
        weight=t.kilograms(units * (line.item.estimate_grams or 0))
    )


def editor_text(
    t: Translator, purchase: Purchase, view: MemberOrderView, now: datetime, taken_out: bool = False
) -> str:
    """The editor's words; `taken_out`: the head took the member out for not paying."""
    open_orders = purchase.accepts_orders(now)
    # A failed or cancelled purchase sends nothing to anyone: no place in packs to speak of.
    ended = purchase.status in NOTHING_DUE
    lines = [f"🛒 <b>{escape(purchase.title)}</b>", status_line(t, purchase, now), ""]
    if taken_out and not view.lines:
        lines.append(_taken_out_line(t, purchase))
    elif not view.lines:
        lines.append(t.gettext("You have not ordered anything yet."))
    for line in view.lines:
        entry = f"• {escape(line.item.label)}: {line.quantity}"
        if not open_orders and not ended and line.allocated != line.quantity:
            entry += " → " + t.gettext("you get {units}").format(units=line.allocated)
        if line.item.by_weight:
            entry += _weight(t, purchase, view.member_id, line)
        lines.append(entry)
        if line.tolerance:
            lines.append(
                "   "
                + t.gettext(
                    "you would also take up to {units} more to fill a pack: you may get up to "
                    "{most}"
                ).format(units=line.tolerance, most=line.quantity + line.tolerance)
            )
        position = "" if ended else _pack_position(t, purchase, line, open_orders, view.member_id)
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
        if view.due.is_estimate and purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN):
            lines.append(
                t.gettext("<b>Total {total}</b> (an estimate until the stop)").format(total=total)
            )
        elif view.due.is_estimate:
            lines.append(
                t.gettext("<b>Total {total}</b> (an estimate until your goods are weighed)").format(
                    total=total
                )
            )
        else:
            lines.append(t.gettext("<b>Total due {total}</b>").format(total=total))
    if open_orders and any(line.item.pack_size > 1 for line in view.lines):
        lines.append("")
        lines.append(
            "ℹ️ "
            + t.gettext(
                "“Fill a pack”: how many more of an item you would also take, so that a pack "
                "that is almost full goes to the supplier; you are never given more than that."
            )
        )
    payment = _payment_line(t, purchase, view)
    if payment:
        if view.due is None and view.lines:  # no total above it to follow
            lines.append("")
        lines.append(payment)
    if _chooses_slot(purchase, view):
        slot = purchase.pickup_slot_of(view.member_id)
        lines.append("")
        lines.append(
            "📍 " + t.gettext("You pick up: {slot}").format(slot=slot_text(t, slot))
            if slot is not None
            else "📍 " + t.gettext("Choose where and when you pick up: tap a slot below.")
        )
    return "\n".join(lines)


def _chooses_slot(purchase: Purchase, view: MemberOrderView) -> bool:
    """Whether the member has a pickup slot to choose (or change): several are offered and
    they get something."""
    return (
        len(purchase.pickup_slots) > 1
        and purchase.status in RUNNING
        and purchase.collects(view.member_id)
    )


def _taken_out_line(t: Translator, purchase: Purchase) -> str:
    if purchase.pay_by is None:
        return t.gettext("✂️ The head took you out of this purchase for not paying in time.")
    return t.gettext(
        "✂️ The head took you out of this purchase for not paying by {pay_by}. You owe nothing."
    ).format(pay_by=t.when(purchase.pay_by))


def _payment_line(t: Translator, purchase: Purchase, view: MemberOrderView) -> str:
    """Where the member's money stands, from their account, and how to pay what is left."""
    account = view.account
    if purchase.status in NOTHING_DUE:
        return _nothing_due_line(t, account)
    if account is None:
        return ""
    paid = account.paid - account.refunded
    match account.status:
        case PaymentStatus.PAID if not paid.minor:  # all of it given back
            return t.gettext("↩️ The head gave back the {amount} you paid.").format(
                amount=t.money(account.paid)
            )
        case PaymentStatus.PAID:
            return t.gettext("✅ Paid: the head has received {amount}.").format(
                amount=t.money(paid)
            )
        case PaymentStatus.OWED_BACK:
            return t.gettext("↩️ You paid {paid}; the head owes you {amount} back.").format(
                paid=t.money(paid), amount=t.money(account.owed_back)
            )
        case PaymentStatus.CLAIMED:
            return t.gettext("⏳ You said you paid; the head has not confirmed it yet.")
        case PaymentStatus.NOTHING_DUE:
            return ""
    if not view.collecting:
        return ""
    if purchase.payment_mode is PaymentMode.POSTPAY:
        instructions = t.gettext("You pay the head when you pick up your goods.")
    else:
        instructions = how_to_pay(t, purchase) + "\n" + t.gettext("Then tap “I paid”.")
    match account.status:
        case PaymentStatus.NOT_FOUND:
            state = t.gettext(
                "⚠️ The head could not find your payment of {amount}. Check it, then tap "
                "“I paid” again."
            ).format(amount=t.money(account.to_pay))
            return state + "\n" + how_to_pay(t, purchase)
        case PaymentStatus.PARTLY_PAID:
            state = t.gettext("💰 You paid {paid}; {rest} is still to pay.").format(
                paid=t.money(paid), rest=t.money(account.to_pay)
            )
        case _:
            state = t.gettext("💰 Not paid yet: {amount}.").format(amount=t.money(account.to_pay))
    return state + "\n" + instructions


def _nothing_due_line(t: Translator, account: Account | None) -> str:
    """A failed or cancelled purchase: nobody pays, and what was paid goes back."""
    if account is not None and account.owed_back.minor:
        return t.gettext("↩️ You paid {amount}; the head gives it back to you.").format(
            amount=t.money(account.owed_back)
        )
    if account is not None and account.refunded.minor:
        return t.gettext("↩️ The head gave back the {amount} you paid.").format(
            amount=t.money(account.paid)
        )
    if account is not None and account.open_claim is not None:
        return t.gettext(
            "💶 Nothing to pay. You said you paid: if the head received it, it is given back."
        )
    return t.gettext("💶 Nothing to pay.")


def leave_keyboard(t: Translator, purchase_id: int) -> InlineKeyboardMarkup:
    """Withdraw asks once: leaving removes the whole order (there is no undo)."""
    return InlineKeyboardMarkup([
        [button(t.gettext("Yes, withdraw me"), Action.ORDER_WITHDRAW, purchase_id)],
        [button(t.gettext("No, keep my order"), Action.ORDER_REFRESH, purchase_id)],
    ])  # fmt: skip


def unusual_question(
    t: Translator, purchase: Purchase, item_id: int, quantity: int, bound: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A +1 that goes past what anyone would usually order asks once: Confirm saves that many,
    Change brings the editor back with nothing saved — both at that item (a compact editor
    shows its +/−, a whole editor ignores it)."""
    item = purchase.item(item_id)
    text = t.gettext(
        "You are ordering {quantity} × {item} in {title} — that is more than anyone would "
        "usually order here (up to {bound}). Is that right?"
    ).format(
        quantity=t.number(quantity), item=escape(item.label), title=title(purchase),
        bound=t.number(bound),
    )  # fmt: skip
    confirm = t.gettext("✅ Confirm {quantity} × {item}").format(
        quantity=t.number(quantity), item=item.label
    )
    return text, InlineKeyboardMarkup([
        [button(confirm, Action.ORDER_CONFIRM_UNUSUAL, purchase.id, item_id, quantity)],
        [button(t.gettext("✏️ Change"), Action.ORDER_PICK, purchase.id, item_id)],
    ])  # fmt: skip


def button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=encode(action, *args))


def editor_keyboard(
    t: Translator,
    purchase: Purchase,
    view: MemberOrderView,
    now: datetime,
    mini_app_url: str | None = None,
    pay_in_telegram: bool = False,
) -> InlineKeyboardMarkup:
    """+1/-1 per item and tolerance while orders are open (and the catalog Mini App, when the
    bot serves one); then withdraw, or ask to; "I paid" (and *Pay* with an invoice, when a
    payment provider is set up) while money is due."""
    rows = catalog_rows(t, purchase, now, mini_app_url)
    if purchase.accepts_orders(now):
        for item in purchase.items:
            rows += item_rows(t, purchase, view, item)
    return InlineKeyboardMarkup(rows + rows_after_items(t, purchase, view, now, pay_in_telegram))


def catalog_rows(
    t: Translator, purchase: Purchase, now: datetime, mini_app_url: str | None
) -> list[list[InlineKeyboardButton]]:
    """The catalog Mini App's button, while orders are open and the bot serves it."""
    if not purchase.accepts_orders(now) or mini_app_url is None:
        return []
    catalog = WebAppInfo(f"{mini_app_url}?purchase={purchase.id}")
    return [[InlineKeyboardButton(t.gettext("🛍 Catalog"), web_app=catalog)]]


def item_rows(
    t: Translator, purchase: Purchase, view: MemberOrderView, item: Item
) -> list[list[InlineKeyboardButton]]:
    """One item's +1, and once ordered its −1 and (packs) its tolerance."""
    pid = purchase.id
    plus = button(f"+1 {item.label}", Action.ORDER_ADD, pid, item.item_id, 1)
    if all(line.item.item_id != item.item_id for line in view.lines):
        return [[plus]]
    rows = [[button(f"−1 {item.label}", Action.ORDER_ADD, pid, item.item_id, -1), plus]]
    if item.pack_size > 1:
        less = t.gettext("{item}: fill a pack −1").format(item=item.label)
        more = t.gettext("{item}: fill a pack +1").format(item=item.label)
        rows.append([
            button(less, Action.ORDER_TOLERANCE, pid, item.item_id, -1),
            button(more, Action.ORDER_TOLERANCE, pid, item.item_id, 1),
        ])  # fmt: skip
    return rows


def rows_after_items(
    t: Translator,
    purchase: Purchase,
    view: MemberOrderView,
    now: datetime,
    pay_in_telegram: bool,
) -> list[list[InlineKeyboardButton]]:
    """Withdraw (or ask to), the row moves after the stop, paying, the pickup slot, Refresh."""
    rows: list[list[InlineKeyboardButton]] = []
    pid = purchase.id
    ordered = bool(view.lines)
    if purchase.accepts_orders(now):
        if ordered:
            rows.append([button(t.gettext("Withdraw"), Action.ORDER_ASK_LEAVE, pid)])
    elif ordered and purchase.status in WITHDRAWABLE:
        for source, target in purchase.row_moves(view.member_id):
            label = t.gettext("Take {size} instead of {instead}: it fills a row").format(
                size=purchase.item(target).variant, instead=purchase.item(source).variant
            )
            rows.append([button(label, Action.ORDER_ROW_MOVE, pid, source, target)])
        if purchase.in_transfer_window(now):
            rows.append([button(t.gettext("Withdraw"), Action.ORDER_ASK_LEAVE, pid)])
        else:
            rows.append(
                [button(t.gettext("Ask the head to withdraw me"), Action.ORDER_ASK_WITHDRAW, pid)]
            )
    account = view.account
    if (
        view.collecting
        and account is not None
        and account.to_pay.minor
        and account.open_claim is None
    ):
        if pay_in_telegram and checkout.payable(purchase, account):
            label = t.gettext("💳 Pay {amount} in Telegram").format(amount=t.money(account.to_pay))
            rows.append([button(label, Action.ORDER_PAY, pid)])
        rows.append([button(t.gettext("I paid"), Action.ORDER_PAID, pid)])
    choice = pickup_choice_markup(t, purchase, view.member_id, now, in_editor=True)
    if choice is not None and _chooses_slot(purchase, view):
        rows += [list(row) for row in keyboard(choice).inline_keyboard]
    rows.append([button(t.gettext("Refresh"), Action.ORDER_REFRESH, pid)])
    return rows


WITHDRAWABLE = (PurchaseStatus.OPEN, PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)
