"""The heads' scorecards (seed 002, "the head management and assessment"): per head and month,
what the bot recorded of the purchases they ran, and the KPI thresholds an operator sets.
A head below a threshold is flagged for review — never removed automatically: the operator
talks to them; the scorecard only says where to look.

A purchase belongs to the month its deadline falls in (in the timezone asked). The measures:

- purchases run (not drafts or cancelled), members (with goods) and repeat members (who had
  goods in an earlier purchase of the same head), goods value (the amounts due for goods);
- fill rate: units members got over the firm units they wanted, in stopped purchases;
- on-time stop: stopped within an hour of the deadline (the scheduler stops on time; late
  means the bot was told to wait, or was down);
- on-time handover: goods handed over before the last pickup slot ended;
- not collected: members with a pickup code who had nothing handed over once the last slot
  is over;
- refunds (how many and how much), members' ratings (1–5) and complaints (a rating of 1 or 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.billing import amounts_due
from domain.errors import N_, InvalidPurchase
from domain.money import Money
from domain.payments import EntryKind
from domain.purchase import Purchase, PurchaseStatus

MAX_COMMENT_LENGTH = 500
STOP_GRACE = timedelta(hours=1)
COMPLAINT_STARS = 2  # a rating of this or fewer stars is a complaint
STOPPED_OR_LATER = (
    PurchaseStatus.STOPPED,
    PurchaseStatus.ORDERED,
    PurchaseStatus.ARRIVED,
    PurchaseStatus.COMPLETED,
)
RATEABLE = (PurchaseStatus.COMPLETED,)


@dataclass(frozen=True)
class Rating:
    purchase_id: int
    member_id: int
    head_id: int
    stars: int
    comment: str
    rated_at: datetime

    def __post_init__(self) -> None:
        if not 1 <= self.stars <= 5:
            raise InvalidPurchase(N_("a rating is from 1 to 5 stars"))
        if len(self.comment) > MAX_COMMENT_LENGTH:
            raise InvalidPurchase(
                N_("a comment is at most {limit} characters"), limit=MAX_COMMENT_LENGTH
            )

    @property
    def is_complaint(self) -> bool:
        return self.stars <= COMPLAINT_STARS


def rating_for(purchase: Purchase, member_id: int, stars: int, now: datetime) -> Rating:
    """A member's rating of a purchase they took part in, once it is completed."""
    if purchase.status not in RATEABLE:
        raise InvalidPurchase(N_("a purchase is rated once it is completed"))
    if member_id not in purchase.final_lines():
        raise InvalidPurchase(N_("only members who got goods rate the purchase"))
    return Rating(purchase.id, member_id, purchase.head_id, stars, "", now)


class Measure(StrEnum):
    """What an operator sets a threshold on; `LOWER_IS_BETTER` ones are flagged above it."""

    FILL_RATE = "fill_rate"
    ON_TIME_STOP = "on_time_stop"
    ON_TIME_HANDOVER = "on_time_handover"
    NOT_COLLECTED = "not_collected"
    RATING = "rating"
    COMPLAINTS = "complaints"


LOWER_IS_BETTER = frozenset({Measure.NOT_COLLECTED, Measure.COMPLAINTS})
DEFAULT_THRESHOLDS: dict[Measure, Decimal] = {
    Measure.FILL_RATE: Decimal(80),
    Measure.ON_TIME_STOP: Decimal(90),
    Measure.ON_TIME_HANDOVER: Decimal(90),
    Measure.NOT_COLLECTED: Decimal(10),
    Measure.RATING: Decimal("4.0"),
    Measure.COMPLAINTS: Decimal(2),
}
MEASURE_LIMITS: dict[Measure, tuple[Decimal, Decimal]] = {
    Measure.FILL_RATE: (Decimal(0), Decimal(100)),
    Measure.ON_TIME_STOP: (Decimal(0), Decimal(100)),
    Measure.ON_TIME_HANDOVER: (Decimal(0), Decimal(100)),
    Measure.NOT_COLLECTED: (Decimal(0), Decimal(100)),
    Measure.RATING: (Decimal(1), Decimal(5)),
    Measure.COMPLAINTS: (Decimal(0), Decimal(1000)),
}


def check_threshold(measure_name: str, value_text: str) -> tuple[Measure, Decimal]:
    """An operator's `measure: value` line, read and checked against the measure's range."""
    try:
        measure = Measure(measure_name.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise InvalidPurchase(
            N_("no such measure: {name}; the measures are {measures}"),
            name=measure_name.strip(), measures=", ".join(m.value for m in Measure),
        ) from None  # fmt: skip
    try:
        value = Decimal(value_text.strip().rstrip("%").strip().replace(",", "."))
    except ArithmeticError:
        value = Decimal("NaN")
    low, high = MEASURE_LIMITS[measure]
    if not value.is_finite() or not low <= value <= high:
        raise InvalidPurchase(
            N_("{name} is a number from {low} to {high}"), name=measure.value, low=low, high=high
        )
    return measure, value


@dataclass(frozen=True)
class Milestones:
    """When a purchase moved, from the events the bot recorded."""

    stopped: datetime | None = None


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass
class Scorecard:
    head_id: int
    month: str  # YYYY-MM
    purchases: int = 0
    members: int = 0
    repeat_members: int = 0
    goods: dict[str, Money] = field(default_factory=dict)  # per currency
    fill_rate: Decimal | None = None
    on_time_stop: Decimal | None = None
    on_time_handover: Decimal | None = None
    not_collected: Decimal | None = None
    refunds: int = 0
    refunded: dict[str, Money] = field(default_factory=dict)
    ratings: int = 0
    rating: Decimal | None = None
    complaints: int = 0
    comments: list[str] = field(default_factory=list)  # the latest first, without names

    def value(self, measure: Measure) -> Decimal | None:
        if measure is Measure.COMPLAINTS:
            return Decimal(self.complaints)
        found: Decimal | None = getattr(self, measure.value)
        return found

    def flags(self, thresholds: Mapping[Measure, Decimal]) -> list[Measure]:
        """The measures where this head is below (or, lower-is-better, above) the threshold."""
        flagged = []
        for measure, limit in thresholds.items():
            value = self.value(measure)
            if value is None:
                continue
            if (value > limit) if measure in LOWER_IS_BETTER else (value < limit):
                flagged.append(measure)
        return flagged


def month_of(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def _add(totals: dict[str, Money], amount: Money) -> None:
    had = totals.get(amount.currency)
    totals[amount.currency] = amount if had is None else had + amount


@dataclass
class _Counts:
    wanted: int = 0
    got: int = 0
    stops: int = 0
    stops_on_time: int = 0
    handovers: int = 0
    handovers_on_time: int = 0
    receiving: int = 0
    uncollected: int = 0
    stars: int = 0
    members: set[int] = field(default_factory=set)
    repeat: set[int] = field(default_factory=set)


def _count_purchase(
    card: Scorecard, counts: _Counts, purchase: Purchase, seen_before: set[int],
    milestones: Milestones, now: datetime,
) -> None:  # fmt: skip
    card.purchases += 1
    if purchase.status not in STOPPED_OR_LATER:
        return
    lines = purchase.final_lines()
    counts.members |= set(lines)
    counts.repeat |= set(lines) & seen_before
    for due in amounts_due(purchase).values():
        _add(card.goods, due.goods)
    got: dict[int, int] = defaultdict(int)
    for member_lines in lines.values():
        for item_id, units in member_lines.items():
            got[item_id] += units
    for item in purchase.items:
        wanted = purchase.item_units(item.item_id)
        counts.wanted += wanted
        counts.got += min(wanted, got[item.item_id])  # tolerance filling a pack is no extra
    if milestones.stopped is not None:
        counts.stops += 1
        counts.stops_on_time += milestones.stopped <= purchase.deadline + STOP_GRACE
    last_slot = max((slot.ends_at for slot in purchase.pickup_slots), default=None)
    if last_slot is not None:
        for handover in purchase.handed_over.values():
            counts.handovers += 1
            counts.handovers_on_time += handover.at <= last_slot
        if last_slot <= now and purchase.pickup_codes:
            counts.receiving += len(purchase.pickup_codes)
            counts.uncollected += len(set(purchase.pickup_codes) - set(purchase.handed_over))
    for entry in purchase.ledger:
        if entry.kind is EntryKind.REFUND:
            card.refunds += 1
            _add(card.refunded, entry.amount)


def scorecards(
    purchases: Sequence[Purchase],
    ratings: Iterable[Rating],
    milestones: Mapping[int, Milestones],
    timezone: str,
    now: datetime,
) -> dict[tuple[int, str], Scorecard]:
    """(head, month) → the head's scorecard of that month, from everything they ran."""
    counted = [p for p in purchases
               if p.status not in (PurchaseStatus.DRAFT, PurchaseStatus.CANCELLED)]  # fmt: skip
    counted.sort(key=lambda p: (p.deadline, p.id))
    cards: dict[tuple[int, str], Scorecard] = {}
    counts: dict[tuple[int, str], _Counts] = defaultdict(_Counts)
    seen: dict[int, set[int]] = defaultdict(set)  # head → members who had goods before
    month_of_purchase: dict[int, tuple[int, str]] = {}
    for purchase in counted:
        key = (purchase.head_id, month_of(purchase.deadline, timezone))
        month_of_purchase[purchase.id] = key
        card = cards.setdefault(key, Scorecard(*key))
        before = set(seen[purchase.head_id])
        _count_purchase(card, counts[key], purchase, before,
                        milestones.get(purchase.id, Milestones()), now)  # fmt: skip
        if purchase.status in STOPPED_OR_LATER:
            seen[purchase.head_id] |= set(purchase.final_lines())
    for rating in sorted(ratings, key=lambda r: r.rated_at, reverse=True):
        rated = month_of_purchase.get(rating.purchase_id)
        if rated is None:
            continue
        cards[rated].ratings += 1
        counts[rated].stars += rating.stars
        cards[rated].complaints += rating.is_complaint
        if rating.comment:
            cards[rated].comments.append(rating.comment)
    for key, card in cards.items():
        c = counts[key]
        card.members, card.repeat_members = len(c.members), len(c.repeat)
        card.fill_rate = percent(c.got, c.wanted)
        card.on_time_stop = percent(c.stops_on_time, c.stops)
        card.on_time_handover = percent(c.handovers_on_time, c.handovers)
        card.not_collected = percent(c.uncollected, c.receiving)
        if card.ratings:
            card.rating = (Decimal(c.stars) / card.ratings).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
    return cards
