"""The purchase aggregate: one root, `Purchase`, built on the concerns of its own modules —
its terms (`domain.terms`), its state and status moves (`domain.purchase_state`), the
order log with quantities and the allocation (`domain.orders`, `domain.order_log`), the
lifecycle (`domain.lifecycle`) and the pickup day (`domain.pickup`); money is kept by
`domain.ledger` and `domain.billing`. This module adds the people: withdrawals and the
head's transfer. Methods that depend on time take `now` (aware UTC).
"""

from __future__ import annotations

from datetime import datetime

from domain import events
from domain.errors import (
    N_,
    IllegalTransition,
    InvalidPurchase,
    NotAllowed,
    NotFound,
    OrdersClosed,
)
from domain.order_log import LogSums, Member, Request
from domain.permissions import Actor, ensure_can_manage
from domain.pickup import PurchasePickup
from domain.terms import (
    ALLOWED_FROM,
    FINISHED,
    MAX_DESCRIPTION_LENGTH,
    MAX_ESTIMATE_GRAMS,
    MAX_HELPERS,
    MAX_ITEMS,
    MAX_PAY_TO_LENGTH,
    MAX_PICKUP_SLOTS,
    MAX_TITLE_LENGTH,
    MAX_UNITS_PER_LINE,
    MAX_VARIANT_LENGTH,
    MAX_VARIANTS,
    PAYABLE,
    PICKUP_CODE_ALPHABET,
    PICKUP_CODE_LENGTH,
    REMINDER_LEADS,
    RUNNING,
    STATUS_WORDS,
    UNDO_HANDOVER_WITHIN,
    WITHDRAWABLE,
    WITHDRAWAL_WINDOW_AFTER_TRANSFER,
    DeliverySplit,
    Handover,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    PurchaseStatus,
    ShortPolicy,
    SupplyConfirmation,
    normal_code,
    numbered_slots,
    reminder_due,
)


class Purchase(PurchasePickup):
    """One group buy and everything members asked of it: the aggregate's root. Its
    concerns are built up in layers (state, orders, lifecycle, pickup); this last one adds
    the people: members leaving, and the head handing the purchase over."""

    def in_transfer_window(self, now: datetime) -> bool:
        return self.withdrawal_window_ends is not None and now < self.withdrawal_window_ends

    def withdraw(self, member_id: int, now: datetime) -> None:
        """A member leaves: freely while orders are open, or in the window after a new head.
        After the stop this moves other members' amounts: `domain.adjustments.withdraw` is
        the way in that tells them."""
        if not self.takes_part(member_id):
            raise NotFound(N_("you have no order in this purchase"))
        window_open = self.in_transfer_window(now) and self.status in (
            PurchaseStatus.OPEN,
            PurchaseStatus.STOPPED,
            PurchaseStatus.ORDERED,
        )
        if not (self.accepts_orders(now) or window_open):
            raise OrdersClosed(N_("orders are frozen after the stop: ask the head to withdraw you"))
        self._remove_all(member_id, now)

    def request_withdrawal(self, member_id: int, now: datetime) -> None:
        """After the stop a member can only ask; the head accepts or declines."""
        if not self.takes_part(member_id):
            raise NotFound(N_("you have no order in this purchase"))
        if self.accepts_orders(now):
            raise IllegalTransition(N_("orders are still open: you can withdraw yourself"))
        if self.status not in WITHDRAWABLE:
            raise OrdersClosed(
                N_("the purchase is {status}; it is too late to withdraw"), status=self.status
            )
        if member_id not in self.withdrawal_requests:
            self.withdrawal_requests_made += 1
            self.withdrawal_requests[member_id] = self.withdrawal_requests_made
            self.events.append(
                events.WithdrawalRequested(self.id, member_id, self.withdrawal_requests_made)
            )

    def _open_request(self, actor: Actor, member_id: int, number: int) -> None:
        """The head answers request `number` of this member: only while it is the one open."""
        ensure_can_manage(self, actor)
        current = self.withdrawal_requests.get(member_id)
        if current is None or current != number:
            raise NotFound(N_("this request to withdraw has been answered already"))
        if self.status not in WITHDRAWABLE:
            raise OrdersClosed(
                N_("the purchase is {status}; it is too late to withdraw"), status=self.status
            )

    def accept_withdrawal(self, actor: Actor, member_id: int, number: int, now: datetime) -> None:
        """The head lets the member go. After the stop this moves other members' amounts:
        `domain.adjustments.accept_withdrawal` is the way in that tells them."""
        self._open_request(actor, member_id, number)
        self._remove_all(member_id, now)

    def drop(self, actor: Actor, member_id: int, now: datetime) -> None:
        """The head takes a member's order out (unpaid at the pay-by time). This moves other
        members' amounts: `domain.adjustments.drop_unpaid` is the way in that tells them."""
        ensure_can_manage(self, actor)
        if not self.takes_part(member_id):
            raise NotFound(N_("this member has no order in this purchase"))
        self._remove_all(member_id, now)

    def decline_withdrawal(self, actor: Actor, member_id: int, number: int) -> None:
        self._open_request(actor, member_id, number)
        del self.withdrawal_requests[member_id]
        self.events.append(events.WithdrawalDeclined(self.id, member_id))

    def _ensure_can_change_heads(self) -> None:
        if self.status in FINISHED:
            raise IllegalTransition(
                N_("the purchase is {status}; it cannot change heads"), status=self.status
            )

    def offer_transfer(self, actor: Actor, to_member_id: int) -> None:
        ensure_can_manage(self, actor)
        self._ensure_can_change_heads()
        if to_member_id == self.head_id:
            raise InvalidPurchase(N_("this member is already the head"))
        if not self.takes_part(to_member_id):
            raise NotFound(N_("the new head must be a participant of the purchase"))
        self.pending_head_id = to_member_id
        self.transfer_offers_made += 1
        self.events.append(events.TransferOffered(self.id, to_member_id, self.transfer_offers_made))

    def _ensure_offer_open(self, user_id: int, number: int) -> None:
        if self.pending_head_id != user_id:
            raise NotAllowed(N_("nobody offered you to lead this purchase"))
        if number != self.transfer_offers_made:
            raise NotAllowed(N_("this offer was replaced by a later one"))

    def accept_transfer(self, user_id: int, number: int, now: datetime) -> None:
        self._ensure_offer_open(user_id, number)
        self._ensure_can_change_heads()
        if not self.takes_part(user_id):
            raise NotFound(N_("the new head must be a participant of the purchase"))
        self._change_head(user_id, now)

    def decline_transfer(self, user_id: int, number: int) -> None:
        self._ensure_offer_open(user_id, number)
        self.pending_head_id = None
        self.events.append(events.TransferDeclined(self.id, user_id))

    def reassign(self, actor: Actor, new_head_id: int, now: datetime) -> None:
        """A platform admin hands an abandoned purchase to someone else."""
        if not actor.is_admin:
            raise NotAllowed(N_("only a platform admin can reassign a purchase"))
        if new_head_id != self.head_id:
            self._change_head(new_head_id, now)

    def _change_head(self, new_head_id: int, now: datetime) -> None:
        old = self.head_id
        self.head_id = new_head_id
        self.pending_head_id = None
        self.withdrawal_window_ends = now + WITHDRAWAL_WINDOW_AFTER_TRANSFER
        self.events.append(
            events.HeadChanged(self.id, old, new_head_id, self.withdrawal_window_ends)
        )


# The aggregate's vocabulary, importable from its root.
__all__ = [
    "ALLOWED_FROM",
    "FINISHED",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ESTIMATE_GRAMS",
    "MAX_HELPERS",
    "MAX_ITEMS",
    "MAX_PAY_TO_LENGTH",
    "MAX_PICKUP_SLOTS",
    "MAX_TITLE_LENGTH",
    "MAX_UNITS_PER_LINE",
    "MAX_VARIANTS",
    "MAX_VARIANT_LENGTH",
    "PAYABLE",
    "PICKUP_CODE_ALPHABET",
    "PICKUP_CODE_LENGTH",
    "REMINDER_LEADS",
    "RUNNING",
    "STATUS_WORDS",
    "UNDO_HANDOVER_WITHIN",
    "WITHDRAWABLE",
    "WITHDRAWAL_WINDOW_AFTER_TRANSFER",
    "DeliverySplit",
    "Handover",
    "Item",
    "LogSums",
    "Member",
    "Moq",
    "PaymentMode",
    "PickupSlot",
    "PriceTier",
    "Purchase",
    "PurchaseStatus",
    "Request",
    "ShortPolicy",
    "SupplyConfirmation",
    "normal_code",
    "numbered_slots",
    "reminder_due",
]
