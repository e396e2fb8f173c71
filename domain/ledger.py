"""One account of money per member and purchase: what is due, what the head received, what the
head gave back, and the balance (due − paid + refunded), exact in minor units.

A positive balance is what the member still owes; a negative one is what the head owes back.
What is due follows the purchase (the allocation, the supplier's confirmation, the split of fee
and delivery); what was paid and refunded is the ledger of what really moved, never rewritten.
So a change after the stop cannot leave a stale "paid": a member who paid 17.80 and now owes
20.80 has a balance of 3.00 and is unpaid again, by construction.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import events
from domain.billing import AmountDue, amounts_due
from domain.errors import N_, DomainError, IllegalTransition, InvalidPurchase, NotFound
from domain.money import Money
from domain.payments import ClaimState, EntryKind, LedgerEntry, Means, PaymentClaim
from domain.permissions import Actor, ensure_can_hand_over, ensure_can_manage
from domain.purchase import Purchase, PurchaseStatus

# Nothing is due from anyone once a purchase failed or was cancelled: what was paid goes back.
NOTHING_DUE = (PurchaseStatus.FAILED, PurchaseStatus.CANCELLED)


class OpenBalances(DomainError):
    """Money is still owed one way or the other: the purchase cannot simply be completed."""


class PaymentStatus(StrEnum):
    NOTHING_DUE = "nothing_due"  # owes nothing and paid nothing
    NOT_PAID = "not_paid"
    CLAIMED = "claimed"  # said they paid; the head has not looked yet
    NOT_FOUND = "not_found"  # the head did not find the money they said they sent
    PARTLY_PAID = "partly_paid"  # paid some, owes the rest (often: the amount rose after paying)
    PAID = "paid"  # paid exactly what is due
    OWED_BACK = "owed_back"  # paid more than is now due: the head owes the difference


@dataclass(frozen=True)
class Account:
    member_id: int
    due: Money
    paid: Money
    refunded: Money
    open_claim: PaymentClaim | None = None
    last_claim_not_found: bool = False

    @property
    def balance(self) -> Money:
        """Owed by the member (positive) or to them (negative)."""
        return self.due - self.paid + self.refunded

    @property
    def owed_back(self) -> Money:
        return Money(max(0, -self.balance.minor), self.due.currency)

    @property
    def to_pay(self) -> Money:
        return Money(max(0, self.balance.minor), self.due.currency)

    @property
    def status(self) -> PaymentStatus:
        balance = self.balance.minor
        if balance < 0:
            return PaymentStatus.OWED_BACK
        if balance == 0:
            return PaymentStatus.PAID if self.paid.minor else PaymentStatus.NOTHING_DUE
        if self.open_claim is not None:
            return PaymentStatus.CLAIMED
        if self.last_claim_not_found:
            return PaymentStatus.NOT_FOUND
        return PaymentStatus.PARTLY_PAID if self.paid > self.refunded else PaymentStatus.NOT_PAID


def dues_of(purchase: Purchase) -> dict[int, AmountDue]:
    """What each member owes for their goods now: nothing after a failure or a cancel."""
    if purchase.status in NOTHING_DUE:
        return {}
    return amounts_due(purchase)


def accounts(
    purchase: Purchase,
    dues: Mapping[int, AmountDue] | None = None,
    only: Collection[int] | None = None,
) -> dict[int, Account]:
    """Every member with something due or on record (a payment, a refund, a claim), members
    with goods first in join order, then those who left after paying. `dues` is `dues_of`
    when the caller has it already."""
    dues = dues_of(purchase) if dues is None else dues
    zero = Money.zero(purchase.currency)
    paid: dict[int, Money] = {}
    refunded: dict[int, Money] = {}
    for entry in purchase.ledger:
        totals = paid if entry.kind is EntryKind.PAYMENT else refunded
        totals[entry.member_id] = totals.get(entry.member_id, zero) + entry.amount
    latest: dict[int, PaymentClaim] = {}
    for claim in purchase.claims:
        latest[claim.member_id] = claim
    members = list(dict.fromkeys([*dues, *paid, *refunded, *latest]))
    result = {}
    for member in members:
        if only is not None and member not in only:
            continue
        last = latest.get(member)
        due = dues.get(member)
        result[member] = Account(
            member,
            due.total if due is not None else zero,
            paid.get(member, zero),
            refunded.get(member, zero),
            last if last is not None and last.state is ClaimState.OPEN else None,
            last is not None and last.state is ClaimState.NOT_FOUND,
        )
    return result


def account_of(
    purchase: Purchase, member_id: int, dues: Mapping[int, AmountDue] | None = None
) -> Account:
    found = accounts(purchase, dues, only={member_id}).get(member_id)
    zero = Money.zero(purchase.currency)
    return found or Account(member_id, zero, zero, zero)


@dataclass(frozen=True)
class Totals:
    """The head's figures: what is due in all, collected, still to collect, to give back."""

    due: Money
    collected: Money  # paid less refunded
    to_collect: Money
    to_give_back: Money
    paying: int  # members who owe or owed something
    settled: int  # of them, those whose balance is zero
    paid_anything: int  # members who paid something, including those who now get nothing


def totals(purchase: Purchase, every: Mapping[int, Account]) -> Totals:
    zero = Money.zero(purchase.currency)
    owing = [a for a in every.values() if a.due.minor or a.paid.minor]
    return Totals(
        sum((a.due for a in every.values()), zero),
        sum((a.paid - a.refunded for a in every.values()), zero),
        sum((a.to_pay for a in every.values()), zero),
        sum((a.owed_back for a in every.values()), zero),
        len(owing),
        sum(1 for a in owing if a.balance.minor == 0),
        sum(1 for a in every.values() if a.paid.minor),
    )


# --- the rules ------------------------------------------------------------------------------


def _ensure_collecting(purchase: Purchase) -> None:
    if not purchase.accepts_payments():
        raise IllegalTransition(
            N_("payments are not collected while the purchase is {status}"),
            status=purchase.status,
        )


def _next_entry(purchase: Purchase) -> int:
    return purchase.ledger[-1].number + 1 if purchase.ledger else 1


def settle_open_claims(purchase: Purchase, member_id: int, to: ClaimState) -> None:
    purchase.claims = [
        PaymentClaim(c.number, c.member_id, c.amount, c.at, to)
        if c.member_id == member_id and c.state is ClaimState.OPEN
        else c
        for c in purchase.claims
    ]


def claim_payment(
    purchase: Purchase, member_id: int, now: datetime, with_receipt: bool = False
) -> PaymentClaim:
    """The member says they paid what they owe now (`with_receipt`: by sending a receipt
    photo); the head confirms or rejects it."""
    _ensure_collecting(purchase)
    account = account_of(purchase, member_id)
    if account.due.minor == 0 and account.paid.minor == 0:
        raise NotFound(N_("there is nothing to pay: no goods in this purchase"))
    if account.open_claim is not None:
        return account.open_claim
    if account.balance.minor <= 0:
        raise IllegalTransition(N_("you owe nothing: the head has all of your payment"))
    number = purchase.claims[-1].number + 1 if purchase.claims else 1
    claim = PaymentClaim(number, member_id, account.balance, now)
    purchase.claims.append(claim)
    purchase.events.append(events.PaymentClaimed(purchase.id, member_id, number, with_receipt))
    return claim


def _open_claim(purchase: Purchase, member_id: int, number: int) -> PaymentClaim:
    """Claim `number` of this member, while it is open and the latest; an old button of an
    answered or replaced claim is refused, so it never undoes a later decision."""
    claim = next(
        (c for c in purchase.claims if c.number == number and c.member_id == member_id), None
    )
    if claim is None:
        raise NotFound(N_("this member has not said they paid"))
    if claim.state is ClaimState.RECEIVED:
        raise IllegalTransition(N_("this payment was recorded as received already"))
    if claim.state is ClaimState.NOT_FOUND:
        raise IllegalTransition(N_("this payment was marked as not received already"))
    if claim.state is ClaimState.SETTLED:
        raise IllegalTransition(N_("a payment recorded later settled this one already"))
    return claim


def confirm_claim(
    purchase: Purchase, actor: Actor, member_id: int, number: int, now: datetime
) -> LedgerEntry:
    """The head found the money of claim `number`: the amount the member said they sent."""
    ensure_can_manage(purchase, actor)
    _ensure_collecting(purchase)
    claim = _open_claim(purchase, member_id, number)
    amount = claim.amount if claim.amount is not None else account_of(purchase, member_id).to_pay
    settle_open_claims(purchase, member_id, ClaimState.RECEIVED)
    entry = LedgerEntry(
        _next_entry(purchase), member_id, EntryKind.PAYMENT, amount, now, actor.user_id,
        Means.TRANSFER, claim.number,
    )  # fmt: skip
    purchase.ledger.append(entry)
    purchase.events.append(events.PaymentConfirmed(purchase.id, member_id, entry.number))
    return entry


def reject_claim(purchase: Purchase, actor: Actor, member_id: int, number: int) -> None:
    """The head did not find the money of claim `number`; the member may say so again."""
    ensure_can_manage(purchase, actor)
    _ensure_collecting(purchase)
    _open_claim(purchase, member_id, number)
    settle_open_claims(purchase, member_id, ClaimState.NOT_FOUND)
    purchase.events.append(events.PaymentRejected(purchase.id, member_id, number))


def _member_name(purchase: Purchase, member_id: int) -> str:
    member = purchase.members.get(member_id)
    return member.name if member else str(member_id)


def _account_to_record(
    purchase: Purchase,
    actor: Actor,
    member_id: int,
    shown: Callable[[Account], Money],
    expected: Money | None,
    at_pickup: bool = False,
) -> tuple[Account, str]:
    """The member's account and name, for the head to record money in (or, `at_pickup`, a
    helper: the cash handed over with the goods). A button shows an amount (`expected`);
    once the member's figure it showed has moved, the button is stale."""
    if at_pickup:
        ensure_can_hand_over(purchase, actor)
    else:
        ensure_can_manage(purchase, actor)
    account = account_of(purchase, member_id)
    name = _member_name(purchase, member_id)
    if expected is not None and expected != shown(account):
        raise IllegalTransition(
            N_("the amount changed meanwhile: {name} now has {amount}"),
            name=name,
            amount=shown(account),
        )
    return account, name


def record_payment(
    purchase: Purchase,
    actor: Actor,
    member_id: int,
    amount: Money,
    now: datetime,
    expected: Money | None = None,
    at_pickup: bool = False,
) -> LedgerEntry:
    """The head received `amount` from the member in person (at pickup, or told so); with
    `expected`, only while the member still owes exactly that (what the button showed)."""
    account, name = _account_to_record(
        purchase, actor, member_id, lambda a: a.to_pay, expected, at_pickup
    )  # fmt: skip
    _ensure_collecting(purchase)
    if amount.minor <= 0:
        raise InvalidPurchase(N_("an amount received must be more than zero"))
    if account.to_pay.minor == 0:
        raise IllegalTransition(N_("{name} owes nothing"), name=name)
    if amount > account.to_pay:
        raise InvalidPurchase(
            N_("{name} owes {owed}; {amount} is more than that"),
            name=name, owed=account.to_pay, amount=amount,
        )  # fmt: skip
    entry = LedgerEntry(
        _next_entry(purchase), member_id, EntryKind.PAYMENT, amount, now, actor.user_id, Means.CASH
    )
    purchase.ledger.append(entry)
    if amount == account.to_pay:
        # What the member said they sent is settled by this money, whichever way it came.
        settle_open_claims(purchase, member_id, ClaimState.SETTLED)
    purchase.events.append(events.PaymentConfirmed(purchase.id, member_id, entry.number))
    return entry


def record_refund(
    purchase: Purchase,
    actor: Actor,
    member_id: int,
    amount: Money,
    now: datetime,
    expected: Money | None = None,
    means: Means = Means.TRANSFER,
    at_pickup: bool = False,
) -> LedgerEntry:
    """The head gave `amount` back to the member; with `expected`, only while the head owes
    exactly that (what the button showed)."""
    account, name = _account_to_record(
        purchase, actor, member_id, lambda a: a.owed_back, expected, at_pickup
    )  # fmt: skip
    if purchase.status in (PurchaseStatus.DRAFT, PurchaseStatus.OPEN):
        raise IllegalTransition(
            N_("nothing is paid while the purchase is {status}"), status=purchase.status
        )
    if amount.minor <= 0:
        raise InvalidPurchase(N_("a refund must be more than zero"))
    returnable = account.paid - account.refunded
    if returnable.minor <= 0:
        raise IllegalTransition(
            N_("{name} has paid nothing, so there is nothing to give back"), name=name
        )
    if amount > returnable:
        raise InvalidPurchase(
            N_("{name} paid {paid} in all; a refund of {amount} is more than that"),
            name=name, paid=returnable, amount=amount,
        )  # fmt: skip
    entry = LedgerEntry(
        _next_entry(purchase), member_id, EntryKind.REFUND, amount, now, actor.user_id, means
    )
    purchase.ledger.append(entry)
    purchase.events.append(events.RefundRecorded(purchase.id, member_id, entry.number))
    return entry


def unpaid(purchase: Purchase, every: Mapping[int, Account] | None = None) -> list[int]:
    """Members who still owe something, in join order (partly paid ones included)."""
    every = accounts(purchase) if every is None else every
    return [m for m, account in every.items() if account.balance.minor > 0]


def remind_unpaid(purchase: Purchase, actor: Actor) -> list[int]:
    """The head asks every member who still owes to pay; returns who will be reminded."""
    ensure_can_manage(purchase, actor)
    _ensure_collecting(purchase)
    # Someone who said they paid waits for the head to look, not for a reminder.
    every = accounts(purchase)
    owing = [m for m in unpaid(purchase, every) if every[m].open_claim is None]
    if not owing:
        raise NotFound(N_("nobody to remind: everyone has paid or says so"))
    purchase.events.append(events.UnpaidReminded(purchase.id, tuple(owing)))
    return owing


def never_paid(purchase: Purchase) -> list[int]:
    """Members with goods who paid nothing and do not say they paid: those the head may drop
    at the pay-by time (a member who paid part is kept; they are reminded of the rest)."""
    every = accounts(purchase)
    return [
        m
        for m, account in every.items()
        if account.balance.minor > 0 and account.paid.minor == 0 and account.open_claim is None
    ]


def fingerprint(member_ids: Collection[int]) -> int:
    """A short number that changes when the set of members changes: a button that acts on
    "the unpaid members" carries it, so it never acts on a different set than it showed."""
    return zlib.crc32(",".join(str(m) for m in sorted(member_ids)).encode()) & 0x7FFFFFFF


def ensure_settled(purchase: Purchase, every: Mapping[int, Account] | None = None) -> None:
    """Refuse to close while anyone owes money or is owed it."""
    every = accounts(purchase) if every is None else every
    figures = totals(purchase, every)
    if figures.to_collect.minor and figures.to_give_back.minor:
        raise OpenBalances(
            N_("{to_collect} is still to collect and {to_give_back} to give back"),
            to_collect=figures.to_collect,
            to_give_back=figures.to_give_back,
        )
    if figures.to_collect.minor:
        raise OpenBalances(N_("{to_collect} is still to collect"), to_collect=figures.to_collect)
    if figures.to_give_back.minor:
        raise OpenBalances(
            N_("{to_give_back} is still to give back"), to_give_back=figures.to_give_back
        )


def complete(purchase: Purchase, actor: Actor, with_open_balances: bool = False) -> None:
    """The head closes the purchase: only with every balance settled, unless they say to
    close with open balances (which stay on record, as every entry does)."""
    ensure_can_manage(purchase, actor)
    if not with_open_balances and purchase.status is PurchaseStatus.ARRIVED:
        ensure_settled(purchase)
    purchase.complete(actor)
