"""The lifecycle of a purchase: publishing, the deadline and its short-minimum policies, the
head's stop, extension, edits and cancellation, ordered, arrived (with pickup codes) and
completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from domain import events
from domain.confirmation import LEADS_TO, Step
from domain.errors import (
    N_,
    DomainError,
    IllegalTransition,
    InvalidPurchase,
    MoqNotReached,
    NotAllowed,
    NotFound,
    OrdersClosed,
    PickupNeeded,
)
from domain.item_identity import identity, normal_name
from domain.orders import PurchaseOrders
from domain.permissions import Actor, ensure_can_manage
from domain.terms import (
    ALLOWED_FROM,
    RUNNING,
    Item,
    PickupSlot,
    PurchaseStatus,
    ShortPolicy,
    numbered_slots,
)


class PurchaseLifecycle(PurchaseOrders):
    """From the draft to the end: what moves a purchase, and what each move records."""

    def publish(self, now: datetime) -> None:
        if self.status is PurchaseStatus.DRAFT and self.deadline <= now:
            raise InvalidPurchase(N_("the deadline is in the past"))
        if self._move(PurchaseStatus.OPEN):
            self.events.append(events.PurchasePublished(self.id))

    def return_to_draft(self) -> None:
        """Its card could not be posted, so nobody saw it: back to a draft. Once someone
        ordered (by a link, while the card was being sent) it stays open. Safe to repeat."""
        if self.participant_ids():
            raise IllegalTransition(
                N_("the purchase is {status}; it cannot become {target}"),
                status=self.status, target=PurchaseStatus.DRAFT,
            )  # fmt: skip
        self._move(PurchaseStatus.DRAFT)

    def reach_deadline(self, now: datetime) -> None:
        """What the deadline does: stop, or follow the short-MOQ policy. Safe to repeat. A
        campaign's purchase waits for its campaign (`close_with_campaign`)."""
        if self.status is not PurchaseStatus.OPEN or now < self.deadline:
            return
        if self.campaign_id is not None:
            return
        if self.moq_met():
            self._stop()
        elif self.short_policy is ShortPolicy.EXTEND and not self.extended:
            assert self.extend_by is not None
            self.extended = True
            self.deadline = self.deadline + self.extend_by
            self.events.append(events.DeadlineExtended(self.id, self.deadline))
        elif self.short_policy is ShortPolicy.ASK:
            if not self.awaiting_head_decision:
                self.awaiting_head_decision = True
                self.events.append(events.HeadDecisionNeeded(self.id))
        else:
            self._move(PurchaseStatus.FAILED)
            self.events.append(events.PurchaseFailed(self.id))

    def close_with_campaign(self, allotment: dict[int, int]) -> None:
        """The campaign's cut-off: stopped with the units the campaign's packs give this
        community (`domain.campaign`), or failed when nobody ordered anything. Safe to repeat."""
        if self.status is not PurchaseStatus.OPEN:
            return
        if self.firm_units() == 0:
            self._move(PurchaseStatus.FAILED)
            self.events.append(events.PurchaseFailed(self.id))
            return
        self.allotment = dict(allotment)
        self._stop()

    def campaign_refusal(self) -> DomainError | None:
        """Why the head cannot stop, extend or re-item this purchase: its campaign decides."""
        if self.campaign_id is None:
            return None
        return NotAllowed(
            N_("this purchase is part of {campaign}: it stops with the campaign at its "
               "cut-off, on the campaign's items"),
            campaign=self.campaign_title,
        )  # fmt: skip

    def _ensure_not_campaign(self) -> None:
        if (refusal := self.campaign_refusal()) is not None:
            raise refusal

    def step_refusal(self, step: Step) -> DomainError | None:
        """Why the head cannot take `step` now, or None (also when it is taken already: a
        repeat is a no-op). The panel offers a step only when there is no refusal, and the
        step raises the refusal, so the two cannot disagree."""
        target = LEADS_TO[step]
        if self.status is target:
            return None
        if self.status not in ALLOWED_FROM[target]:
            return IllegalTransition(
                N_("the purchase is {status}; it cannot become {target}"),
                status=self.status, target=target,
            )  # fmt: skip
        if step in (Step.STOP, Step.GO_AHEAD):
            # Its campaign stops it at the cut-off, with the units the campaign's packs give.
            if (refusal := self.campaign_refusal()) is not None:
                return refusal
            if step is Step.STOP and not self.moq_met():
                return MoqNotReached(
                    N_("the minimum order is not reached: go ahead anyway, extend, or cancel")
                )
        return None

    def can_take(self, step: Step) -> bool:
        """Whether the panel offers `step`: it would move the purchase, and nothing refuses."""
        return self.status is not LEADS_TO[step] and self.step_refusal(step) is None

    def stop_now(self, actor: Actor) -> None:
        """The head presses Stop: only when the minimum order is reached."""
        ensure_can_manage(self, actor)
        if (refusal := self.step_refusal(Step.STOP)) is not None:
            raise refusal
        self._stop()

    def go_ahead_anyway(self, actor: Actor) -> None:
        """The head decides to stop and order even though the minimum is not reached."""
        ensure_can_manage(self, actor)
        if (refusal := self.step_refusal(Step.GO_AHEAD)) is not None:
            raise refusal
        self._stop()

    def extend(self, actor: Actor, new_deadline: datetime, now: datetime) -> None:
        ensure_can_manage(self, actor)
        self._ensure_not_campaign()
        if self.status is not PurchaseStatus.OPEN:
            raise IllegalTransition(
                N_("the purchase is {status}; it cannot be extended"), status=self.status
            )
        if new_deadline <= now:
            raise InvalidPurchase(N_("the new deadline is in the past"))
        self.deadline = new_deadline
        self.awaiting_head_decision = False
        self.events.append(events.DeadlineExtended(self.id, new_deadline))

    def edit(
        self,
        actor: Actor,
        now: datetime,
        *,
        title: str | None = None,
        description: str | None = None,
        deadline: datetime | None = None,
        pickup: list[PickupSlot] | None = None,
        items: Iterable[Item] = (),
        pay_to: str | None = None,
        pay_by: datetime | None = None,
        photo: tuple[str, str] | None = None,
    ) -> tuple[str, ...]:
        """Change terms; returns the names of the fields that changed.

        The terms members joined for change only while orders are open; an item is named as
        it is (its number is not typed) and changes only while nobody has it in their order.
        Where and by when to pay may change while the purchase runs (a wrong account number
        must be mended after the stop too), and so may a photo: `photo` is (whose, file id),
        whose the name of an item, or empty for the purchase's own.
        """
        ensure_can_manage(self, actor)
        items = list(items)
        if deadline is not None or items:
            self._ensure_not_campaign()
        terms = (title, description, deadline, pickup)
        if (any(value is not None for value in terms) or items) and not self.accepts_orders(now):
            raise OrdersClosed(
                N_("terms can change only while orders are open; the purchase is {status}"),
                status=self.status,
            )
        if self.status not in RUNNING:
            raise OrdersClosed(
                N_("the purchase is {status}; nothing about it changes any more"),
                status=self.status,
            )
        new_items = list(self.items)
        for changed in items:
            # A variant changes as the line it is ("T-shirt, M"); the item's name alone
            # changes all its variants.
            indexes = [
                i for i, it in enumerate(new_items) if identity(it) == identity(changed)
            ] or [
                i
                for i, it in enumerate(new_items)
                if it.variant and not changed.variant and normal_name(it.name) == identity(changed)
            ]
            if not indexes:
                raise NotFound(N_("there is no item named {name}"), name=changed.label)
            for index in indexes:
                current = new_items[index]
                if any(r.item_id == current.item_id for r in self.requests):
                    raise NotAllowed(
                        N_("{item}: members have ordered it, so its terms stay"),
                        item=current.label,
                    )
                new_items[index] = replace(
                    changed,
                    item_id=current.item_id,
                    # the name as the head wrote it ("wax" for "Wax"); a variant's stays its item's
                    name=current.name if current.variant else changed.name,
                    variant=current.variant,
                    group=current.group,
                    in_rows=current.in_rows,
                    swaps=current.swaps,
                    photo=changed.photo or current.photo,
                )
        own_photo = self.photo
        if photo is not None:
            whose, file_id = photo
            if not whose:
                own_photo = file_id
            else:
                named = [
                    i
                    for i, it in enumerate(new_items)
                    if whose.lower() in (it.label.lower(), it.name.lower())
                ]
                if not named:
                    raise NotFound(N_("there is no item named {name}"), name=whose)
                for index in named:
                    new_items[index] = replace(new_items[index], photo=file_id)
        candidate = replace(
            self,
            photo=own_photo,
            title=self.title if title is None else title,
            description=self.description if description is None else description,
            deadline=self.deadline if deadline is None else deadline,
            pickup_slots=(
                self.pickup_slots if pickup is None else numbered_slots(self.pickup_slots, pickup)
            ),
            items=new_items,
            pay_to=self.pay_to if pay_to is None else pay_to,
            pay_by=self.pay_by if pay_by is None else pay_by,
            events=[],
        )
        # The fee cannot change here, so the cap it was published under is still met.
        candidate.validate(now if self.accepts_orders(now) else None, self.fee_percent)
        fields = {
            "title": (self.title, candidate.title),
            "description": (self.description, candidate.description),
            "deadline": (self.deadline, candidate.deadline),
            "pickup": (self.pickup_slots, candidate.pickup_slots),
            "items": (self.items, candidate.items),
            "pay_to": (self.pay_to, candidate.pay_to),
            "pay_by": (self.pay_by, candidate.pay_by),
            "photo": (self.photo, candidate.photo),
        }
        changed_fields = tuple(name for name, (old, new) in fields.items() if old != new)
        if changed_fields:
            self.title, self.description = candidate.title, candidate.description
            self.deadline = candidate.deadline
            self._set_slots(candidate.pickup_slots)
            self.items = candidate.items
            self.pay_to, self.pay_by = candidate.pay_to, candidate.pay_by
            self.photo = candidate.photo
            self.events.append(events.PurchaseEdited(self.id, changed_fields))
        return changed_fields

    def postpone(self, actor: Actor, delta: timedelta, now: datetime) -> None:
        """Push the deadline `delta` later, counted from now when it has already passed."""
        self.extend(actor, max(self.deadline, now) + delta, now)

    def cancel(self, actor: Actor, reason: str) -> None:
        ensure_can_manage(self, actor)
        if self._move(PurchaseStatus.CANCELLED):
            self.cancel_reason = reason.strip()
            self.events.append(events.PurchaseCancelled(self.id, self.cancel_reason))

    def mark_ordered(self, actor: Actor) -> None:
        ensure_can_manage(self, actor)
        if self._move(PurchaseStatus.ORDERED):
            self.events.append(events.PurchaseOrdered(self.id))

    def mark_arrived(
        self,
        actor: Actor,
        slots: Iterable[PickupSlot],
        draw_code: Callable[[], str],
        now: datetime | None = None,
    ) -> None:
        """Goods are at the pickup point: every member who gets something gets a pickup code.
        New `slots` replace the ones announced; once the goods are there, calling it again
        with slots moves the pickup (members are told). With `now`, a new slot that is
        already over is refused.

        `draw_code` gives a random candidate of PICKUP_CODE_LENGTH characters from
        PICKUP_CODE_ALPHABET; codes are unique within the purchase.
        """
        ensure_can_manage(self, actor)
        new_slots = numbered_slots(self.pickup_slots, slots)
        if now is not None and any(
            slot.ends_at <= now for slot in new_slots if slot not in self.pickup_slots
        ):
            raise InvalidPurchase(N_("a pickup slot is over already; give one still to come"))
        if self.status is PurchaseStatus.ORDERED and not (new_slots or self.pickup_slots):
            raise PickupNeeded(N_("say where and when members pick up their goods"))
        if self.status is PurchaseStatus.ARRIVED:  # the head moves the slots on the day
            if new_slots and new_slots != self.pickup_slots:
                replace(self, pickup_slots=new_slots).validate(None, self.fee_percent)
                self._set_slots(new_slots)
                self.events.append(events.PurchaseEdited(self.id, ("pickup",)))
            return
        if new_slots:
            replace(self, pickup_slots=new_slots).validate(None, self.fee_percent)
        if self._move(PurchaseStatus.ARRIVED):
            if new_slots:
                self._set_slots(new_slots)
            receiving = [m for m, _ in self.final_lines().items()]
            taken = set(self.pickup_codes.values())
            for member_id in receiving:
                code = draw_code()
                while code in taken:
                    code = draw_code()
                self.pickup_codes[member_id] = code
                taken.add(code)
            self.events.append(events.GoodsArrived(self.id))

    def _set_slots(self, slots: list[PickupSlot]) -> None:
        """New pickup slots (numbered); a choice of a slot that is gone is forgotten."""
        self.pickup_slots = slots
        kept = {slot.number for slot in slots}
        self.pickup_choices = {m: n for m, n in self.pickup_choices.items() if n in kept}

    def complete(self, actor: Actor) -> None:
        ensure_can_manage(self, actor)
        if self._move(PurchaseStatus.COMPLETED):
            self.events.append(events.PurchaseCompleted(self.id))
