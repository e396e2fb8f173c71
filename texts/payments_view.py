"""The head's payments view as words and buttons: the totals, who still owes and whom the head
owes back (a button each, carrying the amount it shows), a member's balance, and how to type
another amount (a receipt photo's words are in texts/receipts_view.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain import checkout, ledger
from domain.checkout import Invoice
from domain.ledger import Account, PaymentStatus
from domain.money import Money
from domain.purchase import Purchase
from domain.receipts import Receipt
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


def seen_before_line(t: Translator, copy_of: Receipt) -> str:
    """Beside a claim in the payments list: its receipt shows a picture sent before."""
    return t.gettext("⚠️ its receipt looks like the one {name} sent for {title} on {date}").format(
        name=escape(copy_of.member_name), title=escape(copy_of.purchase_title),
        date=t.when(copy_of.sent_at),
    )  # fmt: skip


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
    line = (
        f"• #{number} {notices.link(account.member_id, plain_name(purchase, account.member_id))}: "
        + t.money(account.owed_back)
        + " "
        + t.gettext("(paid {paid}, due {due})").format(
            paid=t.money(account.paid - account.refunded), due=t.money(account.due)
        )
    )
    # Money taken by the payment provider goes back through it: the head needs the charge.
    charges = charges_line(t, purchase, account.member_id)
    return line + (f" · {charges}" if charges else "")


Line = Callable[[Translator, Purchase, int, Account], str]


def action_button(label: str, action: Action, *args: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:64], callback_data=encode(action, *args))


def payments_messages(
    t: Translator,
    purchase: Purchase,
    now_droppable: bool,
    seen_before: Mapping[int, Receipt] | None = None,
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The head's view of the money: the figures, who still owes (a button each records their
    money received: cash at pickup needs no "I paid" first), whom the head owes back (a button
    each records it given back), and how to record any other amount. A member whose claim's
    receipt shows a picture sent before (`seen_before`) has the warning on her line and ⚠️ on
    her button, as the photo's caption does: the button records the money in one tap."""
    seen_before = seen_before or {}
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
            copy_of = seen_before.get(account.member_id) if line is _owing_line else None
            label = (
                f"{'⚠️' if copy_of else mark} {plain_name(purchase, account.member_id)}"[:40]
                + f", {t.money(amount)}"
            )
            text = line(t, purchase, numbers.get(account.member_id, 0), account)
            entries.append((
                text + (f" · {seen_before_line(t, copy_of)}" if copy_of else ""),
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
    for chunk in _chunks(entries, len(headline)):
        lines = ([headline] if not messages else []) + [text for text, _ in chunk]
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


# What one message of the list holds at most, in characters: under Telegram's 4,096 with the
# headline and the hint of the last one (lines with Telegram charges are long).
MESSAGE_CHARACTERS = 3300


def _chunks(
    entries: list[tuple[str, InlineKeyboardButton | None]], headline: int
) -> list[list[tuple[str, InlineKeyboardButton | None]]]:
    """The list's lines in messages of at most MEMBERS_PER_MESSAGE buttons and
    MESSAGE_CHARACTERS characters (the first holds the headline too)."""
    chunks: list[list[tuple[str, InlineKeyboardButton | None]]] = [[]]
    size = headline
    for entry in entries:
        buttons = sum(1 for _, button in chunks[-1] if button is not None)
        if chunks[-1] and (
            buttons >= MEMBERS_PER_MESSAGE or size + len(entry[0]) + 1 > MESSAGE_CHARACTERS
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += len(entry[0]) + 1
    return chunks


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


# Telegram's limits on an invoice (sendInvoice): a title of 32 characters, a description of
# 255, both plain text.
INVOICE_TITLE_LIMIT = 32
INVOICE_DESCRIPTION_LIMIT = 255


def invoice_texts(t: Translator, purchase: Purchase, invoice: Invoice) -> tuple[str, str, str]:
    """An invoice's title, description and the label of its one price, in Telegram's limits:
    the purchase, the member's goods, and what the amount is (all that is due, or the rest)."""
    title = purchase.title.strip() or t.gettext("Purchase #{id}").format(id=purchase.id)
    final = purchase.final_lines().get(invoice.member_id, {})
    goods = ", ".join(
        f"{units} × {purchase.item(item_id).label}" for item_id, units in final.items()
    )
    account = ledger.account_of(purchase, invoice.member_id)
    if account.paid.minor > account.refunded.minor:
        label = t.gettext("Still to pay")
    else:
        label = t.gettext("Amount due")
    description = t.gettext("Purchase #{id}: {goods}").format(id=purchase.id, goods=goods or "—")
    return (
        _cut(title, INVOICE_TITLE_LIMIT),
        _cut(description, INVOICE_DESCRIPTION_LIMIT),
        label,
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def charges_line(t: Translator, purchase: Purchase, member_id: int) -> str:
    """The member's payments made in Telegram, for a refund through the payment provider."""
    charges = [
        t.gettext("{amount}, provider charge {charge}").format(
            amount=t.money(entry.amount),
            charge=f"<code>{escape(entry.provider_charge or entry.charge or '')}</code>",
        )
        for entry in checkout.charges_of(purchase, member_id)
    ]
    if not charges:
        return ""
    return t.gettext("paid in Telegram: {charges}; give it back through the provider").format(
        charges="; ".join(charges)
    )
