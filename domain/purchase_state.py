"""The state of the purchase aggregate: every field a purchase keeps, the validation of the
terms a head typed, and the status moves every concern relies on (a repeated move is a
no-op, an illegal one is refused). The aggregate's root is `domain.purchase.Purchase`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self

from domain import events
from domain.errors import (
    N_,
    IllegalTransition,
    InvalidPurchase,
)
from domain.money import Money
from domain.order_log import LogSums, Member, Request
from domain.payments import LedgerEntry, PaymentClaim
from domain.terms import (
    ALLOWED_FROM,
    MAX_DESCRIPTION_LENGTH,
    MAX_ITEMS,
    MAX_PAY_TO_LENGTH,
    MAX_PICKUP_SLOTS,
    MAX_TITLE_LENGTH,
    PAYABLE,
    DeliverySplit,
    Handover,
    Item,
    Moq,
    PaymentMode,
    PickupSlot,
    PurchaseStatus,
    ShortPolicy,
    SupplyConfirmation,
)


@dataclass
class PurchaseState:
    """What a purchase is made of, the checks of its terms, and the moves of its status
    (the concerns built on it add what happens along them)."""

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
    # (member, item) → grams: the real weight of a member's pieces of an item sold by weight.
    weights: dict[tuple[int, int], int] = field(default_factory=dict)
    # A Telegram file id: the purchase's photo on its card.
    photo: str = ""
    # Anyone with the card's link may join (domain/membership.py); else the chat's members.
    open_to_link: bool = False
    # A purchase a head adopted from a platform campaign (`domain.campaign`): it stops with the
    # campaign, and the campaign's packs, filled across communities, give it its units per
    # item (`allotment`); a supplier's confirmation of fewer packs then comes as `supply`.
    campaign_id: int | None = None
    campaign_title: str = ""
    allotment: dict[int, int] = field(default_factory=dict)
    events: list[events.Event] = field(default_factory=list, compare=False, repr=False)
    _log_sums: LogSums | None = field(default=None, init=False, compare=False, repr=False)
    # While the purchase is only read (`PurchaseOrders.only_read`): the pack allocation,
    # worked out once however many members' notices ask for it.
    _final_lines: dict[int, dict[int, int]] | None = field(
        default=None, init=False, compare=False, repr=False
    )
    _only_read: bool = field(default=False, init=False, compare=False, repr=False)

    def _sums(self) -> LogSums:
        if self._log_sums is None or not self._log_sums.follows(self.requests):
            self._log_sums = LogSums(self.requests)
        return self._log_sums.catch_up()

    def copy(self) -> Self:
        """A copy that shares no mutable container with this one (their elements are frozen
        or never changed in place): to try a change and see what it would do, or to keep the
        committed state apart from a unit of work's."""
        copied = replace(
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
            weights=dict(self.weights),
            allotment=dict(self.allotment),
            events=[],
        )
        if self._log_sums is not None and self._log_sums.follows(self.requests):
            copied._log_sums = self._log_sums.carried_to(copied.requests)
        return copied

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
        self._validate_groups()
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

    def _validate_groups(self) -> None:
        """Variants of one item follow each other, named by the first one's number, each
        named once; sold in rows all of them or none, and a row has two variants at least."""
        groups: dict[int, list[Item]] = {}
        for item in self.items:
            if bool(item.group) != bool(item.variant) or (item.in_rows and not item.group):
                raise InvalidPurchase(N_("{item}: a variant belongs to an item"), item=item.label)
            if item.group:
                groups.setdefault(item.group, []).append(item)
        for group, variants in groups.items():
            numbers = [item.item_id for item in variants]
            if numbers != list(range(group, group + len(variants))):
                raise InvalidPurchase(
                    N_("{item}: its variants follow each other"), item=variants[0].name
                )
            if len({item.variant.lower() for item in variants}) < len(variants):
                raise InvalidPurchase(
                    N_("{item}: each variant is named once"), item=variants[0].name
                )
            rows = {item.in_rows for item in variants}
            if len(rows) > 1 or (True in rows and len(variants) < 2):
                raise InvalidPurchase(
                    N_("{item}: a row is made of two variants or more, all of them"),
                    item=variants[0].name,
                )

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

    def _stop(self) -> None:
        if self._move(PurchaseStatus.STOPPED):
            self.awaiting_head_decision = False
            self.events.append(events.PurchaseStopped(self.id))

    def accepts_orders(self, now: datetime) -> bool:
        return self.status is PurchaseStatus.OPEN and now < self.deadline

    def accepts_payments(self) -> bool:
        return self.status in PAYABLE[self.payment_mode]
