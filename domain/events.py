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


@dataclass(frozen=True)
class WithdrawalDeclined(Event):
    member_id: int


@dataclass(frozen=True)
class MoqReached(Event):
    pass


@dataclass(frozen=True)
class SoldOut(Event):
    item_id: int


@dataclass(frozen=True)
class DeadlineExtended(Event):
    deadline: datetime


@dataclass(frozen=True)
class PurchaseEdited(Event):
    fields: tuple[str, ...]  # title, description, deadline, pickup, items


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
class PaymentClaimed(Event):
    member_id: int


@dataclass(frozen=True)
class PaymentConfirmed(Event):
    member_id: int


@dataclass(frozen=True)
class PaymentRejected(Event):
    member_id: int


@dataclass(frozen=True)
class UnpaidReminded(Event):
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class SupplyConfirmed(Event):
    item_ids: tuple[int, ...]
    changed_member_ids: tuple[int, ...]
