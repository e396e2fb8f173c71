"""The texts of the messages the bot sends on its own: digests, stop and pickup notices,
reminders. Pure rendering: a translator and domain objects in, Telegram HTML out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from typing import Any

from domain.adjustments import Cause
from domain.billing import AmountDue
from domain.events import AmountsChanged, MemberAmounts
from domain.ledger import Account
from domain.money import Money
from domain.purchase import STATUS_WORDS, WITHDRAWABLE, PaymentMode, PickupSlot, Purchase
from texts.callback_data import Action, encode
from texts.i18n import Translator


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
        return t.ngettext("{units}/{goal} unit", "{units}/{goal} units", purchase.moq.units).format(
            units=units, goal=purchase.moq.units
        )
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


def how_to_pay(t: Translator, purchase: Purchase) -> str:
    """Where to pay and, for a prepaid purchase, by when: the head's own words."""
    lines = []
    if purchase.pay_to:
        lines.append(t.gettext("Pay to: {details}").format(details=escape(purchase.pay_to)))
    if purchase.pay_by is not None and purchase.payment_mode is PaymentMode.PREPAY:
        lines.append(t.gettext("Pay by {when}.").format(when=t.when(purchase.pay_by)))
    return "\n".join(lines) or t.gettext("Pay the head as they tell you.")


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
    # An item short of its own minimum is dropped whole: a reason of its own, not the packs.
    dropped = [
        purchase.item(item_id)
        for item_id in short
        if (moq := purchase.item(item_id).moq_units) is not None
        and purchase.item_units(item_id) < moq
    ]
    unfilled = {i: u for i, u in short.items() if i not in {item.item_id for item in dropped}}
    text = [t.gettext("🛑 {title} has stopped.").format(title=title(purchase))]
    if final:
        text.append(t.gettext("You get: {lines}").format(lines=lines_text(purchase, final)))
    elif unfilled and not dropped:
        text.append(t.gettext("Your units did not fill a pack, so you get nothing this time."))
    else:
        text.append(t.gettext("You get nothing this time."))
    if unfilled:
        text.append(t.gettext("Not filled: {lines}").format(lines=lines_text(purchase, unfilled)))
    text += [
        t.gettext(
            "{item} did not reach its minimum of {count} in total, so it is not ordered."
        ).format(item=escape(item.name), count=item.moq_units)
        for item in dropped
    ]
    due = dues.get(member_id)
    if due is not None and due.total.minor:
        text.append(t.gettext("Amount due: {due}").format(due=due_text(t, due)))
        if purchase.payment_mode is PaymentMode.PREPAY:
            text.append(how_to_pay(t, purchase))
            text.append(t.gettext("Once you have paid, tap “I paid” in /orders."))
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
    finals = purchase.final_lines()
    for item in purchase.items:
        allocation = purchase.allocation()[item.item_id]
        units = sum(lines.get(item.item_id, 0) for lines in finals.values())
        price = purchase.unit_price(item.item_id, units)
        cost = price * units
        total = cost if total is None else total + cost
        packs = (
            " "
            + t.ngettext(
                "({packs} pack of {size})", "({packs} packs of {size})", allocation.packs
            ).format(packs=allocation.packs, size=item.pack_size)
            if item.pack_size > 1 and allocation.packs
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
    return t.gettext(
        "I cannot write to these members (they never opened the bot, or blocked it): {names}. "
        "Please tell them yourself."
    ).format(names=_names(t, names))


def unreachable_about(t: Translator, purchase: Purchase, names: Iterable[str]) -> str:
    """For the head, after messages about a purchase met a 403."""
    return t.gettext(
        "📵 I could not reach {names} about {title}: they blocked the bot or never opened it. "
        "Please tell them yourself."
    ).format(names=_names(t, names), title=title(purchase))


def _names(t: Translator, names: Iterable[str]) -> str:
    """Names for the head, the first MAX_NAMES of them."""
    everyone = list(names)
    shown = ", ".join(escape(name) for name in everyone[:MAX_NAMES])
    if len(everyone) > MAX_NAMES:
        shown += " " + t.gettext("and {count} more").format(count=len(everyone) - MAX_NAMES)
    return shown


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


def slot_text(t: Translator, slot: PickupSlot) -> str:
    return t.gettext("{place}, {window}").format(
        place=escape(slot.place), window=t.window(slot.starts_at, slot.ends_at)
    )


def slot_label(t: Translator, slot: PickupSlot) -> str:
    """A slot as plain text, for buttons, toasts and sheets (`slot_text` is the HTML one)."""
    return f"{slot.place}, {t.window(slot.starts_at, slot.ends_at)}"


def slot_choice_label(t: Translator, purchase: Purchase, slot: PickupSlot, chosen: bool) -> str:
    """A slot as a button: "✅ Hall, Dec 7, 2026 10:00 AM – 12:00 PM · 3 places left"."""
    label = ("✅ " if chosen else "") + slot_label(t, slot)
    left = purchase.places_left(slot)
    if left == 0:  # the member's own place is the last one: nothing to count
        label += "" if chosen else " · " + t.gettext("full")
    elif left is not None:
        label += " · " + t.ngettext("{count} place left", "{count} places left", left).format(
            count=left
        )
    return label


def pickup_choice_markup(
    t: Translator, purchase: Purchase, member_id: int, now: datetime, in_editor: bool = False
) -> dict[str, Any] | None:
    """Buttons to choose a slot, where there is more than one still to come; `in_editor`:
    under the order editor, which a choice redraws (elsewhere only these buttons are)."""
    if len(purchase.pickup_slots) < 2:
        return None
    chosen = purchase.pickup_choices.get(member_id)
    rows = [
        [{"text": slot_choice_label(t, purchase, slot, slot.number == chosen),
          "callback_data": encode(Action.PICKUP_CHOOSE, purchase.id, slot.number, int(in_editor))}]
        for slot in purchase.pickup_slots
        if slot.ends_at > now
    ]  # fmt: skip
    return {"inline_keyboard": rows} if rows else None


def member_slots_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    """Where and when this member picks up: their slot, or the slots to choose from."""
    slot = purchase.pickup_slot_of(member_id)
    if slot is not None:
        return "📍 " + slot_text(t, slot)
    listed = "\n".join("📍 " + slot_text(t, s) for s in purchase.pickup_slots)
    if not listed:
        return ""
    return listed + "\n" + t.gettext("👇 Choose when you come: tap a slot below.")


def money_at_pickup(t: Translator, purchase: Purchase, account: Account | None) -> str:
    """What changes hands at the pickup, if anything: what to bring, or what comes back."""
    if account is None:
        return ""
    if account.to_pay.minor:
        if purchase.payment_mode is PaymentMode.POSTPAY:
            return t.gettext("Please bring <b>{amount}</b>: you pay the head at pickup.").format(
                amount=t.money(account.to_pay)
            )
        return t.gettext(
            "Not paid yet: <b>{amount}</b>. Pay it as the head said, or bring it to the pickup."
        ).format(amount=t.money(account.to_pay))
    if account.owed_back.minor:
        return t.gettext("The head gives you back <b>{amount}</b> at the pickup.").format(
            amount=t.money(account.owed_back)
        )
    return ""


def pickup_notice(
    t: Translator, purchase: Purchase, member_id: int, account: Account | None
) -> str:
    lines = purchase.final_lines().get(member_id, {})
    slots = member_slots_text(t, purchase, member_id)
    text = t.gettext(
        "📦 The goods of {title} have arrived!\nYours: {lines}\n{slots}\n"
        "Your pickup code: <b>{code}</b> — show it to the head."
    ).format(
        title=title(purchase),
        lines=lines_text(purchase, lines),
        slots=slots,
        code=purchase.pickup_codes[member_id],
    )
    money = money_at_pickup(t, purchase, account)
    return text + ("\n" + money if money else "")


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


def pickup_qr_caption(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "Your pickup QR code for {title}: show it at the pickup, or say your code <b>{code}</b>."
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


def pickup_choose_reminder(t: Translator, purchase: Purchase, member_id: int) -> str:
    """Before the first slot, to a member who has not said in which one they come."""
    return t.gettext(
        "⏰ Pickup of {title} starts soon, and you have not chosen when you come. Tap a slot "
        "below. Your code: <b>{code}</b>"
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


def pickup_reminder(
    t: Translator, purchase: Purchase, member_id: int, slot: PickupSlot, now: datetime
) -> str:
    """Before the slot, how long until it starts as it is now (the goods may have arrived
    ten minutes before it); once it started, that it is open."""
    code = purchase.pickup_codes[member_id]
    minutes = math.ceil((slot.starts_at - now).total_seconds() / 60)
    if minutes <= 0:
        return t.gettext(
            "📍 Pickup of {title} is open now: {slot}. Your code: <b>{code}</b>"
        ).format(title=title(purchase), slot=slot_text(t, slot), code=code)
    if minutes >= 55:  # the reminder an hour before, fired on time
        return t.gettext(
            "⏰ Pickup of {title} starts in 1 hour: {slot}. Your code: <b>{code}</b>"
        ).format(title=title(purchase), slot=slot_text(t, slot), code=code)
    return t.ngettext(
        "⏰ Pickup of {title} starts in {minutes} minute: {slot}. Your code: <b>{code}</b>",
        "⏰ Pickup of {title} starts in {minutes} minutes: {slot}. Your code: <b>{code}</b>",
        minutes,
    ).format(title=title(purchase), minutes=minutes, slot=slot_text(t, slot), code=code)


def helper_added(t: Translator, purchase: Purchase) -> str:
    return t.gettext(
        "🤝 You now help hand over the goods of {title}. When a member shows their code, send "
        "it to me here, or scan their QR code with your phone's camera: I show what they get "
        "and what to collect."
    ).format(title=title(purchase))


def helper_removed(t: Translator, purchase: Purchase) -> str:
    return t.gettext("You no longer hand over the goods of {title}. Thank you for helping!").format(
        title=title(purchase)
    )


def handover_undone_text(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "↩️ The head took back the handover of your goods of {title}: they are still waiting "
        "for you. Your code: <b>{code}</b>"
    ).format(title=title(purchase), code=purchase.pickup_codes[member_id])


def _member_name(purchase: Purchase, member_id: int) -> str:
    member = purchase.members.get(member_id)
    return escape(member.name) if member else str(member_id)


# Members named in one "not collected" message; the rest are counted.
NOT_COLLECTED_SHOWN = 30


def not_collected_list(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    """One line per member who has not collected: name, code, what waits for them."""
    lines = purchase.final_lines()
    shown = [
        f"• {_member_name(purchase, m)} — <b>{purchase.pickup_codes[m]}</b> — "
        f"{lines_text(purchase, lines.get(m, {}))}"
        for m in waiting[:NOT_COLLECTED_SHOWN]
    ]
    rest = len(waiting) - NOT_COLLECTED_SHOWN
    if rest > 0:  # a message holds 4096 characters; the export lists everyone
        shown.append(t.gettext("… and {count} more: the export lists everyone.").format(count=rest))
    return "\n".join(shown)


def pickup_over_to_head(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    return t.ngettext(
        "⌛ Pickup of {title} is over. {count} member has not collected yet:\n{list}",
        "⌛ Pickup of {title} is over. {count} members have not collected yet:\n{list}",
        len(waiting),
    ).format(
        title=title(purchase), count=len(waiting), list=not_collected_list(t, purchase, waiting)
    )


def pickup_over_to_member(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "⌛ Pickup of {title} is over and your goods are still waiting: {lines}. Your code: "
        "<b>{code}</b>. Please write to the head to arrange a time."
    ).format(
        title=title(purchase),
        lines=lines_text(purchase, purchase.final_lines().get(member_id, {})),
        code=purchase.pickup_codes[member_id],
    )


def completed_to_head(t: Translator, purchase: Purchase, waiting: list[int]) -> str:
    if not waiting:
        return t.gettext("🏁 {title} is complete: everyone collected their goods.").format(
            title=title(purchase)
        )
    return t.ngettext(
        "🏁 {title} is complete. Not collected, kept on the record as leftovers "
        "({count} member):\n{list}",
        "🏁 {title} is complete. Not collected, kept on the record as leftovers "
        "({count} members):\n{list}",
        len(waiting),
    ).format(
        title=title(purchase), count=len(waiting), list=not_collected_list(t, purchase, waiting)
    )


def completed_to_member(t: Translator, purchase: Purchase, member_id: int) -> str:
    return t.gettext(
        "🏁 {title} is complete, and your goods were not collected: {lines}. "
        "Please write to the head."
    ).format(
        title=title(purchase),
        lines=lines_text(purchase, purchase.final_lines().get(member_id, {})),
    )


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


def payment_claimed(
    t: Translator, purchase: Purchase, member_id: int, name: str, amount: Money, claim: int
) -> dict[str, Any]:
    """For the head: a member says they paid, with the buttons that answer this claim."""
    text = t.gettext("💰 {name} says they paid {amount} for {title}.").format(
        name=f'<a href="tg://user?id={member_id}">{escape(name)}</a>',
        amount=t.money(amount),
        title=title(purchase),
    )
    return {
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": payment_buttons(t, purchase.id, member_id, claim),
    }


def payment_buttons(t: Translator, purchase_id: int, member_id: int, claim: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {
                    "text": t.gettext("✅ Received"),
                    "callback_data": encode(Action.PAYMENT_CONFIRM, purchase_id, member_id, claim),
                },
                {
                    "text": t.gettext("❌ Not received"),
                    "callback_data": encode(Action.PAYMENT_REJECT, purchase_id, member_id, claim),
                },
            ]
        ]
    }


def still_to_pay(t: Translator, purchase: Purchase, account: Account) -> str:
    """After a payment: settled, or what is left and how to pay it."""
    if account.to_pay.minor:
        return t.gettext("{rest} is still to pay.").format(rest=t.money(account.to_pay))
    if account.owed_back.minor:
        return t.gettext("That is more than is due: the head owes you {amount} back.").format(
            amount=t.money(account.owed_back)
        )
    return t.gettext("You have paid everything that is due.")


def payment_confirmed(
    t: Translator, purchase: Purchase, amount: Money, account: Account, by: int | None = None
) -> str:
    """`by`: who recorded it, when a helper did (at the pickup) rather than the head."""
    if by is not None and by in purchase.helpers:
        received = t.gettext(
            "✅ {name}, helping the head, has received your payment of {amount} for {title}."
        ).format(name=escape(purchase.helpers[by]), amount=t.money(amount), title=title(purchase))
    else:
        received = t.gettext("✅ The head has received your payment of {amount} for {title}.")
        received = received.format(amount=t.money(amount), title=title(purchase))
    return received + " " + still_to_pay(t, purchase, account)


def payment_rejected(t: Translator, purchase: Purchase, amount: Money | None) -> str:
    return t.gettext(
        "⚠️ The head could not find your payment of {amount} for {title}. "
        "Please check it and tap “I paid” again in /orders, or write to the head."
    ).format(amount=t.money(amount) if amount is not None else "—", title=title(purchase))


def refund_recorded(
    t: Translator, purchase: Purchase, amount: Money, account: Account, by: int | None = None
) -> str:
    if by is not None and by in purchase.helpers:
        text = t.gettext("↩️ {name}, helping the head, gave you back {amount} for {title}.")
        text = text.format(
            name=escape(purchase.helpers[by]), amount=t.money(amount), title=title(purchase)
        )
    else:
        text = t.gettext("↩️ The head gave you back {amount} for {title}.").format(
            amount=t.money(amount), title=title(purchase)
        )
    if account.owed_back.minor:
        text += " " + t.gettext("{amount} is still to come back to you.").format(
            amount=t.money(account.owed_back)
        )
    elif account.to_pay.minor:
        text += " " + t.gettext("{rest} is still to pay.").format(rest=t.money(account.to_pay))
    return text


def unpaid_reminder(t: Translator, purchase: Purchase, account: Account) -> str:
    return (
        t.gettext("💰 A reminder from the head: please pay {amount} for {title}.").format(
            amount=t.money(account.to_pay), title=title(purchase)
        )
        + "\n"
        + how_to_pay(t, purchase)
        + "\n"
        + t.gettext("Once you have paid, tap “I paid” in /orders.")
    )


def pay_by_reminder(t: Translator, purchase: Purchase, account: Account) -> str:
    assert purchase.pay_by is not None
    return (
        t.gettext("⏰ Please pay {amount} for {title} by {when}.").format(
            amount=t.money(account.to_pay), title=title(purchase), when=t.when(purchase.pay_by)
        )
        + "\n"
        + how_to_pay(t, purchase)
        + "\n"
        + t.gettext("Once you have paid, tap “I paid” in /orders.")
    )


def link(member_id: int, name: str) -> str:
    return f'<a href="tg://user?id={member_id}">{escape(name)}</a>'


def pay_by_passed(
    t: Translator, purchase: Purchase, names: Mapping[int, str], never_paid: list[int],
    owing: Mapping[int, Account],
) -> dict[str, Any]:  # fmt: skip
    """For the head at the pay-by time: who still owes, and the offer to drop those who paid
    nothing (it shows what that would change first)."""
    text = [
        t.gettext("⏰ The pay-by time of {title} has come. Still to pay:").format(
            title=title(purchase)
        )
    ]
    for member, account in list(owing.items())[:MAX_NAMES]:
        mark = "" if member in never_paid else " · " + t.gettext("paid part")
        text.append(f"• {link(member, names.get(member, str(member)))}: "
                    f"{t.money(account.to_pay)}{mark}")  # fmt: skip
    if len(owing) > MAX_NAMES:
        text.append(t.gettext("and {count} more").format(count=len(owing) - MAX_NAMES))
    rows = []
    if never_paid:
        text.append(
            t.ngettext(
                "You may take out the {count} member who paid nothing; I show you first what "
                "that changes for the others.",
                "You may take out the {count} members who paid nothing; I show you first what "
                "that changes for the others.",
                len(never_paid),
            ).format(count=len(never_paid))
        )
        rows.append(
            [{"text": t.gettext("✂️ Take out those who paid nothing"),
              "callback_data": encode(Action.HEAD_DROP_UNPAID, purchase.id)}]
        )  # fmt: skip
    rows.append(
        [{"text": t.gettext("💶 Payments"),
          "callback_data": encode(Action.HEAD_PAYMENTS, purchase.id)}]
    )  # fmt: skip
    markup = {"inline_keyboard": rows}
    return {"text": "\n".join(text), "parse_mode": "HTML", "reply_markup": markup}


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


# --- changes that move amounts after the stop -----------------------------------------------


def _minor(purchase: Purchase, minor: int) -> Money:
    return Money(minor, purchase.currency)


def _total_after(change: MemberAmounts) -> int:
    return change.goods_after + change.fee_after + change.delivery_after


def _total_before(change: MemberAmounts) -> int:
    return change.goods_before + change.fee_before + change.delivery_before


def _tier_reached(purchase: Purchase, item_id: int, price: int) -> int | None:
    """The threshold of the tier that has this price, when one has."""
    item = purchase.item(item_id)
    return next((tier.min_units for tier in item.tiers if tier.unit_price.minor == price), None)


def price_reason(t: Translator, purchase: Purchase, item_id: int, before: int, after: int) -> str:
    """Why an item's unit price moved: the supplier's price, or a price tier lost or won."""
    confirmed = purchase.supply.get(item_id)
    if confirmed is not None and confirmed.unit_price is not None:
        return t.gettext("the supplier's price")
    threshold = _tier_reached(purchase, item_id, before if after > before else after)
    if threshold is None:
        return ""
    if after > before:
        return t.gettext("the order no longer reaches {units} units").format(units=threshold)
    return t.gettext("the order now reaches {units} units").format(units=threshold)


def price_line(t: Translator, purchase: Purchase, item_id: int, before: int, after: int) -> str:
    line = t.gettext("{item}: {after} a unit instead of {before}").format(
        item=escape(purchase.item(item_id).name),
        after=t.money(_minor(purchase, after)),
        before=t.money(_minor(purchase, before)),
    )
    reason = price_reason(t, purchase, item_id, before, after)
    return "• " + line + (" — " + reason if reason else "")


def cause_for_members(t: Translator, cause: Cause) -> str:
    return {
        Cause.WITHDRAWAL: t.gettext("a member left the purchase"),
        Cause.SUPPLY: t.gettext("the supplier confirmed the order"),
        Cause.DROPPED: t.gettext("members who had not paid by the pay-by time were taken out"),
    }[cause]


def _units_line(
    t: Translator, purchase: Purchase, cause: Cause, item_id: int, before: int, after: int
) -> str:
    name = escape(purchase.item(item_id).name)
    if cause is Cause.SUPPLY:
        why = t.gettext("the supplier sends fewer packs") if after < before else ""
    elif after < before:
        why = t.gettext("without the units that left, a pack is no longer full")
    else:
        why = t.gettext("a pack is full now")
    line = t.gettext("{item}: you get {after} instead of {before}").format(
        item=name, after=after, before=before
    )
    return "• " + line + (" — " + why if why else "")


def money_after(t: Translator, purchase: Purchase, change: MemberAmounts) -> str:
    """What the member owes or is owed once the change is made, and how to pay."""
    balance = _total_after(change) - change.paid + change.refunded
    paid = change.paid - change.refunded
    if balance < 0:
        return t.gettext("You had paid {paid}: the head owes you {amount} back.").format(
            paid=t.money(_minor(purchase, paid)), amount=t.money(_minor(purchase, -balance))
        )
    if balance == 0:
        return t.gettext("You have paid everything that is due.") if paid else ""
    rest = t.money(_minor(purchase, balance))
    text = (
        t.gettext("You had paid {paid}: {rest} is still to pay.").format(
            paid=t.money(_minor(purchase, paid)), rest=rest
        )
        if paid
        else t.gettext("To pay: {rest}.").format(rest=rest)
    )
    if purchase.payment_mode is PaymentMode.POSTPAY:
        return text + " " + t.gettext("You pay the head when you pick up your goods.")
    return (
        text
        + "\n"
        + how_to_pay(t, purchase)
        + "\n"
        + t.gettext("Once you have paid, tap “I paid” in /orders.")
    )


def amounts_changed_to_member(
    t: Translator, purchase: Purchase, impact: AmountsChanged, change: MemberAmounts
) -> str:
    """One member's message: what changed in their order and amount, why, what they owe."""
    cause = Cause(impact.cause)
    if change.member_id in impact.members_out:
        if cause is Cause.DROPPED:
            out = t.gettext(
                "✂️ You were taken out of {title}: it was not paid by the pay-by time. "
                "Nothing is due from you."
            ).format(title=title(purchase))
        else:
            out = t.gettext(
                "You are no longer in {title}; nothing is due from you."
            ).format(title=title(purchase))  # fmt: skip
        back = change.paid - change.refunded
        if back > 0:
            out += "\n" + t.gettext("You paid {amount}: the head owes it back to you.").format(
                amount=t.money(_minor(purchase, back))
            )
        return out
    text = [
        t.gettext("💶 Your order in {title} has changed: {cause}.").format(
            title=title(purchase), cause=cause_for_members(t, cause)
        )
    ]
    before, after = dict(change.lines_before), dict(change.lines_after)
    for item in purchase.items:
        units_before, units_after = before.get(item.item_id, 0), after.get(item.item_id, 0)
        if units_before != units_after:
            text.append(_units_line(t, purchase, cause, item.item_id, units_before, units_after))
    for item_id, price_before, price_after in impact.prices:
        if item_id in after:
            text.append(price_line(t, purchase, item_id, price_before, price_after))
    if after and change.delivery_before != change.delivery_after:
        text.append(
            "• "
            + t.gettext("your share of the delivery: {after} instead of {before}").format(
                after=t.money(_minor(purchase, change.delivery_after)),
                before=t.money(_minor(purchase, change.delivery_before)),
            )
        )
    if after:
        text.append(
            t.gettext("You get: {lines}").format(lines=lines_text(purchase, after))
        )  # fmt: skip
        text.append(
            t.gettext("Amount due: {after} (it was {before})").format(
                after=t.money(_minor(purchase, _total_after(change))),
                before=t.money(_minor(purchase, _total_before(change))),
            )
        )
    else:
        text.append(t.gettext("You get nothing now, so nothing is due."))
    money = money_after(t, purchase, change)
    if money:
        text.append(money)
    return "\n".join(text)


def impact_lines(
    t: Translator, purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str]
) -> list[str]:
    """For the head: each member whose amount moves (before → after, and the money on
    record), each price and pack count that moves."""
    lines = []
    shown = [c for c in impact.members if c.member_id not in impact.members_out]
    for change in shown[:MAX_NAMES]:
        name = link(change.member_id, names.get(change.member_id, str(change.member_id)))
        was = t.money(_minor(purchase, _total_before(change)))
        now = t.money(_minor(purchase, _total_after(change)))
        entry = f"• {name}: {was} → {now}"
        paid = change.paid - change.refunded
        balance = _total_after(change) - paid
        if paid and balance > 0:
            entry += " · " + t.gettext("paid {paid}: {rest} to collect").format(
                paid=t.money(_minor(purchase, paid)), rest=t.money(_minor(purchase, balance))
            )
        elif paid and balance < 0:
            entry += " · " + t.gettext("paid {paid}: you owe {amount} back").format(
                paid=t.money(_minor(purchase, paid)), amount=t.money(_minor(purchase, -balance))
            )
        lines.append(entry)
    if len(shown) > MAX_NAMES:
        lines.append(t.gettext("and {count} more").format(count=len(shown) - MAX_NAMES))
    for item_id, before, after in impact.prices:
        lines.append(price_line(t, purchase, item_id, before, after))
    for item_id, before, after in impact.packs:
        lines.append(
            "• "
            + t.gettext("{item}: {after} packs instead of {before}").format(
                item=escape(purchase.item(item_id).name), after=after, before=before
            )
        )
    return lines


def _out_paid(purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str],
              t: Translator) -> list[str]:  # fmt: skip
    """Members leaving who had paid: the head owes them their money back."""
    lines = []
    for change in impact.members:
        back = change.paid - change.refunded
        if change.member_id in impact.members_out and back > 0:
            lines.append(
                t.gettext("{name} paid {amount}: you owe it back.").format(
                    name=link(change.member_id, names.get(change.member_id, "?")),
                    amount=t.money(_minor(purchase, back)),
                )
            )
    return lines


def names_text(names: Mapping[int, str], member_ids: Iterable[int]) -> str:
    everyone = [escape(names.get(m, str(m))) for m in member_ids]
    return ", ".join(everyone[:MAX_NAMES]) + ("…" if len(everyone) > MAX_NAMES else "")


def amounts_changed_to_head(
    t: Translator, purchase: Purchase, impact: AmountsChanged, names: Mapping[int, str]
) -> str:
    cause = Cause(impact.cause)
    out = names_text(names, impact.members_out)
    heading = {
        Cause.WITHDRAWAL: t.gettext("💶 {names} left {title}."),
        Cause.SUPPLY: t.gettext("💶 The supplier's confirmation of {title} is saved."),
        Cause.DROPPED: t.gettext("💶 Taken out of {title} for not paying: {names}."),
    }[cause].format(names=out, title=title(purchase))
    changed = [c for c in impact.members if c.member_id not in impact.members_out]
    text = [heading]
    if changed:
        text.append(
            t.ngettext(
                "The amount of {count} member changed; they are told what and why:",
                "The amounts of {count} members changed; each is told what and why:",
                len(changed),
            ).format(count=len(changed))
        )
    else:
        text.append(t.gettext("No other member's amount changed."))
    text += impact_lines(t, purchase, impact, names)
    text += _out_paid(purchase, impact, names, t)
    return "\n".join(text)


def change_preview(
    t: Translator,
    purchase: Purchase,
    impact: AmountsChanged,
    names: Mapping[int, str],
    heading: str,
    out_paid: Mapping[int, int],
) -> str:
    """For the head before deciding: what the change would move."""
    text = [heading]
    lines = impact_lines(t, purchase, impact, names)
    text += lines if lines else [t.gettext("No other member's amount would change.")]
    for member, back in out_paid.items():
        if back > 0:
            text.append(
                t.gettext("{name} paid {amount}: you would owe it back.").format(
                    name=link(member, names.get(member, "?")),
                    amount=t.money(_minor(purchase, back)),
                )
            )
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


def deadline_key(purchase: Purchase) -> str:
    """Reminder keys carry the deadline, so an extended purchase reminds again."""
    return str(int(purchase.deadline.timestamp()))


def stamp(instant: datetime) -> str:
    return str(int(instant.timestamp()))
