"""The purchase aggregate: terms, items, the order log, the lifecycle and head transfer.

Every change a member makes is appended to one log of requests; quantities, the pack queue and
the allocation are all derived from that log, so "first requested, first served" holds by
construction. Methods that depend on time take `now` (aware UTC).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain import events
from domain.allocation import ItemAllocation, QueueEntry, allocate, build_queue
from domain.errors import (
    N_,
    IllegalTransition,
    InvalidPurchase,
    LimitExceeded,
    MoqNotReached,
    NotAllowed,
    NotFound,
    OrdersClosed,
    OutOfStock,
    PickupNeeded,
)
from domain.money import Money
from domain.payments import LedgerEntry, PaymentClaim
from domain.permissions import Actor, ensure_can_hand_over, ensure_can_manage

WITHDRAWAL_WINDOW_AFTER_TRANSFER = timedelta(hours=24)
# Pickup codes avoid characters people confuse when reading them aloud or off a screen
# (0/O, 1/I/L, 2/Z, 5/S, 8/B).
PICKUP_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
PICKUP_CODE_LENGTH = 4
MAX_TITLE_LENGTH = 120
MAX_DESCRIPTION_LENGTH = 2000
MAX_PAY_TO_LENGTH = 500
MAX_ITEMS = 50
MAX_UNITS_PER_LINE = 100_000
# Deadline reminders: this long before the deadline, nearest first.
REMINDER_LEADS = (timedelta(hours=1), timedelta(hours=24))
# Helpers of one purchase, at most: a pickup with more hands than this is a warehouse.
MAX_HELPERS = 10
# Pickup slots of one purchase, at most: each is a button a member may choose.
MAX_PICKUP_SLOTS = 12
# A handover recorded by mistake can be taken back this long after it: the pickup day.
UNDO_HANDOVER_WITHIN = timedelta(hours=24)


def normal_code(code: str) -> str:
    """A pickup code as stored: upper case, no spaces."""
    return "".join(code.split()).upper()


def reminder_due(deadline: datetime, created_at: datetime, now: datetime) -> timedelta | None:
    """Which deadline reminder is due at `now` (its lead before the deadline), if any.

    A reminder is due once its moment has come, if the purchase already existed then (one
    published five hours ahead gets no 24-hour reminder: its card said when it stops), and
    while what it says is still roughly true: "stops in 24 hours" with three hours left would
    mislead, so a reminder missed by more than half its lead (a long outage) is dropped.
    """
    left = deadline - now
    for lead in REMINDER_LEADS:
        if created_at <= deadline - lead and lead / 2 < left <= lead:
            return lead
    return None


class PurchaseStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    STOPPED = "stopped"
    ORDERED = "ordered"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# How each status reads in a sentence ("the purchase is {status}"), marked for the catalogs.
STATUS_WORDS: dict[PurchaseStatus, str] = {
    PurchaseStatus.DRAFT: N_("still a draft"),
    PurchaseStatus.OPEN: N_("open"),
    PurchaseStatus.STOPPED: N_("stopped"),
    PurchaseStatus.ORDERED: N_("ordered from the supplier"),
    PurchaseStatus.ARRIVED: N_("arrived"),
    PurchaseStatus.COMPLETED: N_("completed"),
    PurchaseStatus.FAILED: N_("failed"),
    PurchaseStatus.CANCELLED: N_("cancelled"),
}

# While a member may still leave (asking the head after the stop).
WITHDRAWABLE = (PurchaseStatus.OPEN, PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)

# A running purchase still has work to do; a finished one never changes again.
RUNNING = (
    PurchaseStatus.OPEN,
    PurchaseStatus.STOPPED,
    PurchaseStatus.ORDERED,
    PurchaseStatus.ARRIVED,
)
FINISHED = (PurchaseStatus.COMPLETED, PurchaseStatus.FAILED, PurchaseStatus.CANCELLED)

# Which statuses each status may be reached from; everything else is illegal.
ALLOWED_FROM: dict[PurchaseStatus, frozenset[PurchaseStatus]] = {
    PurchaseStatus.DRAFT: frozenset(),
    PurchaseStatus.OPEN: frozenset({PurchaseStatus.DRAFT}),
    PurchaseStatus.STOPPED: frozenset({PurchaseStatus.OPEN}),
    PurchaseStatus.FAILED: frozenset({PurchaseStatus.OPEN}),
    PurchaseStatus.ORDERED: frozenset({PurchaseStatus.STOPPED}),
    PurchaseStatus.ARRIVED: frozenset({PurchaseStatus.ORDERED}),
    PurchaseStatus.COMPLETED: frozenset({PurchaseStatus.ARRIVED}),
    PurchaseStatus.CANCELLED: frozenset(
        {PurchaseStatus.DRAFT, PurchaseStatus.OPEN, PurchaseStatus.STOPPED, PurchaseStatus.ORDERED}
    ),
}


class ShortPolicy(StrEnum):
    """What happens when the deadline passes and the minimum order is not reached."""

    FAIL = "fail"
    EXTEND = "extend"
    ASK = "ask"


class DeliverySplit(StrEnum):
    PER_MEMBER = "per_member"
    PER_UNIT = "per_unit"
    BY_AMOUNT = "by_amount"


class PaymentMode(StrEnum):
    PREPAY = "prepay"
    POSTPAY = "postpay"


# When money is collected: a prepaid purchase from its stop (amounts are final then), a
# postpaid one from the arrival of the goods (members pay at pickup).
PAYABLE: dict[PaymentMode, frozenset[PurchaseStatus]] = {
    PaymentMode.PREPAY: frozenset(
        {
            PurchaseStatus.STOPPED,
            PurchaseStatus.ORDERED,
            PurchaseStatus.ARRIVED,
            PurchaseStatus.COMPLETED,
        }
    ),
    PaymentMode.POSTPAY: frozenset({PurchaseStatus.ARRIVED, PurchaseStatus.COMPLETED}),
}


@dataclass(frozen=True)
class Moq:
    """A minimum order, in units across all items or in money (goods total)."""

    units: int | None = None
    money: Money | None = None

    def __post_init__(self) -> None:
        if (self.units is None) == (self.money is None):
            raise InvalidPurchase(N_("a minimum order is either in units or in money"))
        if self.units is not None and self.units < 1:
            raise InvalidPurchase(N_("a minimum order in units must be at least 1"))
        if self.money is not None and self.money.minor <= 0:
            raise InvalidPurchase(N_("a minimum order in money must be more than zero"))


@dataclass(frozen=True)
class PriceTier:
    """From `min_units` units in total, everyone pays `unit_price`."""

    min_units: int
    unit_price: Money


@dataclass(frozen=True)
class Item:
    """One line of the price list."""

    item_id: int
    name: str
    unit_price: Money
    unit: str = ""
    tiers: tuple[PriceTier, ...] = ()
    pack_size: int = 1
    member_min: int | None = None
    member_max: int | None = None
    stock: int | None = None
    moq_units: int | None = None

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidPurchase(N_("an item needs a name"))
        if self.unit_price.minor <= 0:
            raise InvalidPurchase(N_("{item}: the price must be more than zero"), item=self.name)
        if self.pack_size < 1:
            raise InvalidPurchase(N_("{item}: the pack size must be at least 1"), item=self.name)
        for limit in (self.member_min, self.member_max, self.stock, self.moq_units):
            if limit is not None and limit < 1:
                raise InvalidPurchase(N_("{item}: limits must be at least 1"), item=self.name)
        if self.member_min and self.member_max and self.member_min > self.member_max:
            raise InvalidPurchase(N_("{item}: the minimum is above the maximum"), item=self.name)
        thresholds = [tier.min_units for tier in self.tiers]
        if thresholds != sorted(set(thresholds)) or any(t < 2 for t in thresholds):
            raise InvalidPurchase(
                N_("{item}: price tiers must have rising thresholds above 1"), item=self.name
            )
        prices = [self.unit_price, *(tier.unit_price for tier in self.tiers)]
        if any(later >= earlier for earlier, later in itertools.pairwise(prices)):
            raise InvalidPurchase(
                N_("{item}: each price tier must be cheaper than the one before"), item=self.name
            )

    def price_for(self, total_units: int) -> Money:
        """The unit price everyone pays when the item's total is `total_units`."""
        price = self.unit_price
        for tier in self.tiers:
            if total_units >= tier.min_units:
                price = tier.unit_price
        return price

    def next_tier(self, total_units: int) -> PriceTier | None:
        """The first tier not yet reached, for the card's "11.90 from 60 units"."""
        return next((tier for tier in self.tiers if tier.min_units > total_units), None)


@dataclass(frozen=True)
class PickupSlot:
    """A time window at a pickup point; a point with three windows is three slots.

    `capacity` is how many members it takes at most (none: no limit). `number` names the
    slot in a member's choice and on its buttons: it is given by the purchase and kept while
    the slot stays (see `numbered_slots`), so a choice survives slots added or taken away
    around it. It takes no part in comparing slots: the same window is the same slot.
    """

    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None = None
    number: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not self.place.strip():
            raise InvalidPurchase(N_("a pickup slot needs a place"))
        if self.ends_at <= self.starts_at:
            raise InvalidPurchase(N_("a pickup window must end after it starts"))
        if self.capacity is not None and not 1 <= self.capacity <= MAX_UNITS_PER_LINE:
            raise InvalidPurchase(N_("a pickup slot takes at least one member"))


def numbered_slots(old: Iterable[PickupSlot], new: Iterable[PickupSlot]) -> list[PickupSlot]:
    """The slots `new`, numbered: a slot that was there keeps its number (members who chose
    it keep their choice), a new one a number above all of the old ones."""
    numbers = {slot: slot.number for slot in old}
    given = max(numbers.values(), default=0)
    result: list[PickupSlot] = []
    for slot in new:
        number = numbers.get(slot)
        if number is None:
            given += 1
            number = given
        result.append(replace(slot, number=number))
    return result


@dataclass(frozen=True)
class SupplyConfirmation:
    """What the supplier confirmed (or delivered) of one item after the stop: often fewer
    units than ordered, sometimes at a new price."""

    units: int
    unit_price: Money | None = None


@dataclass(frozen=True)
class Handover:
    """A member got their goods: when, and who handed them over."""

    at: datetime
    by: int


@dataclass(frozen=True)
class Request:
    """One entry of the append-only order log: a member changed one line."""

    seq: int
    member_id: int
    item_id: int
    firm_delta: int
    tolerance_delta: int
    at: datetime


class LogSums:
    """Running sums over an order log, brought up to date with the entries appended since the
    last look. A tap asks for a member's quantity, the item's units, whether the member already
    takes part and the purchase's total; replaying the whole log for each made every tap of a
    rush cost more than the one before it. The log is only ever appended to; a different or
    shorter list (a copy, a reload) is summed again from the start."""

    def __init__(self, log: list[Request]) -> None:
        self._log = log
        self._counted = 0
        # member → item → [firm units, tolerance units]; members in the order they first asked
        self.lines: dict[int, dict[int, list[int]]] = {}
        self.member_units: dict[int, int] = {}  # member → firm units over all items
        self.item_units: dict[int, int] = {}
        self.firm_units = 0

    def follows(self, log: list[Request]) -> bool:
        return log is self._log and self._counted <= len(log)

    def catch_up(self) -> LogSums:
        for r in itertools.islice(self._log, self._counted, None):
            line = self.lines.setdefault(r.member_id, {}).setdefault(r.item_id, [0, 0])
            line[0] += r.firm_delta
            line[1] += r.tolerance_delta
            self.member_units[r.member_id] = self.member_units.get(r.member_id, 0) + r.firm_delta
            self.item_units[r.item_id] = self.item_units.get(r.item_id, 0) + r.firm_delta
            self.firm_units += r.firm_delta
        self._counted = len(self._log)
        return self


@dataclass
class Member:
    user_id: int
    name: str
    joined_at: datetime


@dataclass
class Purchase:
    """One group buy and everything members asked of it."""

    community_id: int
    head_id: int
    title: str
    currency: str
    items: list[Item]
    deadline: datetime
    created_at: datetime
    description: str = ""
    supplier: str = ""
    moq: Moq | None = None
    pickup_slots: list[PickupSlot] = field(default_factory=list)
    fee_percent: Decimal = Decimal(0)
    delivery_cost: Money | None = None
    delivery_split: DeliverySplit = DeliverySplit.BY_AMOUNT
    regions: tuple[str, ...] = ()
    payment_mode: PaymentMode = PaymentMode.PREPAY
    short_policy: ShortPolicy = ShortPolicy.FAIL
    extend_by: timedelta | None = None
    status: PurchaseStatus = PurchaseStatus.DRAFT
    id: int = 0
    version: int = 0
    extended: bool = False
    awaiting_head_decision: bool = False
    cancel_reason: str = ""
    # Where and by when members pay: free text from the head, shown to members privately.
    pay_to: str = ""
    pay_by: datetime | None = None
    pending_head_id: int | None = None
    # Offers and requests are numbered, so that a button of an answered one acts on nothing.
    transfer_offers_made: int = 0
    withdrawal_window_ends: datetime | None = None
    withdrawal_requests: dict[int, int] = field(default_factory=dict)  # member → request number
    withdrawal_requests_made: int = 0
    members: dict[int, Member] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    pickup_codes: dict[int, str] = field(default_factory=dict)
    handed_over: dict[int, Handover] = field(default_factory=dict)
    # member → the number of the pickup slot they chose (with several slots to choose from).
    pickup_choices: dict[int, int] = field(default_factory=dict)
    # user id → name: neighbours who hand goods over at the pickup with the head.
    helpers: dict[int, str] = field(default_factory=dict)
    claims: list[PaymentClaim] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    supply: dict[int, SupplyConfirmation] = field(default_factory=dict)
    events: list[events.Event] = field(default_factory=list, compare=False, repr=False)
    _log_sums: LogSums | None = field(default=None, init=False, compare=False, repr=False)

    def _sums(self) -> LogSums:
        if self._log_sums is None or not self._log_sums.follows(self.requests):
            self._log_sums = LogSums(self.requests)
        return self._log_sums.catch_up()

    def copy(self) -> Purchase:
        """A copy that shares no mutable container with this one (their elements are frozen
        or never changed in place): to try a change and see what it would do, or to keep the
        committed state apart from a unit of work's."""
        return replace(
            self,
            items=list(self.items),
            pickup_slots=list(self.pickup_slots),
            withdrawal_requests=dict(self.withdrawal_requests),
            members=dict(self.members),
            requests=list(self.requests),
            pickup_codes=dict(self.pickup_codes),
            handed_over=dict(self.handed_over),
            pickup_choices=dict(self.pickup_choices),
            helpers=dict(self.helpers),
            claims=list(self.claims),
            ledger=list(self.ledger),
            supply=dict(self.supply),
            events=[],
        )

    # --- creation ---------------------------------------------------------------------------

    def validate(self, now: datetime | None, max_fee_percent: Decimal) -> None:
        """Check the terms a head typed; raises InvalidPurchase naming the first problem.
        With `now` None the deadline is not checked against the clock (it has passed: the
        purchase is stopped and only its payment details change)."""
        if not self.title.strip():
            raise InvalidPurchase(N_("the purchase needs a title"))
        if len(self.title) > MAX_TITLE_LENGTH:
            raise InvalidPurchase(
                N_("the title is longer than {limit} characters"), limit=MAX_TITLE_LENGTH
            )
        if len(self.description) > MAX_DESCRIPTION_LENGTH:
            raise InvalidPurchase(
                N_("the description is longer than {limit} characters"),
                limit=MAX_DESCRIPTION_LENGTH,
            )
        if not self.items:
            raise InvalidPurchase(N_("the purchase needs at least one item"))
        if len(self.items) > MAX_ITEMS:
            raise InvalidPurchase(N_("a purchase has at most {limit} items"), limit=MAX_ITEMS)
        if [item.item_id for item in self.items] != list(range(1, len(self.items) + 1)):
            raise InvalidPurchase(N_("items are numbered 1, 2, 3… in order"))
        for item in self.items:
            item.validate()
            if item.unit_price.currency != self.currency:
                raise InvalidPurchase(
                    N_("{item}: the price is not in {currency}"),
                    item=item.name,
                    currency=self.currency,
                )
        if now is not None and self.deadline <= now:
            raise InvalidPurchase(N_("the deadline is in the past"))
        if not Decimal(0) <= self.fee_percent <= max_fee_percent:
            raise InvalidPurchase(
                N_("the organizer fee must be between 0% and {limit}%"), limit=max_fee_percent
            )
        if self.delivery_cost is not None and (
            self.delivery_cost.currency != self.currency or self.delivery_cost.minor < 0
        ):
            raise InvalidPurchase(
                N_("the delivery cost must be a positive amount in {currency}"),
                currency=self.currency,
            )
        if self.moq and self.moq.money and self.moq.money.currency != self.currency:
            raise InvalidPurchase(
                N_("the minimum order must be in {currency}"), currency=self.currency
            )
        if self.short_policy is ShortPolicy.EXTEND and not (
            self.extend_by and self.extend_by > timedelta(0)
        ):
            raise InvalidPurchase(N_("say by how long to extend, e.g. extend 24h"))
        if len(self.pickup_slots) > MAX_PICKUP_SLOTS:
            raise InvalidPurchase(
                N_("a purchase has at most {limit} pickup slots"), limit=MAX_PICKUP_SLOTS
            )
        if len(set(self.pickup_slots)) < len(self.pickup_slots):
            raise InvalidPurchase(N_("the same pickup slot is there twice"))
        for slot in self.pickup_slots:
            if slot.starts_at < self.deadline:
                raise InvalidPurchase(N_("the pickup must come after the deadline"))
        if len(self.pay_to) > MAX_PAY_TO_LENGTH:
            raise InvalidPurchase(
                N_("the payment details are longer than {limit} characters"),
                limit=MAX_PAY_TO_LENGTH,
            )
        if self.pay_by is not None:
            if self.payment_mode is not PaymentMode.PREPAY:
                raise InvalidPurchase(
                    N_("a pay-by time is for prepaid purchases; postpaid ones pay at pickup")
                )
            if self.pay_by <= self.deadline:
                raise InvalidPurchase(N_("the pay-by time must come after the deadline"))

    # --- lifecycle --------------------------------------------------------------------------

    def _move(self, target: PurchaseStatus) -> bool:
        """Go to `target`; False when already there (a repeated transition is a no-op)."""
        if self.status is target:
            return False
        if self.status not in ALLOWED_FROM[target]:
            raise IllegalTransition(
                N_("the purchase is {status}; it cannot become {target}"),
                status=self.status,
                target=target,
            )
        self.status = target
        return True

    def publish(self, now: datetime) -> None:
        if self.status is PurchaseStatus.DRAFT and self.deadline <= now:
            raise InvalidPurchase(N_("the deadline is in the past"))
        if self._move(PurchaseStatus.OPEN):
            self.events.append(events.PurchasePublished(self.id))

    def accepts_orders(self, now: datetime) -> bool:
        return self.status is PurchaseStatus.OPEN and now < self.deadline

    def moq_met(self) -> bool:
        if self.moq is None:
            return self.firm_units() > 0
        if self.moq.units is not None:
            return self.firm_units() >= self.moq.units
        assert self.moq.money is not None
        return self.goods_total_requested() >= self.moq.money

    def reach_deadline(self, now: datetime) -> None:
        """What the deadline does: stop, or follow the short-MOQ policy. Safe to repeat."""
        if self.status is not PurchaseStatus.OPEN or now < self.deadline:
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

    def _stop(self) -> None:
        if self._move(PurchaseStatus.STOPPED):
            self.awaiting_head_decision = False
            self.events.append(events.PurchaseStopped(self.id))

    def stop_now(self, actor: Actor) -> None:
        """The head presses Stop: only when the minimum order is reached."""
        ensure_can_manage(self, actor)
        if self.status is PurchaseStatus.OPEN and not self.moq_met():
            raise MoqNotReached(
                N_("the minimum order is not reached: go ahead anyway, extend, or cancel")
            )
        self._stop()

    def go_ahead_anyway(self, actor: Actor) -> None:
        """The head decides to stop and order even though the minimum is not reached."""
        ensure_can_manage(self, actor)
        self._stop()

    def extend(self, actor: Actor, new_deadline: datetime, now: datetime) -> None:
        ensure_can_manage(self, actor)
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
    ) -> tuple[str, ...]:
        """Change terms; returns the names of the fields that changed.

        The terms members joined for change only while orders are open; an item is named as
        it is (its number is not typed) and changes only while nobody has it in their order.
        Where and by when to pay may change while the purchase runs (a wrong account number
        must be mended after the stop too).
        """
        ensure_can_manage(self, actor)
        items = list(items)
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
            index = next(
                (i for i, it in enumerate(new_items) if it.name.lower() == changed.name.lower()),
                None,
            )
            if index is None:
                raise NotFound(N_("there is no item named {name}"), name=changed.name)
            current = new_items[index]
            if any(r.item_id == current.item_id for r in self.requests):
                raise NotAllowed(
                    N_("{item}: members have ordered it, so its terms stay"), item=current.name
                )
            new_items[index] = replace(changed, item_id=current.item_id)
        candidate = replace(
            self,
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
        }
        changed_fields = tuple(name for name, (old, new) in fields.items() if old != new)
        if changed_fields:
            self.title, self.description = candidate.title, candidate.description
            self.deadline = candidate.deadline
            self._set_slots(candidate.pickup_slots)
            self.items = candidate.items
            self.pay_to, self.pay_by = candidate.pay_to, candidate.pay_by
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

    # --- pickup slots -----------------------------------------------------------------------

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

    def final_lines(self) -> dict[int, dict[int, int]]:
        """member → item → units the member gets, by the pack allocation."""
        result: dict[int, dict[int, int]] = {}
        members = self.participant_ids()
        for item_id, allocation in self.allocation().items():
            for member_id in members:
                units = allocation.allocated(member_id)
                if units:
                    result.setdefault(member_id, {})[item_id] = units
        return result

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

    def hand_over(self, actor: Actor, member_id: int, now: datetime) -> None:
        """The head or a helper hands a member their goods (after checking their code)."""
        ensure_can_hand_over(self, actor)
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

    def complete(self, actor: Actor) -> None:
        ensure_can_manage(self, actor)
        if self._move(PurchaseStatus.COMPLETED):
            self.events.append(events.PurchaseCompleted(self.id))

    # --- payments (the rules are in domain.ledger) -------------------------------------------

    def accepts_payments(self) -> bool:
        return self.status in PAYABLE[self.payment_mode]

    # --- orders -----------------------------------------------------------------------------

    def item(self, item_id: int) -> Item:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise NotFound(N_("this purchase has no such item"))

    def quantity(self, member_id: int, item_id: int) -> int:
        line = self._sums().lines.get(member_id, {}).get(item_id)
        return line[0] if line else 0

    def tolerance(self, member_id: int, item_id: int) -> int:
        line = self._sums().lines.get(member_id, {}).get(item_id)
        return line[1] if line else 0

    def item_units(self, item_id: int) -> int:
        """Firm units all members asked for of one item."""
        return self._sums().item_units.get(item_id, 0)

    def firm_units(self) -> int:
        return self._sums().firm_units

    def takes_part(self, member_id: int) -> bool:
        """Whether the member has at least one unit."""
        return self._sums().member_units.get(member_id, 0) > 0

    def participant_ids(self) -> list[int]:
        """Members with at least one unit, in the order they joined."""
        return [member_id for member_id, units in self._sums().member_units.items() if units > 0]

    def all_lines(self) -> dict[int, dict[int, tuple[int, int]]]:
        """Everyone's lines: member → item → (quantity, tolerance), members in the order they
        joined, items in price-list order, only lines with units."""
        order = [item.item_id for item in self.items]
        result = {}
        for member_id, member_lines in self._sums().lines.items():
            kept = {
                item_id: (member_lines[item_id][0], member_lines[item_id][1])
                for item_id in order
                if item_id in member_lines and member_lines[item_id][0] > 0
            }
            if kept:
                result[member_id] = kept
        return result

    def lines(self, member_id: int) -> dict[int, tuple[int, int]]:
        """A member's lines: item id → (quantity, tolerance), only lines with units."""
        totals = self._sums().lines.get(member_id, {})
        return {
            item.item_id: (totals[item.item_id][0], totals[item.item_id][1])
            for item in self.items
            if item.item_id in totals and totals[item.item_id][0] > 0
        }

    def _ensure_orders_open(self, now: datetime) -> None:
        if not self.accepts_orders(now):
            if self.status is PurchaseStatus.OPEN:
                raise OrdersClosed(N_("the deadline has passed; orders can no longer change"))
            raise OrdersClosed(
                N_("the purchase is {status}; orders can no longer change"), status=self.status
            )

    def _append(
        self, member_id: int, item_id: int, firm: int, tolerance: int, now: datetime
    ) -> None:
        seq = self.requests[-1].seq + 1 if self.requests else 1
        self.requests.append(Request(seq, member_id, item_id, firm, tolerance, now))

    def set_quantity(
        self, member_id: int, member_name: str, item_id: int, quantity: int, now: datetime
    ) -> None:
        """Set a member's quantity of one item, within stock and the per-member limits."""
        self._ensure_orders_open(now)
        item = self.item(item_id)
        current = self.quantity(member_id, item_id)
        if quantity == current:
            return
        if quantity < 0:
            raise LimitExceeded(N_("a quantity cannot be negative"))
        if quantity > MAX_UNITS_PER_LINE:
            raise LimitExceeded(N_("at most {limit} units of one item"), limit=MAX_UNITS_PER_LINE)
        if item.member_max is not None and quantity > item.member_max:
            raise LimitExceeded(
                N_("at most {limit} of {item} per member"), limit=item.member_max, item=item.name
            )
        if item.member_min is not None and 0 < quantity < item.member_min:
            raise LimitExceeded(
                N_("at least {limit} of {item} per member"), limit=item.member_min, item=item.name
            )
        if item.stock is not None:
            left = item.stock - self.item_units(item_id) + current
            if quantity > left:
                raise OutOfStock(
                    N_("{item} is sold out")
                    if left == 0
                    else N_("only {left} of {item} left for you"),
                    item=item.name,
                    left=left,
                )
        was_member = self.takes_part(member_id)
        moq_was_met = self.moq is not None and self.moq_met()
        tolerance = self.tolerance(member_id, item_id)
        drop_tolerance = -tolerance if quantity == 0 else 0
        self._append(member_id, item_id, quantity - current, drop_tolerance, now)
        self.members.setdefault(member_id, Member(member_id, member_name, now))
        if not was_member:
            self.events.append(events.MemberJoined(self.id, member_id))
        self.events.append(
            events.OrderChanged(self.id, member_id, item_id, quantity, tolerance + drop_tolerance)
        )
        if self.moq is not None and not moq_was_met and self.moq_met():
            self.events.append(events.MoqReached(self.id))
        if item.stock is not None and self.item_units(item_id) == item.stock:
            self.events.append(events.SoldOut(self.id, item_id))
            if all(
                i.stock is not None and self.item_units(i.item_id) == i.stock for i in self.items
            ):
                self._stop_when_sold_out()

    def _stop_when_sold_out(self) -> None:
        # Sold out is a stop like the deadline: the same MOQ rule decides the outcome, but the
        # deadline has not passed, so a short MOQ cannot "extend" — it fails or asks the head.
        if self.moq_met():
            self._stop()
        elif self.short_policy is ShortPolicy.ASK:
            self.awaiting_head_decision = True
            self.events.append(events.HeadDecisionNeeded(self.id))

    def add_units(
        self, member_id: int, member_name: str, item_id: int, delta: int, now: datetime
    ) -> int:
        """Add (or remove, with a negative delta) units; the first unit jumps to the minimum."""
        current = self.quantity(member_id, item_id)
        target = current + delta
        item = self.item(item_id)
        if delta > 0 and current == 0 and item.member_min:
            target = max(target, item.member_min)
        if delta < 0 and item.member_min and 0 < target < item.member_min:
            target = 0
        self.set_quantity(member_id, member_name, item_id, max(target, 0), now)
        return self.quantity(member_id, item_id)

    def set_tolerance(self, member_id: int, item_id: int, tolerance: int, now: datetime) -> None:
        """ "I would also take up to N more units to help fill a pack"."""
        self._ensure_orders_open(now)
        item = self.item(item_id)
        current = self.tolerance(member_id, item_id)
        if tolerance == current:
            return
        if item.pack_size == 1:
            raise LimitExceeded(
                N_("{item} is not sold in packs, so tolerance does not apply"), item=item.name
            )
        if not 0 <= tolerance < item.pack_size:
            raise LimitExceeded(
                N_("tolerance is from 0 to {limit} units"), limit=item.pack_size - 1
            )
        if tolerance and self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("order at least one unit before adding tolerance"))
        self._append(member_id, item_id, 0, tolerance - current, now)
        self.events.append(
            events.OrderChanged(
                self.id, member_id, item_id, self.quantity(member_id, item_id), tolerance
            )
        )

    def take_back_unit(self, member_id: int, member_name: str, item_id: int, now: datetime) -> int:
        """−1 in the order editor: refused when the member has none of the item."""
        if self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("you have none of this item"))
        return self.add_units(member_id, member_name, item_id, -1, now)

    def change_tolerance(self, member_id: int, item_id: int, delta: int, now: datetime) -> None:
        """Tolerance one up or down from where it is."""
        if self.quantity(member_id, item_id) == 0:
            raise LimitExceeded(N_("order at least one unit before adding tolerance"))
        self.set_tolerance(member_id, item_id, self.tolerance(member_id, item_id) + delta, now)

    def _remove_all(self, member_id: int, now: datetime) -> None:
        for item in self.items:
            quantity = self.quantity(member_id, item.item_id)
            tolerance = self.tolerance(member_id, item.item_id)
            if quantity or tolerance:
                self._append(member_id, item.item_id, -quantity, -tolerance, now)
        self.withdrawal_requests.pop(member_id, None)
        self.events.append(events.MemberWithdrew(self.id, member_id))

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

    # --- head transfer ----------------------------------------------------------------------

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

    # --- allocation and totals --------------------------------------------------------------

    def _queues(self, item_id: int) -> tuple[list[QueueEntry], list[QueueEntry]]:
        mine = [r for r in self.requests if r.item_id == item_id]
        firm = build_queue((r.member_id, r.firm_delta) for r in mine if r.firm_delta)
        tolerance = build_queue((r.member_id, r.tolerance_delta) for r in mine if r.tolerance_delta)
        return firm, tolerance

    def allocation(self) -> dict[int, ItemAllocation]:
        """Packs and units per item by Foodsoft's rule; an item short of its own MOQ is dropped."""
        result = {}
        for item in self.items:
            firm, tolerance = self._queues(item.item_id)
            if item.moq_units is not None and self.item_units(item.item_id) < item.moq_units:
                firm_total = sum(entry.units for entry in firm)
                short: dict[int, int] = {}
                for entry in firm:
                    short[entry.member_id] = short.get(entry.member_id, 0) + entry.units
                tolerance_total = sum(entry.units for entry in tolerance)
                result[item.item_id] = ItemAllocation(
                    item.pack_size, firm_total, tolerance_total, 0, {}, {}, short
                )
            else:
                confirmed = self.supply.get(item.item_id)
                result[item.item_id] = allocate(
                    firm, tolerance, item.pack_size, item.stock,
                    None if confirmed is None else confirmed.units // item.pack_size,
                )  # fmt: skip
        return result

    def ordered_units(self, item_id: int) -> int:
        """Units of the item in the supplier order at the stop, before any confirmation."""
        item = self.item(item_id)
        if item.moq_units is not None and self.item_units(item_id) < item.moq_units:
            return 0
        firm, tolerance = self._queues(item_id)
        return allocate(firm, tolerance, item.pack_size, item.stock).units

    def unit_price(self, item_id: int, units: int) -> Money:
        """The price everyone pays per unit: the supplier's confirmed one, else the tier's."""
        confirmed = self.supply.get(item_id)
        if confirmed is not None and confirmed.unit_price is not None:
            return confirmed.unit_price
        return self.item(item_id).price_for(units)

    def goods_total_requested(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            units = self.item_units(item.item_id)
            total += item.price_for(units) * units
        return total
