"""The records of money between members and the head: a member's claim that they paid, and
the ledger of money that really moved (payments received, refunds given back).

Both are only ever appended to (a claim's state is the one thing that changes, once), so the
history of who paid what stays on record; `domain.ledger` sums them into each member's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.money import Money


class ClaimState(StrEnum):
    """Where a member's "I paid" stands; only an open claim can still be answered."""

    OPEN = "open"  # the head has not looked yet
    RECEIVED = "received"  # the head found the money (a ledger entry records it)
    NOT_FOUND = "not_found"  # the head did not find it; the member may say so again
    SETTLED = "settled"  # a payment the head recorded meanwhile (cash) settled what it was for


@dataclass(frozen=True)
class PaymentClaim:
    """A member said they paid; `amount` is what they owed at that moment, which is what they
    sent (None for a claim recorded before amounts were kept with claims: the amount owed when
    the head confirms it)."""

    number: int  # rising within the purchase; buttons carry it, so an old one acts on nothing else
    member_id: int
    amount: Money | None
    at: datetime
    state: ClaimState = ClaimState.OPEN


class EntryKind(StrEnum):
    PAYMENT = "payment"  # the head received money from the member
    REFUND = "refund"  # the head gave money back to the member


class Means(StrEnum):
    TRANSFER = "transfer"  # a claim the head confirmed
    CASH = "cash"  # handed over in person (at pickup, or recorded from the payments list)
    TELEGRAM = "telegram"  # paid in Telegram, through the payment provider the bot uses


@dataclass(frozen=True)
class LedgerEntry:
    """Money that moved between one member and the head, as the head recorded it."""

    number: int  # rising within the purchase
    member_id: int
    kind: EntryKind
    amount: Money  # always more than zero; the kind says which way it went
    at: datetime
    recorded_by: int
    means: Means
    claim: int | None = None  # the claim it answered, for a confirmed transfer
    # A payment made in Telegram: the charge as Telegram names it (one entry per charge, so
    # a payment reported twice is recorded once) and as the provider does (a refund goes
    # through the provider, with this id).
    charge: str | None = None
    provider_charge: str | None = None
