"""Notices of a purchase's course: the stop (to the chat, each member, the head's supplier
order), failure, cancellation, extension, the head's decision, reminders, the minimum
reached, sold out, ordered, changed terms, and a change of head.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from domain.billing import AmountDue
from domain.ledger import Account
from domain.purchase import STATUS_WORDS, WITHDRAWABLE, PaymentMode, Purchase
from domain.reports import supplier_lines
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.notices.common import due_text, how_to_pay, lines_text, progress, title, unreachable_text
from texts.notices.pickup import member_slots_text


def stopped_in_chat(t: Translator, purchase: Purchase, bot_username: str) -> str:
    members = len(purchase.participant_ids())
    return t.gettext(
        "🛑 {title} has stopped: {members}, {progress}. The order goes to the supplier.\n"
        "Members: your final order and amount due are in your private chat with @{bot}."
    ).format(
        title=title(purchase),
        progress=progress(t, purchase),
        bot=bot_username,
        members=t.ngettext("{count} member", "{count} members", members).format(count=members),
    )


def stopped_to_member(
    t: Translator,
    purchase: Purchase,
    member_id: int,
    dues: Mapping[int, AmountDue],
    pay_in_telegram: bool = False,
) -> str:
    """What the member gets and owes; `pay_in_telegram` when a *Pay* button goes with it."""
    final = purchase.final_lines().get(member_id, {})
    allocation = purchase.allocation()
    short = {
        item_id: allocation[item_id].short[member_id]
        for item_id in allocation
        if allocation[item_id].short.get(member_id)
    }
    # An item short of its own minimum is dropped whole: a reason of its own, not the packs.
    dropped = [
        purchase.item(item_id)
        for item_id in short
        if (moq := purchase.item(item_id).moq_units) is not None
        and purchase.item_units(item_id) < moq
    ]
    unfilled = {i: u for i, u in short.items() if i not in {item.item_id for item in dropped}}
    text = [t.gettext("🛑 {title} has stopped.").format(title=title(purchase))]
    in_rows = {i: u for i, u in unfilled.items() if purchase.item(i).in_rows}
    in_packs = {i: u for i, u in unfilled.items() if i not in in_rows}
    if final:
        you_get = lines_text(t, purchase, final, member_id)
        text.append(t.gettext("You get: {lines}").format(lines=you_get))
    elif in_packs and not dropped:
        text.append(t.gettext("Your units did not fill a pack, so you get nothing this time."))
    elif in_rows and not dropped:
        text.append(t.gettext("Your sizes did not complete a row, so you get nothing this time."))
    else:
        text.append(t.gettext("You get nothing this time."))
    if in_packs:
        not_filled = lines_text(t, purchase, in_packs)
        text.append(t.gettext("Not filled: {lines}").format(lines=not_filled))
    if in_rows:
        text.append(
            t.gettext("Not in a full row of sizes, so not ordered: {lines}").format(
                lines=lines_text(t, purchase, in_rows)
            )
        )
        for source, target in purchase.row_moves(member_id):
            text.append(
                t.gettext(
                    "You may take {size} instead of {instead}: it fills a row. Open /orders to "
                    "take it."
                ).format(
                    size=escape(purchase.item(target).variant),
                    instead=escape(purchase.item(source).variant),
                )
            )
    text += [
        t.gettext(
            "{item} did not reach its minimum of {count} in total, so it is not ordered."
        ).format(item=escape(item.label), count=item.moq_units)
        for item in dropped
    ]
    due = dues.get(member_id)
    if due is not None and due.total.minor:
        text.append(t.gettext("Amount due: {due}").format(due=due_text(t, due)))
        if due.is_estimate:
            text.append(
                t.gettext(
                    "Goods sold by weight are counted at their estimate until the head weighs "
                    "them; you are told the exact amount then."
                )
            )
        if purchase.payment_mode is PaymentMode.PREPAY:
            text.append(how_to_pay(t, purchase))
            text.append(t.gettext("Once you have paid, tap “I paid” in /orders."))
            if pay_in_telegram:
                text.append(t.gettext("Or pay right here in Telegram with the button below."))
        else:
            text.append(t.gettext("You pay the head when you pick up your goods."))
    return "\n".join(text)


def supplier_summary(
    t: Translator, purchase: Purchase, unreachable: list[str], updated: bool = False
) -> str:
    """For the head: totals per item and packs, the grand total, who cannot be messaged;
    `updated` after a change moved the packs."""
    heading = (
        t.gettext("📦 Updated supplier order of {title}:")
        if updated
        else t.gettext("🛑 {title} has stopped. Supplier order:")
    )
    text = [heading.format(title=title(purchase))]
    total = None
    for line in supplier_lines(purchase):
        item = line.item
        total = line.total if total is None else total + line.total
        packs = (
            " "
            + t.ngettext(
                "({packs} pack of {size})", "({packs} packs of {size})", line.packs
            ).format(packs=line.packs, size=item.pack_size)
            if item.pack_size > 1 and line.packs
            else ""
        )
        if item.by_weight:
            weight = (
                t.gettext("about {weight} kg") if line.estimated else t.gettext("{weight} kg")
            ).format(weight=t.kilograms(line.grams))
            amount = t.gettext("{weight} × {price} per kg").format(
                weight=weight, price=t.money(line.unit_price)
            )
            amount = (
                t.ngettext("{count} piece", "{count} pieces", line.units).format(count=line.units)
                + f", {amount}"
            )
        else:
            amount = f"{line.units}{packs} × {t.money(line.unit_price)}"
        text.append(f"• {escape(item.label)}: {amount} = {t.money(line.total)}")
    if total is not None:
        text.append(t.gettext("Goods in all: {total}").format(total=t.money(total)))
    if unreachable:
        text.append(unreachable_text(t, unreachable))
    return "\n".join(text)


def failed_text(t: Translator, purchase: Purchase) -> str:
    return t.gettext(
        "❌ {title} did not reach its minimum order ({progress}) and is closed. Nothing is due."
    ).format(title=title(purchase), progress=progress(t, purchase))


def cancelled_text(t: Translator, purchase: Purchase, reason: str) -> str:
    if not reason:
        return t.gettext("❌ {title} was cancelled by the head. Nothing is due.").format(
            title=title(purchase)
        )
    return t.gettext("❌ {title} was cancelled by the head: {reason}. Nothing is due.").format(
        title=title(purchase), reason=escape(reason)
    )


def cancelled_to_member(
    t: Translator, purchase: Purchase, reason: str, account: Account | None
) -> str:
    text = cancelled_text(t, purchase, reason)
    if account is not None and account.owed_back.minor:
        text += "\n" + t.gettext("You paid {amount}: the head owes it back to you.").format(
            amount=t.money(account.owed_back)
        )
    return text


def extended_text(t: Translator, purchase: Purchase) -> str:
    return t.gettext("⏰ The deadline of {title} is now {when} ({progress} so far).").format(
        title=title(purchase), when=t.when(purchase.deadline), progress=progress(t, purchase)
    )


def decision_needed(t: Translator, purchase: Purchase) -> dict[str, Any]:
    text = t.gettext(
        "⏳ {title} reached its deadline short of the minimum ({progress}). "
        "Orders are frozen. What now?"
    ).format(title=title(purchase), progress=progress(t, purchase))
    markup = {
        "inline_keyboard": [
            [
                {
                    "text": t.gettext("Extend by 24 h"),
                    "callback_data": encode(Action.HEAD_EXTEND, purchase.id, 24),
                }
            ],
            [
                {
                    "text": t.gettext("Go ahead anyway"),
                    "callback_data": encode(Action.HEAD_GO_AHEAD, purchase.id),
                }
            ],
            [
                {
                    "text": t.gettext("Cancel the purchase"),
                    "callback_data": encode(Action.HEAD_CANCEL, purchase.id),
                }
            ],
        ]
    }
    return {"text": text, "parse_mode": "HTML", "reply_markup": markup}


def member_reminder(t: Translator, purchase: Purchase, member_id: int, hours: int) -> str:
    lines = {item_id: q for item_id, (q, _tol) in purchase.lines(member_id).items()}
    return t.ngettext(
        "⏰ {title} stops in {hours} hour. Your order: {lines}. Change it with /orders.",
        "⏰ {title} stops in {hours} hours. Your order: {lines}. Change it with /orders.",
        hours,
    ).format(title=title(purchase), hours=hours, lines=lines_text(t, purchase, lines, member_id))


def hour_left_in_chat(t: Translator, purchase: Purchase) -> str:
    return t.gettext("⏰ Stop-purchase of {title} in 1 hour — {progress}").format(
        title=title(purchase), progress=progress(t, purchase)
    )


def head_hour_left_short(t: Translator, purchase: Purchase) -> str:
    return t.gettext(
        "⏰ {title} stops in 1 hour and the minimum is not reached yet ({progress})."
    ).format(title=title(purchase), progress=progress(t, purchase))


def moq_reached(t: Translator, purchase: Purchase) -> str:
    return t.gettext("🎉 {title} has reached its minimum order ({progress}).").format(
        title=title(purchase), progress=progress(t, purchase)
    )


def moq_lost(t: Translator, purchase: Purchase) -> str:
    return t.gettext(
        "↩️ {title} is below its minimum order again ({progress}): someone lowered or withdrew "
        "an order."
    ).format(title=title(purchase), progress=progress(t, purchase))


def sold_out(t: Translator, purchase: Purchase, item_id: int) -> str:
    return t.gettext("{item} in {title} is sold out.").format(
        item=escape(purchase.item(item_id).label), title=title(purchase)
    )


def ordered_text(t: Translator, purchase: Purchase) -> str:
    return t.gettext("📦 {title} is ordered from the supplier.").format(title=title(purchase))


def terms_changed(t: Translator, purchase: Purchase, fields: list[str], member_id: int) -> str:
    """For a member: the deadline, the pickup (their slot, or the slots to choose from) or
    the payment details they planned around."""
    text = [t.gettext("✏️ The head changed {title}:").format(title=title(purchase))]
    if "deadline" in fields:
        text.append(t.gettext("it now stops {when}").format(when=t.when(purchase.deadline)))
    if "pickup" in fields:
        text.append(member_slots_text(t, purchase, member_id))
    if "pay_to" in fields or "pay_by" in fields:
        text.append(how_to_pay(t, purchase))
    return "\n".join(text)


def transfer_offer(t: Translator, purchase: Purchase, number: int) -> dict[str, Any]:
    """For the member the head picked: take the purchase over, or not."""
    members = len(purchase.participant_ids())
    text = t.gettext(
        "🤝 The head of {title} asks you to take it over ({members}, {status}). The head "
        "collects the money, orders from the supplier and hands the goods out. Will you?"
    ).format(
        title=title(purchase),
        members=t.ngettext("{count} member", "{count} members", members).format(count=members),
        status=t.gettext(STATUS_WORDS[purchase.status]),
    )
    markup = {
        "inline_keyboard": [
            [
                {
                    "text": t.gettext("I'll lead it"),
                    "callback_data": encode(Action.TRANSFER_ACCEPT, purchase.id, number),
                },
                {
                    "text": t.gettext("No, thanks"),
                    "callback_data": encode(Action.TRANSFER_DECLINE, purchase.id, number),
                },
            ]
        ]
    }
    return {"text": text, "parse_mode": "HTML", "reply_markup": markup}


def new_head_to_member(
    t: Translator, purchase: Purchase, name: str, until: datetime, collected: bool = False
) -> str:
    """Members may withdraw after a change of head, until the goods are there: one who has
    them (or whose goods arrived) hears only who leads now."""
    if collected or purchase.status not in WITHDRAWABLE:
        return t.gettext("🤝 {name} now leads {title}.").format(
            name=escape(name), title=title(purchase)
        )
    return t.gettext(
        "🤝 {name} now leads {title}. If you would rather not stay, you may withdraw "
        "until {when}, even after the stop: /orders"
    ).format(name=escape(name), title=title(purchase), when=t.when(until))


def new_head_in_chat(t: Translator, purchase: Purchase, name: str) -> str:
    return t.gettext("🤝 {title} has a new head: {name}.").format(
        title=title(purchase), name=escape(name)
    )
