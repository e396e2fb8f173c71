"""Notices of payments: a member's "I paid" and the head's answer, refunds, reminders to pay,
the pay-by time, and payments made in Telegram. What a change after the stop moves is in
`texts.notices.amounts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from domain.ledger import Account
from domain.money import Money
from domain.purchase import Purchase
from texts.callback_data import Action, encode
from texts.i18n import Translator
from texts.notices.common import (
    MAX_NAMES,
    how_to_pay,
    link,
    names_joined,
    title,
)  # fmt: skip


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


def pay_markup(t: Translator, purchase_id: int, amount: Money) -> dict[str, Any]:
    """A *Pay* button under a notice: it sends an invoice for what is due when it is pressed."""
    label = t.gettext("💳 Pay {amount} in Telegram").format(amount=t.money(amount))
    button = {"text": label, "callback_data": encode(Action.ORDER_PAY, purchase_id)}
    return {"inline_keyboard": [[button]]}


def paid_in_telegram(t: Translator, purchase: Purchase, amount: Money, account: Account) -> str:
    """For the member: Telegram charged them and the payment is on record."""
    text = t.gettext("✅ Your payment of {amount} for {title} is received (paid in Telegram).")
    return (
        text.format(amount=t.money(amount), title=title(purchase))
        + " "
        + still_to_pay(t, purchase, account)
    )


def paid_in_telegram_together(
    t: Translator, purchase: Purchase, paid: list[tuple[str, Money]]
) -> str:
    """For the head: several members paid through the payment provider since the last note
    (a rush after the stop is one message, not one per member); nothing to confirm."""
    total = sum((amount for _name, amount in paid), Money.zero(purchase.currency))
    names = names_joined(t, [f"{name} {t.money(amount)}" for name, amount in paid])
    return t.ngettext(
        "💳 Paid in Telegram for {title}: {names} ({count} payment, {total} in all).",
        "💳 Paid in Telegram for {title}: {names} ({count} payments, {total} in all).",
        len(paid),
    ).format(title=title(purchase), names=names, count=len(paid), total=t.money(total))


def paid_in_telegram_to_head(
    t: Translator, purchase: Purchase, member_id: int, name: str, amount: Money, account: Account
) -> str:
    """For the head: a member paid through the payment provider; nothing to confirm."""
    text = t.gettext("💳 {name} paid {amount} for {title} in Telegram.").format(
        name=link(member_id, name), amount=t.money(amount), title=title(purchase)
    )
    if account.owed_back.minor:
        text += " " + t.gettext("That is more than is due: you owe them {amount} back.").format(
            amount=t.money(account.owed_back)
        )
    elif account.to_pay.minor:
        text += " " + t.gettext("They still owe {amount}.").format(amount=t.money(account.to_pay))
    return text
