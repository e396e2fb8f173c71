"""The head's payments view as words and buttons: the totals, who still owes and whom the head
owes back (a button each, carrying the amount it shows), a member's balance, and how to type
another amount.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain import ledger
from domain.ledger import Account, PaymentStatus
from domain.money import Money
from domain.purchase import Purchase
from domain.views import member_numbers
from texts import notices
from texts.callback_data import Action, encode
from texts.i18n import Translator

MEMBERS_PER_MESSAGE = 30


def payment_mark(t: Translator, status: PaymentStatus | None) -> str:
    match status:
        case PaymentStatus.PAID:
            return t.gettext("paid")
        case PaymentStatus.CLAIMED:
            return t.gettext("says paid")
        case PaymentStatus.NOT_FOUND:
            return t.gettext("payment not found")
        case PaymentStatus.PARTLY_PAID:
            return t.gettext("paid part")
        case PaymentStatus.OWED_BACK:
            return t.gettext("owed back")
    return ""


def plain_name(purchase: Purchase, member_id: int) -> str:
    member = purchase.members.get(member_id)
    return member.name if member else str(member_id)


def payments_headline(t: Translator, purchase: Purchase, figures: ledger.Totals) -> str:
    return "\n".join([
        t.gettext("💶 Payments of <b>{title}</b>").format(title=escape(purchase.title)),
        t.gettext(
            "Due {due} · collected {collected} · to collect {to_collect} · "
            "to give back {to_give_back}"
        ).format(
            due=t.money(figures.due), collected=t.money(figures.collected),
            to_collect=t.money(figures.to_collect), to_give_back=t.money(figures.to_give_back),
        ),
        t.ngettext(
            "{paid} member has paid something; {settled} of {count} are settled.",
            "{paid} members have paid something; {settled} of {count} are settled.",
            figures.paid_anything,
        ).format(paid=figures.paid_anything, settled=figures.settled, count=figures.paying),
    ])  # fmt: skip


def _owing_line(t: Translator, purchase: Purchase, number: int, account: Account) -> str:
    entry = (
        f"• #{number} {notices.link(account.member_id, plain_name(purchase, account.member_id))}: "
    )
    entry += t.money(account.to_pay)
    if account.paid.minor:
        entry += " " + t.gettext("of {due}, paid {paid}").format(
            due=t.money(account.due), paid=t.money(account.paid - account.refunded)
        )
    # "paid part" says less than "of €20.80, paid €17.80" already does.
    mark = "" if account.status is PaymentStatus.PARTLY_PAID else payment_mark(t, account.status)
    return entry + (f" · {mark}" if mark else "")


def _owed_line(t: Translator, purchase: Purchase, number: int, account: Account) -> str:
    return (
        f"• #{number} {notices.link(account.member_id, plain_name(purchase, account.member_id))}: "
        + t.money(account.owed_back)
        + " "
        + t.gettext("(paid {paid}, due {due})").format(
            paid=t.money(account.paid - account.refunded), due=t.money(account.due)
        )
    )


Line = Callable[[Translator, Purchase, int, Account], str]


def action_button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:64], callback_data=encode(action, *args))


def payments_messages(
    t: Translator, purchase: Purchase, now_droppable: bool
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The head's view of the money: the figures, who still owes (a button each records their
    money received: cash at pickup needs no "I paid" first), whom the head owes back (a button
    each records it given back), and how to record any other amount."""
    every = ledger.accounts(purchase)
    figures = ledger.totals(purchase, every)
    numbers = member_numbers(purchase)
    collecting = purchase.accepts_payments()
    owing = [a for a in every.values() if a.to_pay.minor] if collecting else []
    owed = [a for a in every.values() if a.owed_back.minor]
    entries: list[tuple[str, InlineKeyboardButton | None]] = []
    sections: list[tuple[list[Account], str, str, Line, Action, Callable[[Account], Money]]] = [
        (owing, t.gettext("Still to pay — tap a name when you have their money:"), "✅",
         _owing_line, Action.PAYMENT_CASH, lambda a: a.to_pay),
        (owed, t.gettext("You owe back — tap a name once you have given it back:"), "↩️",
         _owed_line, Action.REFUND_GIVEN, lambda a: a.owed_back),
    ]  # fmt: skip
    for members, heading, mark, line, action, figure in sections:
        if members:
            entries.append((heading, None))
        for account in members:
            amount = figure(account)
            label = (
                f"{mark} {plain_name(purchase, account.member_id)}"[:40] + f", {t.money(amount)}"
            )
            entries.append((
                line(t, purchase, numbers.get(account.member_id, 0), account),
                action_button(label, action, purchase.id, account.member_id, amount.minor),
            ))  # fmt: skip
    headline = payments_headline(t, purchase, figures)
    if not owing and not owed:
        done = t.gettext("Everyone has paid.") if collecting else t.gettext("Nothing is open.")
        return [(headline + "\n" + done, None)]
    hint = t.gettext(
        "Another amount: /paid {id} <name or #number> <amount>, "
        "/refund {id} <name or #number> <amount>"
    ).format(id=purchase.id)
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = []
    for start in range(0, len(entries), MEMBERS_PER_MESSAGE):
        chunk = entries[start : start + MEMBERS_PER_MESSAGE]
        lines = ([headline] if start == 0 else []) + [text for text, _ in chunk]
        rows = [[button] for _, button in chunk if button is not None]
        messages.append(("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None))
    last_text, last_markup = messages[-1]
    extra: list[list[InlineKeyboardButton]] = []
    if any(a.open_claim is None for a in owing):
        extra.append([action_button(t.gettext("📣 Remind all unpaid"), Action.HEAD_REMIND_UNPAID,
                              purchase.id)])  # fmt: skip
    if now_droppable and ledger.never_paid(purchase):
        extra.append([action_button(t.gettext("✂️ Take out those who paid nothing"),
                              Action.HEAD_DROP_UNPAID, purchase.id)])  # fmt: skip
    rows = [*(list(row) for row in (last_markup.inline_keyboard if last_markup else ())), *extra]
    messages[-1] = (
        last_text + "\n\n" + escape(hint),
        InlineKeyboardMarkup(rows) if rows else None,
    )
    return messages


def money_usage(t: Translator, command: str, purchase_id: int) -> str:
    return t.gettext(
        "Write it like this: /{command} {id} <name or #number> <amount>, "
        "e.g. /{command} {id} #3 12.50"
    ).format(command=command, id=purchase_id)


def balance_text(t: Translator, account: Account) -> str:
    if account.to_pay.minor:
        return t.gettext("They still owe {amount}.").format(amount=t.money(account.to_pay))
    if account.owed_back.minor:
        return t.gettext("You still owe them {amount}.").format(amount=t.money(account.owed_back))
    return t.gettext("Their balance is settled.")
