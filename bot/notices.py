"""The texts of the messages the bot sends on its own: digests, stop and pickup notices,
reminders. Pure rendering: a translator and domain objects in, Telegram HTML out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from typing import Any

from bot.i18n import Translator
from domain.billing import AmountDue
from domain.money import Money
from domain.purchase import STATUS_WORDS, PaymentMode, PickupSlot, Purchase
from domain.supply import balance
from handlers.callback_data import Action, encode


def lines_text(purchase: Purchase, lines: dict[int, int]) -> str:
    return ", ".join(
        f"{units} × {escape(purchase.item(item_id).name)}" for item_id, units in lines.items()
    )


def due_text(t: Translator, due: AmountDue) -> str:
    return t.gettext("{total} (goods {goods}, fee {fee}, delivery {delivery})").format(
        total=t.money(due.total),
        goods=t.money(due.goods),
        fee=t.money(due.fee),
        delivery=t.money(due.delivery),
    )


def progress(t: Translator, purchase: Purchase) -> str:
    units = purchase.firm_units()
    if purchase.moq is not None and purchase.moq.units is not None:
        return t.gettext("{units}/{goal} units").format(units=units, goal=purchase.moq.units)
    if purchase.moq is not None and purchase.moq.money is not None:
        return f"{t.money(purchase.goods_total_requested())} / {t.money(purchase.moq.money)}"
    return t.ngettext("{units} unit", "{units} units", units).format(units=units)


def title(purchase: Purchase) -> str:
    return f"<b>{escape(purchase.title)}</b>"


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
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    final = purchase.final_lines().get(member_id, {})
    allocation = purchase.allocation()
    short = {
        item_id: allocation[item_id].short[member_id]
        for item_id in allocation
        if allocation[item_id].short.get(member_id)
    }
    text = [t.gettext("🛑 {title} has stopped.").format(title=title(purchase))]
    if final:
        text.append(t.gettext("You get: {lines}").format(lines=lines_text(purchase, final)))
    else:
        text.append(t.gettext("Your units did not fill a pack, so you get nothing this time."))
    if short:
        text.append(t.gettext("Not filled: {lines}").format(lines=lines_text(purchase, short)))
    due = dues.get(member_id)
    if due is not None and due.total.minor:
        text.append(t.gettext("Amount due: {due}").format(due=due_text(t, due)))
        if purchase.payment_mode is PaymentMode.PREPAY:
            text.append(
                t.gettext("Please pay the head now, as they tell you; they order once paid.")
            )
        else:
            text.append(t.gettext("You pay the head when you pick up your goods."))
    return "\n".join(text)


def supplier_summary(t: Translator, purchase: Purchase, unreachable: list[str]) -> str:
    """For the head: totals per item and packs, the grand total, who cannot be messaged."""
    text = [t.gettext("🛑 {title} has stopped. Supplier order:").format(title=title(purchase))]
    total = None
    finals = purchase.final_lines()
    for item in purchase.items:
        allocation = purchase.allocation()[item.item_id]
        units = sum(lines.get(item.item_id, 0) for lines in finals.values())
        price = purchase.unit_price(item.item_id, units)
        cost = price * units
        total = cost if total is None else total + cost
        packs = (
            " "
            + t.gettext("({packs} packs of {size})").format(
                packs=allocation.packs, size=item.pack_size
            )
            if item.pack_size > 1
            else ""
        )
        text.append(f"• {escape(item.name)}: {units}{packs} × {t.money(price)} = {t.money(cost)}")
    if total is not None:
        text.append(t.gettext("Goods in all: {total}").format(total=t.money(total)))
    if unreachable:
        text.append(unreachable_text(t, unreachable))
    return "\n".join(text)


MAX_NAMES = 40


def unreachable_text(t: Translator, names: Iterable[str]) -> str:
    everyone = list(names)
    shown = ", ".join(escape(name) for name in everyone[:MAX_NAMES])
    if len(everyone) > MAX_NAMES:
        shown += " " + t.gettext("and {count} more").format(count=len(everyone) - MAX_NAMES)
    return t.gettext(
        "I cannot write to these members (they never opened the bot, or blocked it): {names}. "
        "Please tell them yourself."
    ).format(names=shown)


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


def cancelled_to_member(t: Translator, purchase: Purchase, reason: str, member_id: int) -> str:
    text = cancelled_text(t, purchase, reason)
    paid = purchase.paid.get(member_id)
    if paid is not None:
        text += "\n" + t.gettext("You paid {amount}: the head owes it back to you.").format(
            amount=t.money(paid)
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


def slot_text(t: Translator, slot: PickupSlot) -> str:
    return t.gettext("{place}, {start} – {end}").format(
        place=escape(slot.place), start=t.when(slot.starts_at), end=t.when(slot.ends_at)
    )


def pickup_notice(t: Translator, purchase: Purchase, member_id: int) -> str:
    lines = purchase.final_lines().get(member_id, {})
    slots = "\n".join("📍 " + slot_text(t, slot) for slot in purchase.pickup_slots)
    return t.gettext(
        "📦 The goods of {title} have arrived!\nYours: {lines}\n{slots}\n"
        "Your pickup code: <b>{code}</b> — show it to the head."
    ).format(
        title=title(purchase),
        lines=lines_text(purchase, lines),
        slots=slots,
        code=purchase.pickup_codes[member_id],
    )


def arrived_in_chat(t: Translator, purchase: Purchase, bot_username: str) -> str:
    slots = "\n".join("📍 " + slot_text(t, slot) for slot in purchase.pickup_slots)
    return t.gettext(
        "📦 The goods of {title} have arrived!\n{slots}\n"
        "Your pickup code is in your private chat with @{bot}. "
        "If you never opened it, open it now: https://t.me/{bot}?start=o{id}"
    ).format(title=title(purchase), slots=slots, bot=bot_username, id=purchase.id)


def pickup_open_in_chat(t: Translator, purchase: Purchase, slot: PickupSlot) -> str:
    return t.gettext("📍 Pickup of {title} is open now: {slot}").format(
        title=title(purchase), slot=slot_text(t, slot)
    )


def pickup_reminder(t: Translator, purchase: Purchase, member_id: int, slot: PickupSlot) -> str:
    return t.gettext(
        "⏰ Pickup of {title} starts in 1 hour: {slot}. Your code: <b>{code}</b>"
    ).format(title=title(purchase), slot=slot_text(t, slot), code=purchase.pickup_codes[member_id])


def handed_over_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext("✅ You have received your goods of {title}: {lines}. Enjoy!").format(
        title=title(purchase),
        lines=lines_text(purchase, purchase.final_lines().get(member_id, {})),
    )


def member_reminder(t: Translator, purchase: Purchase, member_id: int, hours: int) -> str:
    lines = {item_id: q for item_id, (q, _tol) in purchase.lines(member_id).items()}
    return t.ngettext(
        "⏰ {title} stops in {hours} hour. Your order: {lines}. Change it with /orders.",
        "⏰ {title} stops in {hours} hours. Your order: {lines}. Change it with /orders.",
        hours,
    ).format(title=title(purchase), hours=hours, lines=lines_text(purchase, lines))


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


def sold_out(t: Translator, purchase: Purchase, item_id: int) -> str:
    return t.gettext("{item} in {title} is sold out.").format(
        item=escape(purchase.item(item_id).name), title=title(purchase)
    )


def ordered_text(t: Translator, purchase: Purchase) -> str:
    return t.gettext("📦 {title} is ordered from the supplier.").format(title=title(purchase))


def amount_of(t: Translator, member_id: int, dues: Mapping[int, AmountDue]) -> str:
    due = dues.get(member_id)
    return t.money(due.total) if due is not None else "—"


def owed_by(
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    """What the member still has to pay: the amount due less what the head confirmed."""
    return t.money(balance(purchase, member_id, dues))


def payment_claimed(
    t: Translator, purchase: Purchase, member_id: int, name: str, dues: Mapping[int, AmountDue]
) -> dict[str, Any]:
    """For the head: a member says they paid, with the buttons to answer."""
    text = t.gettext("💰 {name} says they paid {amount} for {title}.").format(
        name=f'<a href="tg://user?id={member_id}">{escape(name)}</a>',
        amount=owed_by(t, purchase, member_id, dues),
        title=title(purchase),
    )
    return {
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": payment_buttons(t, purchase.id, member_id),
    }


def payment_buttons(t: Translator, purchase_id: int, member_id: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {
                    "text": t.gettext("✅ Received"),
                    "callback_data": encode(Action.PAYMENT_CONFIRM, purchase_id, member_id),
                },
                {
                    "text": t.gettext("❌ Not received"),
                    "callback_data": encode(Action.PAYMENT_REJECT, purchase_id, member_id),
                },
            ]
        ]
    }


def payment_confirmed(
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    paid = purchase.paid.get(member_id)
    return t.gettext("✅ The head has received your payment of {amount} for {title}.").format(
        amount=t.money(paid) if paid else amount_of(t, member_id, dues), title=title(purchase)
    )


def payment_rejected(
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    return t.gettext(
        "⚠️ The head could not find your payment of {amount} for {title}. "
        "Please check it and tap “I paid” again in /orders, or write to the head."
    ).format(amount=owed_by(t, purchase, member_id, dues), title=title(purchase))


def unpaid_reminder(
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    return t.gettext(
        "💰 A reminder from the head: please pay {amount} for {title}. "
        "Once you have paid, tap “I paid” in /orders."
    ).format(amount=owed_by(t, purchase, member_id, dues), title=title(purchase))


def terms_changed(t: Translator, purchase: Purchase, fields: list[str]) -> str:
    """For members: the deadline or the pickup they planned around has moved."""
    text = [t.gettext("✏️ The head changed {title}:").format(title=title(purchase))]
    if "deadline" in fields:
        text.append(t.gettext("it now stops {when}").format(when=t.when(purchase.deadline)))
    if "pickup" in fields:
        text += ["📍 " + slot_text(t, slot) for slot in purchase.pickup_slots]
    return "\n".join(text)


def supply_changed(
    t: Translator, purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue]
) -> str:
    """For a member whose lines or amount the supplier's confirmation changed."""
    text = [
        t.gettext("📦 The supplier's confirmation changed your order in {title}.").format(
            title=title(purchase)
        )
    ]
    lines = purchase.final_lines().get(member_id)
    due = dues.get(member_id)
    if lines and due is not None:
        text.append(t.gettext("You get: {lines}").format(lines=lines_text(purchase, lines)))
        text.append(t.gettext("Amount due: {due}").format(due=due_text(t, due)))
    else:
        text.append(t.gettext("None of your units were supplied, so you get nothing this time."))
    paid = purchase.paid.get(member_id)
    left = balance(purchase, member_id, dues)
    if paid is not None and left.minor < 0:
        text.append(
            t.gettext("You had paid {paid}: the head owes you {refund} back.").format(
                paid=t.money(paid), refund=t.money(Money(-left.minor, left.currency))
            )
        )
    elif paid is not None and left.minor > 0:
        text.append(
            t.gettext(
                "You had paid {paid}: {rest} is still to pay; "
                "tap “I paid” in /orders once you have."
            ).format(paid=t.money(paid), rest=t.money(left))
        )
    return "\n".join(text)


def transfer_offer(t: Translator, purchase: Purchase) -> dict[str, Any]:
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
                    "callback_data": encode(Action.TRANSFER_ACCEPT, purchase.id),
                },
                {
                    "text": t.gettext("No, thanks"),
                    "callback_data": encode(Action.TRANSFER_DECLINE, purchase.id),
                },
            ]
        ]
    }
    return {"text": text, "parse_mode": "HTML", "reply_markup": markup}


def new_head_to_member(t: Translator, purchase: Purchase, name: str, until: datetime) -> str:
    return t.gettext(
        "🤝 {name} now leads {title}. If you would rather not stay, you may withdraw "
        "until {when}, even after the stop: /orders"
    ).format(name=escape(name), title=title(purchase), when=t.when(until))


def new_head_in_chat(t: Translator, purchase: Purchase, name: str) -> str:
    return t.gettext("🤝 {title} has a new head: {name}.").format(
        title=title(purchase), name=escape(name)
    )


def deadline_key(purchase: Purchase) -> str:
    """Reminder keys carry the deadline, so an extended purchase reminds again."""
    return str(int(purchase.deadline.timestamp()))


def stamp(instant: datetime) -> str:
    return str(int(instant.timestamp()))
