"""The pickup day of a purchase: pickup slots and members' choices of them (within each
slot's capacity), pickup codes, the head's helpers, and handing goods over (and undoing a
handover recorded by mistake).
"""

from __future__ import annotations

from datetime import datetime

from domain import events
from domain.errors import (
    N_,
    DomainError,
    IllegalTransition,
    LimitExceeded,
    NotAllowed,
    NotFound,
)
from domain.lifecycle import PurchaseLifecycle
from domain.permissions import Actor, ensure_can_hand_over, ensure_can_manage
from domain.terms import (
    FINISHED,
    MAX_HELPERS,
    RUNNING,
    UNDO_HANDOVER_WITHIN,
    Handover,
    PickupSlot,
    PurchaseStatus,
    normal_code,
)


class PurchasePickup(PurchaseLifecycle):
    """Who comes when, and who has got their goods."""

    def collects(self, member_id: int) -> bool:
        """Whether the member comes to the pickup: has a code once goods are there, has
        units before."""
        if self.status is PurchaseStatus.ARRIVED:
            return member_id in self.pickup_codes
        return self.takes_part(member_id)

    def pickup_slot_of(self, member_id: int) -> PickupSlot | None:
        """The slot the member comes in: the one they chose, the only one there is, or none
        yet (several to choose from)."""
        number = self.pickup_choices.get(member_id)
        for slot in self.pickup_slots:
            if slot.number == number:
                return slot
        return self.pickup_slots[0] if len(self.pickup_slots) == 1 else None

    def slot_takers(self) -> dict[int, int]:
        """slot number → how many members who come to the pickup chose it."""
        counts = {slot.number: 0 for slot in self.pickup_slots}
        for member_id, number in self.pickup_choices.items():
            if number in counts and self.collects(member_id):
                counts[number] += 1
        return counts

    def places_left(self, slot: PickupSlot) -> int | None:
        if slot.capacity is None:
            return None
        return max(slot.capacity - self.slot_takers().get(slot.number, 0), 0)

    def choose_pickup(self, member_id: int, number: int, now: datetime) -> PickupSlot:
        """The member says in which slot they come. A full slot, or one already over, is
        refused; choosing again moves the member (their place in the old slot is freed)."""
        if self.status not in RUNNING:
            raise IllegalTransition(N_("the purchase is {status}"), status=self.status)
        if not self.collects(member_id):
            raise NotFound(N_("you have nothing to pick up in this purchase"))
        slot = next((s for s in self.pickup_slots if s.number == number), None)
        if slot is None:
            raise NotFound(N_("this pickup slot is not offered any more"))
        if self.pickup_choices.get(member_id) == number:
            return slot
        if slot.ends_at <= now:
            raise NotAllowed(N_("this pickup slot is over; choose a later one"))
        if self.places_left(slot) == 0:
            raise LimitExceeded(N_("this pickup slot is full; choose another one"))
        self.pickup_choices[member_id] = number
        return slot

    def member_with_code(self, code: str) -> int:
        """Whose pickup code this is; case and spaces do not matter ("kx 7p" is KX7P)."""
        wanted = normal_code(code)
        member_id = next((m for m, c in self.pickup_codes.items() if c == wanted), None)
        if member_id is None:
            raise NotFound(N_("no member has the pickup code {code}"), code=wanted)
        return member_id

    def add_helper(self, actor: Actor, user_id: int, name: str) -> None:
        """The head lets a neighbour hand goods over (and take the cash then) with them."""
        ensure_can_manage(self, actor)
        if self.status in FINISHED:
            raise IllegalTransition(N_("the purchase is {status}"), status=self.status)
        if user_id == self.head_id:
            raise NotAllowed(N_("the head hands goods over already"))
        if user_id not in self.helpers and len(self.helpers) >= MAX_HELPERS:
            raise LimitExceeded(N_("a purchase has at most {count} helpers"), count=MAX_HELPERS)
        if user_id not in self.helpers:
            self.helpers[user_id] = name
            self.events.append(events.HelperAdded(self.id, user_id))

    def remove_helper(self, actor: Actor, user_id: int) -> None:
        ensure_can_manage(self, actor)
        if self.helpers.pop(user_id, None) is not None:
            self.events.append(events.HelperRemoved(self.id, user_id))

    def handover_refusal(self, user_id: int, member_id: int) -> DomainError | None:
        """Why `user_id` may not hand `member_id` their goods, beyond the right to hand over:
        a helper does not record their own pickup (and the cash they pay for it), the head
        or another helper does. The handover card offers no buttons when there is a refusal,
        and handing over raises it, so the two cannot disagree."""
        if member_id == user_id and user_id in self.helpers and user_id != self.head_id:
            return NotAllowed(
                N_("a helper cannot hand their own goods over: the head or another helper does")
            )
        return None

    def hand_over(self, actor: Actor, member_id: int, now: datetime) -> None:
        """The head or a helper hands a member their goods (after checking their code)."""
        ensure_can_hand_over(self, actor)
        if (refusal := self.handover_refusal(actor.user_id, member_id)) is not None:
            raise refusal
        if self.status is not PurchaseStatus.ARRIVED:
            raise IllegalTransition(
                N_("goods are handed over once they arrive; the purchase is {status}"),
                status=self.status,
            )
        if member_id not in self.pickup_codes:
            raise NotFound(N_("this member has no goods to pick up"))
        if member_id not in self.handed_over:
            self.handed_over[member_id] = Handover(now, actor.user_id)
            self.events.append(events.HandedOver(self.id, member_id))

    def undo_handover(self, actor: Actor, member_id: int, now: datetime) -> None:
        """The head takes back a handover recorded by mistake, on the pickup day: within
        UNDO_HANDOVER_WITHIN of it, while the goods are still being handed out. Money
        recorded with it stays recorded (the ledger keeps what was said to change hands)."""
        ensure_can_manage(self, actor)
        if self.status is not PurchaseStatus.ARRIVED:
            raise IllegalTransition(
                N_("a handover can be undone while goods are handed out; the purchase is {status}"),
                status=self.status,
            )
        handover = self.handed_over.get(member_id)
        if handover is None:
            raise NotFound(N_("this member's goods have not been handed over"))
        if now - handover.at > UNDO_HANDOVER_WITHIN:
            raise NotAllowed(N_("a handover can be undone on the day it was recorded only"))
        del self.handed_over[member_id]
        self.events.append(events.HandoverUndone(self.id, member_id))
