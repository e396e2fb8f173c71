"""Delivery routes (seed 002, "optimize the distribution line"): on a delivery day the goods of
every community go out from the depot in a few vehicles, each driver's line a handful of
pickup points in order. This module is the problem and the answer, pure: the stops with their
load and window, the fleet, the checks that name a stop no vehicle can take, and the cost per
community. `domain.route_solver` finds the lines with OR-Tools' routing library.

Loads are counted in packs: an item sold in packs of 6 fills one pack per 6 units (rounded up),
an item without packs one per unit, as the supplier hands the goods over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import N_, InvalidPurchase, NotAllowed, NotFound
from domain.geo import GeoPoint, PickupPoint, great_circle_km
from domain.money import Money
from domain.purchase import Purchase

Distance = Callable[[GeoPoint, GeoPoint], float]  # km; great_circle_km unless a matrix is given
MAX_DRIVERS = 200  # a platform of a thousand pickup points, about ten a line
MAX_SPEED_KMH = 130
MAX_STOP_MINUTES = 240


class NoRoute(InvalidPurchase):
    """The stops cannot be served as asked: one is too heavy or too far for its window."""


@dataclass(frozen=True)
class Unload:
    """What the driver leaves at a stop of one item."""

    label: str
    units: int
    packs: int


@dataclass(frozen=True)
class Stop:
    """One community's pickup point on the day: its purchases' goods, due by `closes` (when
    its first pickup slot starts; the end of the working day when none is set)."""

    community_id: int
    title: str
    head_id: int
    pickup: PickupPoint
    purchase_ids: tuple[int, ...]
    unload: tuple[Unload, ...]
    closes: datetime | None = None

    @property
    def load(self) -> int:
        return sum(line.packs for line in self.unload)


def packs_of(purchase: Purchase) -> list[Unload]:
    """The purchase's goods as they come off the vehicle: the units its members get (after
    the packs and the supplier's confirmation) and the packs they come in, per item."""
    units_of: dict[int, int] = {}
    for member_lines in purchase.final_lines().values():
        for item_id, units in member_lines.items():
            units_of[item_id] = units_of.get(item_id, 0) + units
    lines = []
    for item in purchase.items:
        units = units_of.get(item.item_id, 0)
        if units:
            lines.append(Unload(item.label, units, math.ceil(units / item.pack_size)))
    return lines


def stop_for(
    community_id: int, title: str, pickup: PickupPoint, purchases: Sequence[Purchase]
) -> Stop:
    """A community's purchases of the day, as one stop (the head of its first purchase)."""
    unload: dict[str, Unload] = {}
    for purchase in purchases:
        for line in packs_of(purchase):
            had = unload.get(line.label)
            unload[line.label] = (
                line if had is None else Unload(line.label, had.units + line.units,
                                                had.packs + line.packs)
            )  # fmt: skip
    starts = [slot.starts_at for p in purchases for slot in p.pickup_slots]
    return Stop(
        community_id, title, purchases[0].head_id, pickup, tuple(p.id for p in purchases),
        tuple(unload.values()), min(starts) if starts else None,
    )  # fmt: skip


@dataclass(frozen=True)
class Fleet:
    """The vehicles of the day: one per driver, each taking `capacity` packs, out from the
    depot at `starts` and back by `ends`, at `speed_kmh` on average, `stop_minutes` to unload."""

    depot: GeoPoint
    drivers: tuple[int, ...]
    capacity: int
    starts: datetime
    ends: datetime
    speed_kmh: int = 30
    stop_minutes: int = 10

    def __post_init__(self) -> None:
        if not 1 <= len(self.drivers) <= MAX_DRIVERS or len(set(self.drivers)) != len(self.drivers):
            raise InvalidPurchase(
                N_("name 1 to {limit} different drivers, one vehicle each"), limit=MAX_DRIVERS
            )
        if self.capacity < 1:
            raise InvalidPurchase(N_("a vehicle takes at least one pack"))
        if self.ends <= self.starts:
            raise InvalidPurchase(N_("the working day must end after it starts"))
        if not 1 <= self.speed_kmh <= MAX_SPEED_KMH:
            raise InvalidPurchase(
                N_("the average speed is from 1 to {limit} km/h"), limit=MAX_SPEED_KMH
            )
        if not 0 <= self.stop_minutes <= MAX_STOP_MINUTES:
            raise InvalidPurchase(N_("a stop takes 0 to {limit} minutes"), limit=MAX_STOP_MINUTES)

    def travel(self, km: float) -> timedelta:
        return timedelta(minutes=math.ceil(km / self.speed_kmh * 60))

    @property
    def stop_time(self) -> timedelta:
        return timedelta(minutes=self.stop_minutes)

    def due(self, stop: Stop) -> datetime:
        """By when the goods must be at the stop: its first pickup slot, or the day's end."""
        return self.ends if stop.closes is None else min(stop.closes, self.ends)


@dataclass(frozen=True)
class Tariff:
    """What delivery costs the communities (seed 002: "15 dollars for 1 group"): a flat
    amount per stop, or an amount per km of the line, split over its stops by their packs."""

    per_stop: Money | None = None
    per_km: Money | None = None

    def __post_init__(self) -> None:
        if (self.per_stop is None) == (self.per_km is None):
            raise InvalidPurchase(N_('give the cost as "<amount> per stop" or "<amount> per km"'))
        amount = self.per_stop or self.per_km
        assert amount is not None
        if amount.minor < 0:
            raise InvalidPurchase(N_("a delivery cost cannot be negative"))

    @property
    def currency(self) -> str:
        amount = self.per_stop or self.per_km
        assert amount is not None
        return amount.currency


def check_stops(stops: Sequence[Stop], fleet: Fleet, distance: Distance) -> None:
    """Refuse before solving what no solver can serve, naming the stop: a load larger than a
    vehicle, a point no vehicle reaches by its due time, or not back by the day's end."""
    if not stops:
        raise NotFound(N_("nothing to deliver: no community with goods on the way that day"))
    for stop in stops:
        if stop.load > fleet.capacity:
            raise NoRoute(
                N_("{stop}: {load} packs do not fit in a vehicle of {capacity}"),
                stop=stop.title, load=stop.load, capacity=fleet.capacity,
            )  # fmt: skip
        there = fleet.travel(distance(fleet.depot, stop.pickup.point))
        arrives = fleet.starts + there
        if arrives > fleet.due(stop) or arrives + fleet.stop_time + there > fleet.ends:
            raise NoRoute(
                N_("no vehicle can reach {stop} in its window: start earlier, end later or "
                   "move its first pickup slot"),
                stop=stop.title,
            )  # fmt: skip


@dataclass(frozen=True)
class Visit:
    stop: Stop
    arrives: datetime
    km: float  # from the point before it


@dataclass(frozen=True)
class Line:
    """One vehicle's day: the stops in order, out from the depot and back."""

    number: int
    driver_id: int
    visits: tuple[Visit, ...]
    km: float  # the whole line, back to the depot included
    returns: datetime
    cost: Money

    @property
    def load(self) -> int:
        return sum(visit.stop.load for visit in self.visits)

    def visit(self, community_id: int) -> Visit | None:
        return next((v for v in self.visits if v.stop.community_id == community_id), None)


@dataclass
class RoutePlan:
    """The lines of a delivery day, and how each stop went. Stored whole, like a campaign."""

    day: date
    campaign_id: int | None
    operator_id: int
    fleet: Fleet
    tariff: Tariff
    lines: tuple[Line, ...]
    created_at: datetime
    id: int = 0
    version: int = 0
    timezone: str = "UTC"  # where the day is: its times are shown there
    # community → when the driver marked it delivered, or the problem they reported.
    delivered: dict[int, datetime] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)

    @property
    def km(self) -> float:
        return sum(line.km for line in self.lines)

    def costs(self) -> dict[int, Money]:
        """What each community's delivery costs, adding up to the lines' cost to the cent."""
        shares: dict[int, Money] = {}
        for line in self.lines:
            if self.tariff.per_stop is not None:
                for visit in line.visits:
                    shares[visit.stop.community_id] = self.tariff.per_stop
                continue
            split = line.cost.split([visit.stop.load for visit in line.visits])
            for visit, share in zip(line.visits, split, strict=True):
                shares[visit.stop.community_id] = share
        return shares

    def line_of(self, driver_id: int) -> Line | None:
        return next((line for line in self.lines if line.driver_id == driver_id), None)

    def stop_of_driver(self, driver_id: int, community_id: int) -> Stop:
        """The driver's stop at this community; another line's stop is refused."""
        line = self.line_of(driver_id)
        if line is None:
            raise NotAllowed(N_("you drive no line of this plan"))
        visit = line.visit(community_id)
        if visit is None:
            raise NotAllowed(N_("this stop is on another driver's line"))
        return visit.stop

    def mark_delivered(self, driver_id: int, community_id: int, now: datetime) -> bool:
        """The driver left the goods; False when the stop was marked delivered before."""
        self.stop_of_driver(driver_id, community_id)
        if community_id in self.delivered:
            return False
        self.delivered[community_id] = now
        self.problems.pop(community_id, None)
        return True

    def report_problem(self, driver_id: int, community_id: int, note: str) -> None:
        self.stop_of_driver(driver_id, community_id)
        if community_id in self.delivered:
            raise NotAllowed(N_("this stop is marked delivered already"))
        if not note.strip():
            raise InvalidPurchase(N_("say what went wrong in a few words, or send a photo"))
        self.problems[community_id] = note.strip()[:500]


def line_cost(tariff: Tariff, km: float, stops: int) -> Money:
    """A line's cost: per stop, or per km of the line (km to one decimal, cents half up)."""
    if tariff.per_stop is not None:
        return tariff.per_stop * stops
    assert tariff.per_km is not None
    exact = Decimal(tariff.per_km.minor) * Decimal(str(round(km, 1)))
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), tariff.currency)


def timed_line(
    number: int,
    driver_id: int,
    order: Sequence[Stop],
    fleet: Fleet,
    tariff: Tariff,
    distance: Distance = great_circle_km,
) -> Line:
    """The line through `order`: arriving at each stop as early as the road allows (waiting
    for nothing, as no stop opens later than the depot), back at the depot at the end."""
    at, clock, km, visits = fleet.depot, fleet.starts, 0.0, []
    for stop in order:
        leg = distance(at, stop.pickup.point)
        clock += fleet.travel(leg)
        visits.append(Visit(stop, clock, leg))
        clock += fleet.stop_time
        km += leg
        at = stop.pickup.point
    back = distance(at, fleet.depot)
    km += back
    clock += fleet.travel(back)
    return Line(number, driver_id, tuple(visits), km, clock, line_cost(tariff, km, len(order)))
