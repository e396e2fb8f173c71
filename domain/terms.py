"""The terms of a purchase: its statuses and the moves between them, the items with their
prices, packs and tiers, the minimum order, pickup slots, the supplier's confirmation, and
the limits a head's terms must keep. Values only: the aggregate is `domain.purchase`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import (
    N_,
    InvalidPurchase,
)
from domain.money import Money

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
    PurchaseStatus.DRAFT: frozenset({PurchaseStatus.OPEN}),  # a card never posted: nobody saw it
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


# Variants of one item (sizes, colours): at most this many, each a line of the price list.
MAX_VARIANTS = 12
MAX_VARIANT_LENGTH = 30
# A weighed piece is estimated at between a gram and a hundred kilograms.
MAX_ESTIMATE_GRAMS = 100_000


@dataclass(frozen=True)
class Item:
    """One line of the price list.

    A variant (size, colour, flavour) is a line of its own, with its own stock and limits:
    `variant` names it and `group` is the number of the first line of its item, so that "T-shirt
    S, M, L" is three lines of group 1 (0: an item without variants). `in_rows`: the supplier
    sells the group only in full rows, one of each variant (`domain.rows`).

    `estimate_grams`: the item is sold by weight, `unit_price` is per kilogram, and members
    order pieces estimated at this weight each until the head enters the real weights.
    `photo` is a Telegram file id (nothing of ours is stored)."""

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
    variant: str = ""
    group: int = 0
    in_rows: bool = False
    # Sold in rows, and the head lets members short of a full row take another size that
    # completes one, after the stop (`domain.rows`).
    swaps: bool = False
    estimate_grams: int | None = None
    photo: str = ""

    @property
    def label(self) -> str:
        """The item as people read it: "T-shirt, M" for a variant."""
        return f"{self.name}, {self.variant}" if self.variant else self.name

    @property
    def by_weight(self) -> bool:
        return self.estimate_grams is not None

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidPurchase(N_("an item needs a name"))
        if self.in_rows and self.pack_size > 1:
            raise InvalidPurchase(
                N_("{item}: sold in rows, so it has no pack size: a row is its pack"),
                item=self.name,
            )
        if self.swaps and not self.in_rows:
            raise InvalidPurchase(
                N_("{item}: sizes are swapped only in rows: write row S, M, L | swap"),
                item=self.name,
            )
        if self.in_rows and self.moq_units is not None:
            raise InvalidPurchase(
                N_("{item}: sold in rows, so its minimum is one full row"), item=self.name
            )
        if self.by_weight and self.tiers:
            raise InvalidPurchase(N_("{item}: a price per kg has no price tiers"), item=self.name)
        if self.estimate_grams is not None and not 1 <= self.estimate_grams <= MAX_ESTIMATE_GRAMS:
            raise InvalidPurchase(
                N_("{item}: a piece weighs between 0.001 and 100 kg"), item=self.name
            )
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
