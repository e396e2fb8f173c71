"""Domain events: what happened to a purchase, for the notification layer to tell people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Event:
    purchase_id: int


@dataclass(frozen=True)
class PurchasePublished(Event):
    pass


@dataclass(frozen=True)
class MemberJoined(Event):
    member_id: int


@dataclass(frozen=True)
class OrderChanged(Event):
    member_id: int
    item_id: int
    quantity: int
    tolerance: int


@dataclass(frozen=True)
class MemberWithdrew(Event):
    member_id: int


@dataclass(frozen=True)
class WithdrawalRequested(Event):
    member_id: int
    number: int  # the head's buttons answer this request, no later one


@dataclass(frozen=True)
class WithdrawalDeclined(Event):
    member_id: int


@dataclass(frozen=True)
class MoqReached(Event):
    pass


@dataclass(frozen=True)
class MoqLost(Event):
    """Orders dropped back below the minimum before the stop, after it had been reached."""


@dataclass(frozen=True)
class SoldOut(Event):
    item_id: int


@dataclass(frozen=True)
class DeadlineExtended(Event):
    deadline: datetime


@dataclass(frozen=True)
class PurchaseEdited(Event):
    fields: tuple[str, ...]  # title, description, deadline, pickup, items, pay_to, pay_by


@dataclass(frozen=True)
class HeadDecisionNeeded(Event):
    """The deadline passed short of the MOQ and the head chose to be asked."""


@dataclass(frozen=True)
class PurchaseStopped(Event):
    pass


@dataclass(frozen=True)
class PurchaseFailed(Event):
    pass


@dataclass(frozen=True)
class PurchaseOrdered(Event):
    pass


@dataclass(frozen=True)
class GoodsArrived(Event):
    pass


@dataclass(frozen=True)
class PurchaseCompleted(Event):
    pass


@dataclass(frozen=True)
class PurchaseCancelled(Event):
    reason: str


@dataclass(frozen=True)
class TransferOffered(Event):
    to_member_id: int
    number: int  # the member's buttons answer this offer, no later one


@dataclass(frozen=True)
class TransferDeclined(Event):
    member_id: int


@dataclass(frozen=True)
class HeadChanged(Event):
    old_head_id: int
    new_head_id: int
    withdrawal_window_ends: datetime


@dataclass(frozen=True)
class HandedOver(Event):
    member_id: int


@dataclass(frozen=True)
class HelperAdded(Event):
    user_id: int


@dataclass(frozen=True)
class HelperRemoved(Event):
    user_id: int


@dataclass(frozen=True)
class HandoverUndone(Event):
    """The head took back a handover recorded by mistake: the goods still wait."""

    member_id: int


@dataclass(frozen=True)
class PaymentClaimed(Event):
    member_id: int
    claim: int  # its number: the head's Received / Not received act on this claim only
    # Said with a receipt photo, which reaches the head with the buttons (and the warning of
    # a picture sent before): no second message about it.
    with_receipt: bool = False


@dataclass(frozen=True)
class PaymentConfirmed(Event):
    """The head recorded money received from the member (a confirmed claim, or cash)."""

    member_id: int
    entry: int  # the ledger entry's number


@dataclass(frozen=True)
class PaidInTelegram(Event):
    """A member paid in Telegram; the ledger recorded it (no head had to confirm it)."""

    member_id: int
    entry: int  # the ledger entry's number


@dataclass(frozen=True)
class PaymentRejected(Event):
    member_id: int
    claim: int


@dataclass(frozen=True)
class RefundRecorded(Event):
    member_id: int
    entry: int


@dataclass(frozen=True)
class UnpaidReminded(Event):
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class MemberAmounts:
    """One member's lines and amount (goods, fee, delivery, in minor units), before and after
    a change, with what they had paid and been refunded then."""

    member_id: int
    lines_before: tuple[tuple[int, int], ...]  # (item, units)
    lines_after: tuple[tuple[int, int], ...]
    goods_before: int
    fee_before: int
    delivery_before: int
    goods_after: int
    fee_after: int
    delivery_after: int
    paid: int
    refunded: int


@dataclass(frozen=True)
class AmountsChanged(Event):
    """A change after the stop (a withdrawal, the supplier's confirmation, unpaid members
    dropped) moved what members get or owe; everyone in `members` is told what and why."""

    cause: str  # domain.adjustments.Cause
    members_out: tuple[int, ...]  # who left or was dropped: named to the head only
    members: tuple[MemberAmounts, ...]
    prices: tuple[tuple[int, int, int], ...]  # (item, unit price before, after) where it moved
    packs: tuple[tuple[int, int, int], ...]  # (item, packs before, after) where they changed
    # (item, units in the supplier order before, after) where they changed
    ordered: tuple[tuple[int, int, int], ...] = ()
