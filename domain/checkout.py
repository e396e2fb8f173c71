"""Paying in Telegram: the invoice for what a member owes now, the check Telegram asks for
before it charges (is that amount still due, in this currency, from this person?), and the
payment it reports, recorded in the ledger once per charge.

The invoice's payload names the purchase, the member and the amount it asks for; Telegram
hands it back with the checkout and the payment, so neither needs anything kept in between.
An invoice can be forwarded or paid late, so the checkout checks everything again against
the purchase as it is then: a changed amount is refused there, before any money moves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from domain import events
from domain.billing import AmountDue
from domain.community import Community
from domain.errors import N_, DomainError, IllegalTransition, InvalidPurchase, NotAllowed
from domain.ledger import Account, account_of, settle_open_claims
from domain.money import Money
from domain.payments import ClaimState, EntryKind, LedgerEntry, Means
from domain.purchase import Purchase
from domain.terms import PaymentMode

# "gb1:<purchase>:<member>:<amount in minor units>", well under Telegram's 128 bytes.
PAYLOAD = re.compile(r"gb1:(\d{1,19}):(\d{1,19}):(\d{1,19})")
# A payment provider token as @BotFather gives it: the provider's id, TEST or LIVE, a secret.
PROVIDER_TOKEN = re.compile(r"\d{1,20}:(?:TEST|LIVE):[^\s:]{1,230}")


def provider_token(text: str) -> str:
    """A provider token a chat admin sent, checked for its shape (Telegram checks the rest
    when the first invoice is made with it)."""
    token = text.strip()
    if PROVIDER_TOKEN.fullmatch(token) is None:
        raise InvalidPurchase(
            N_("that is not a payment provider token: @BotFather gives one like 123456:TEST:abc")
        )
    return token


def token_for(community: Community | None, platform_token: str | None) -> str | None:
    """The token invoices of this community are made with: its own, else the platform's."""
    own = community.payment_token if community is not None else None
    return own or platform_token


@dataclass(frozen=True)
class Invoice:
    """What one member is asked to pay for one purchase, as Telegram carries it."""

    purchase_id: int
    member_id: int
    amount: Money

    @property
    def payload(self) -> str:
        return f"gb1:{self.purchase_id}:{self.member_id}:{self.amount.minor}"


@dataclass(frozen=True)
class Checkout:
    """What Telegram reports of a checkout or a payment: who pays, the invoice's payload, and
    the currency and total it charges (minor units, as Telegram counts them)."""

    payer_id: int
    payload: str
    currency: str
    total: int


def parse_payload(payload: str) -> tuple[int, int, int] | None:
    """Purchase, member and amount (minor units) of an invoice this bot made; None else."""
    match = PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def _ensure_payable(
    purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue] | None = None
) -> Money:
    """What the member owes now, while it may be paid in Telegram (`dues`: `dues_of`, when
    the caller has it)."""
    account = account_of(purchase, member_id, dues)
    _check_payable(purchase, account)
    return account.to_pay


def payable(purchase: Purchase, account: Account) -> bool:
    """Whether this account may be paid in Telegram now (what a *Pay* button is shown for)."""
    try:
        _check_payable(purchase, account)
    except DomainError:
        return False
    return True


def _check_payable(purchase: Purchase, account: Account) -> None:
    if purchase.payment_mode is not PaymentMode.PREPAY:
        raise IllegalTransition(N_("this purchase is paid to the head at pickup"))
    if not purchase.accepts_payments():
        raise IllegalTransition(
            N_("payments are not collected while the purchase is {status}"),
            status=purchase.status,
        )
    if account.open_claim is not None:
        # They sent it some other way already: paying here too would pay twice.
        raise IllegalTransition(
            N_("you said you paid {amount} already; the head will confirm it"),
            amount=account.open_claim.amount or account.to_pay,
        )
    if account.to_pay.minor == 0:
        raise IllegalTransition(N_("you owe nothing for this purchase now"))


def invoice_for(purchase: Purchase, member_id: int) -> Invoice:
    """The invoice for what the member owes now (a prepaid purchase, collecting payments)."""
    return Invoice(purchase.id, member_id, _ensure_payable(purchase, member_id))


def _invoiced(purchase: Purchase, checkout: Checkout) -> tuple[int, Money]:
    """The member and the amount of the invoice, after the checks a payment needs too: ours,
    for this purchase, paid by the member it was made for, in its currency and amount."""
    parsed = parse_payload(checkout.payload)
    if parsed is None or parsed[0] != purchase.id:
        raise NotAllowed(N_("this invoice is not one of this purchase"))
    _purchase_id, member_id, minor = parsed
    if checkout.payer_id != member_id:
        raise NotAllowed(N_("this invoice is for another member: tap Pay in your own /orders"))
    if checkout.currency != purchase.currency:
        raise InvalidPurchase(
            N_("this purchase is paid in {currency}, not in {other}"),
            currency=purchase.currency, other=checkout.currency,
        )  # fmt: skip
    if checkout.total != minor or minor <= 0:
        raise InvalidPurchase(N_("the amount charged is not the amount of the invoice"))
    return member_id, Money(minor, purchase.currency)


def check_checkout(
    purchase: Purchase, checkout: Checkout, dues: Mapping[int, AmountDue] | None = None
) -> None:
    """Whether Telegram may charge this checkout: the invoice's amount must still be exactly
    what the member owes (a head's change, another payment or a paid invoice opened again
    moves it), else the reason it may not."""
    member_id, invoiced = _invoiced(purchase, checkout)
    due = _ensure_payable(purchase, member_id, dues)
    if due != invoiced:
        raise IllegalTransition(
            N_("the amount due is now {amount}, not {invoiced}: tap Pay again for a new invoice"),
            amount=due, invoiced=invoiced,
        )  # fmt: skip


def record_charge(
    purchase: Purchase,
    checkout: Checkout,
    charge: str,
    provider_charge: str,
    now: datetime,
) -> LedgerEntry | None:
    """Telegram says the money moved: it is recorded as paid, whatever happened since the
    checkout (an amount changed meanwhile shows as owed back or still to pay; money is never
    refused once it is taken). A charge recorded already records nothing (None)."""
    if not charge:
        raise InvalidPurchase(N_("a payment without its charge id cannot be recorded"))
    if any(entry.charge == charge for entry in purchase.ledger):
        return None
    member_id, amount = _invoiced(purchase, checkout)
    owed = account_of(purchase, member_id).to_pay
    number = purchase.ledger[-1].number + 1 if purchase.ledger else 1
    entry = LedgerEntry(
        number, member_id, EntryKind.PAYMENT, amount, now, member_id, Means.TELEGRAM,
        charge=charge, provider_charge=provider_charge or None,
    )  # fmt: skip
    purchase.ledger.append(entry)
    if amount >= owed:
        # An "I paid" left open (sent another way) is settled: nothing is owed any more.
        settle_open_claims(purchase, member_id, ClaimState.SETTLED)
    purchase.events.append(events.PaidInTelegram(purchase.id, member_id, entry.number))
    return entry


def charges_of(purchase: Purchase, member_id: int) -> list[LedgerEntry]:
    """The member's payments made in Telegram: what a refund through the provider names."""
    return [
        entry
        for entry in purchase.ledger
        if entry.member_id == member_id and entry.means is Means.TELEGRAM
    ]
