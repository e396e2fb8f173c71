"""Delivery routes on generated cities: every stop served once, capacities and windows kept,
the cost split adding up to the cent — and the days no fleet can serve, named stop by stop."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, InvalidPurchase, NotAllowed
from domain.geo import GeoPoint, PickupPoint, great_circle_km, parse_pickup_point
from domain.money import Money
from domain.route_solver import solve_lines
from domain.routes import Fleet, Line, NoRoute, RoutePlan, Stop, Tariff, Unload, packs_of
from domain.terms import PickupSlot
from tests.support.builders import NOW, item, purchase

DEPOT = GeoPoint(55.7512, 37.6184)
DAY_STARTS = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


def city(seed: int, points: int = 30) -> list[Stop]:
    """Pickup points scattered over a city of about 20 × 20 km, each with a few packs and
    its first pickup slot somewhere between three and ten hours after the depot opens."""
    rng = random.Random(seed)
    stops = []
    for n in range(1, points + 1):
        packs = rng.randint(1, 6)
        point = GeoPoint(DEPOT.lat + rng.uniform(-0.09, 0.09), DEPOT.lon + rng.uniform(-0.15, 0.15))
        stops.append(
            Stop(
                community_id=-(1000 + n), title=f"House {n}", head_id=500 + n,
                pickup=PickupPoint(point, f"Street {n}"), purchase_ids=(n,),
                unload=(Unload("Honey", 6 * packs, packs),),
                closes=DAY_STARTS + timedelta(hours=rng.randint(3, 10)),
            )
        )  # fmt: skip
    return stops


def fleet(drivers: int = 3, capacity: int = 60, **fields: object) -> Fleet:
    values: dict[str, object] = {
        "depot": DEPOT, "drivers": tuple(range(1, drivers + 1)), "capacity": capacity,
        "starts": DAY_STARTS, "ends": DAY_STARTS + timedelta(hours=12),
    } | fields  # fmt: skip
    return Fleet(**values)  # type: ignore[arg-type]


def assert_feasible(lines: tuple[Line, ...], stops: list[Stop], day: Fleet) -> None:
    served = [visit.stop.community_id for line in lines for visit in line.visits]
    assert sorted(served) == sorted(stop.community_id for stop in stops)  # each once
    for line in lines:
        assert line.load <= day.capacity
        assert line.returns <= day.ends
        for visit in line.visits:
            assert visit.arrives <= day.due(visit.stop)
        legs = [visit.km for visit in line.visits]
        assert sum(legs) <= line.km + 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_thirty_points_three_vehicles_every_stop_once_within_capacity_and_window(
    seed: int,
) -> None:
    stops, day = city(seed), fleet()
    lines = solve_lines(stops, day, Tariff(per_km=Money(150, "EUR")), seconds=2)
    assert 1 <= len(lines) <= 3
    assert_feasible(lines, stops, day)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cost_split_adds_up_to_the_cent(seed: int) -> None:
    stops, day = city(seed), fleet()
    for tariff in (Tariff(per_km=Money(137, "EUR")), Tariff(per_stop=Money(1500, "EUR"))):
        lines = solve_lines(stops, day, tariff, seconds=2)
        plan = RoutePlan(DAY_STARTS.date(), None, 1, day, tariff, lines, NOW)
        costs = plan.costs()
        assert set(costs) == {stop.community_id for stop in stops}
        assert sum(c.minor for c in costs.values()) == sum(line.cost.minor for line in lines)
        if tariff.per_stop is not None:
            assert set(costs.values()) == {Money(1500, "EUR")}  # seed 002: 15 for 1 group
        else:
            for line in lines:  # each line's cost is split by the packs unloaded
                exact = line.cost.minor / line.load
                for visit in line.visits:
                    share = costs[visit.stop.community_id].minor
                    assert abs(share - exact * visit.stop.load) < 1


def test_a_line_costs_its_km_to_one_decimal_times_the_rate() -> None:
    stops, day = city(7, points=4), fleet(drivers=1)
    (line,) = solve_lines(stops, day, Tariff(per_km=Money(200, "EUR")), seconds=1)
    assert line.cost == Money(round(round(line.km, 1) * 200), "EUR")


def test_a_road_distance_matrix_can_replace_the_great_circle() -> None:
    def roads(a: GeoPoint, b: GeoPoint) -> float:  # a city's streets: 40 % longer
        return great_circle_km(a, b) * 1.4

    stops, day = city(3, points=10), fleet()
    straight = solve_lines(stops, day, Tariff(per_stop=Money(100, "EUR")), seconds=1)
    by_road = solve_lines(stops, day, Tariff(per_stop=Money(100, "EUR")), roads, seconds=1)
    assert_feasible(by_road, stops, day)
    assert sum(line.km for line in by_road) > sum(line.km for line in straight)


def test_a_stop_heavier_than_a_vehicle_is_named() -> None:
    stops = city(1, points=5)
    heavy = max(stops, key=lambda stop: stop.load)
    assert heavy.load > 1
    with pytest.raises(NoRoute) as refused:
        solve_lines(stops, fleet(capacity=heavy.load - 1), Tariff(per_stop=Money(1, "EUR")))
    assert refused.value.values["stop"] == heavy.title


def test_a_stop_no_vehicle_reaches_in_its_window_is_named() -> None:
    stops = city(1, points=5)
    far = Stop(-1, "Far village", 1, PickupPoint(GeoPoint(56.9, 39.0)), (99,),
               (Unload("Honey", 6, 1),), DAY_STARTS + timedelta(hours=1))  # fmt: skip
    with pytest.raises(NoRoute) as refused:
        solve_lines([*stops, far], fleet(), Tariff(per_stop=Money(1, "EUR")))
    assert refused.value.values["stop"] == "Far village"


def test_more_packs_than_the_fleet_carries_names_the_stops_left_over() -> None:
    stops = city(2, points=30)
    total = sum(stop.load for stop in stops)
    day = fleet(drivers=2, capacity=max(max(s.load for s in stops), total // 3))
    with pytest.raises(NoRoute) as refused:
        solve_lines(stops, day, Tariff(per_stop=Money(1, "EUR")), seconds=1)
    named = str(refused.value.values["stops"]).split(", ")
    assert named and set(named) <= {stop.title for stop in stops}


def test_a_driver_marks_only_the_stops_of_their_line_and_only_once() -> None:
    stops = city(4, points=12)
    day = fleet(capacity=sum(stop.load for stop in stops) - 1)  # one vehicle cannot take all
    lines = solve_lines(stops, day, Tariff(per_stop=Money(1, "EUR")), seconds=1)
    plan = RoutePlan(DAY_STARTS.date(), None, 1, day, Tariff(per_stop=Money(1, "EUR")), lines, NOW)
    mine = max(lines, key=lambda line: len(line.visits))
    other = next(line for line in lines if line is not mine)
    assert len(mine.visits) >= 2
    stop = mine.visits[0].stop
    with pytest.raises(NotAllowed):
        plan.mark_delivered(other.driver_id, stop.community_id, NOW)
    with pytest.raises(NotAllowed):
        plan.mark_delivered(999, stop.community_id, NOW)
    assert plan.mark_delivered(mine.driver_id, stop.community_id, NOW)
    assert not plan.mark_delivered(mine.driver_id, stop.community_id, NOW)
    with pytest.raises(NotAllowed):
        plan.report_problem(mine.driver_id, stop.community_id, "door locked")
    second = mine.visits[1].stop.community_id
    with pytest.raises(InvalidPurchase):
        plan.report_problem(mine.driver_id, second, "   ")
    plan.report_problem(mine.driver_id, second, "door locked")
    assert plan.problems == {second: "door locked"}


def test_the_fleet_refuses_what_makes_no_day() -> None:
    for wrong in (
        {"drivers": ()}, {"drivers": (1, 1)}, {"capacity": 0},
        {"ends": DAY_STARTS}, {"speed_kmh": 0}, {"stop_minutes": -1},
    ):  # fmt: skip
        with pytest.raises(InvalidPurchase):
            replace(fleet(), **wrong)
    with pytest.raises(InvalidPurchase):
        Tariff()
    with pytest.raises(InvalidPurchase):
        Tariff(per_stop=Money(1, "EUR"), per_km=Money(1, "EUR"))
    with pytest.raises(InvalidPurchase):
        Tariff(per_km=Money(-1, "EUR"))


def test_a_purchase_unloads_its_members_units_in_packs() -> None:
    honey, candle = item(1, pack_size=6), item(2, name="Candle")
    bought = purchase([honey, candle])
    bought.add_units(11, "Ann", 1, 8, NOW)
    bought.add_units(12, "Bob", 1, 4, NOW)
    bought.add_units(12, "Bob", 2, 3, NOW)
    lines = {line.label: line for line in packs_of(bought)}
    assert (lines[honey.label].units, lines[honey.label].packs) == (12, 2)
    assert (lines[candle.label].units, lines[candle.label].packs) == (3, 3)


@pytest.mark.parametrize(
    ("text", "lat", "lon", "address"),
    [
        ("55.7558, 37.6173 Tverskaya 1", 55.7558, 37.6173, "Tverskaya 1"),
        ("55.7558,37.6173", 55.7558, 37.6173, ""),
        ("-33.8688 151.2093, Circular Quay", -33.8688, 151.2093, "Circular Quay"),
        ("  40.7; -74.0   5th  Avenue ", 40.7, -74.0, "5th Avenue"),
        ("90, 180", 90.0, 180.0, ""),
    ],
)
def test_a_pickup_point_is_read_from_lat_lon_and_an_address(
    text: str, lat: float, lon: float, address: str
) -> None:
    point = parse_pickup_point(text)
    assert (point.point.lat, point.point.lon, point.address) == (lat, lon, address)
    assert f"mlat={lat:.6f}" in point.point.map_link()


@pytest.mark.parametrize(
    "text", ["91, 10", "-90.5, 0", "10, 181", "10, -180.01", "here", "55,75 37,61", "", "55.7"]
)
def test_coordinates_out_of_range_or_unreadable_are_refused(text: str) -> None:
    with pytest.raises(InvalidPurchase):
        parse_pickup_point(text)


def test_the_first_pickup_slot_is_the_stops_due_time() -> None:
    bought = purchase([item(1)])
    bought.add_units(11, "Ann", 1, 2, NOW)
    slot = PickupSlot("Hall", DAY_STARTS + timedelta(hours=5), DAY_STARTS + timedelta(hours=7))
    bought.pickup_slots = [slot]
    from domain.routes import stop_for

    stop = stop_for(-5, "Hall", PickupPoint(DEPOT), [bought])
    assert stop.closes == slot.starts_at
    assert fleet().due(stop) == slot.starts_at


FORM = """Depot: 52.5200, 13.4050
Drivers: 20001, 20002
Capacity: 40
Start: 07:30
End: 19:00
Speed: 25
Stop: 12
Cost: 1.20 per km"""


def test_the_operators_form_reads_into_the_fleet_and_the_tariff() -> None:
    from domain.route_form import parse_route_form

    day = DAY_STARTS.date()
    fleet, tariff = parse_route_form(FORM, day, "Europe/Berlin", "EUR")
    assert fleet.drivers == (20001, 20002) and fleet.capacity == 40
    assert fleet.starts == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    assert fleet.ends == datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert (fleet.speed_kmh, fleet.stop_minutes) == (25, 12)
    assert tariff == Tariff(per_km=Money(120, "EUR"))
    short = "Склад: 52.52, 13.40\nВодители: 1"  # the keys in Russian, defaults for the rest
    fleet, tariff = parse_route_form(short + "\nВместимость: 5\nСтоимость: 15 за остановку",
                                     day, "UTC", "EUR")  # fmt: skip
    assert (fleet.speed_kmh, fleet.stop_minutes, tariff.per_stop) == (30, 10, Money(1500, "EUR"))


def test_the_drivers_names_in_brackets_are_for_reading_and_skipped() -> None:
    """The form the bot sends names whose each id is: "20001 (Dave)"; sent back, it reads."""
    from domain.route_form import parse_route_form

    named = FORM.replace("Drivers: 20001, 20002", "Drivers: 20001 (Dave), 20002 (Eve Li, Jr.)")
    fleet, _ = parse_route_form(named, DAY_STARTS.date(), "Europe/Berlin", "EUR")
    assert fleet.drivers == (20001, 20002)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("Capacity: 40", "Capacity: forty"), "whole number"),
        (("Start: 07:30", "Start: 7 am"), "07:00"),
        (("End: 19:00", "End: 25:00"), "07:00"),
        (("Drivers: 20001, 20002", "Drivers: Dave"), "user ids"),
        (("Drivers: 20001, 20002", "Drivers: 20001 (Dave, 20002"), "user ids"),
        (("Drivers: 20001, 20002", "Drivers: (Dave)"), "user ids"),
        (("Cost: 1.20 per km", "Cost: 1.20 per mile"), "per stop"),
        (("Cost: 1.20 per km", "Cost: cheap"), "per stop"),
        (("Depot: 52.5200, 13.4050", "Depot: 95, 13"), "latitude"),
        (("Drivers: 20001, 20002\n", ""), "Drivers"),
        (("Stop: 12", "Stop: 12\nStop: 5"), "twice"),
        (("End: 19:00", "End: 06:00"), "end after it starts"),
        (("Speed: 25", "Weather: fine"), "not a known key"),
    ],
)
def test_a_wrong_line_of_the_form_is_named(change: tuple[str, str], said: str) -> None:
    from domain.route_form import parse_route_form

    with pytest.raises(DomainError) as refused:
        parse_route_form(FORM.replace(*change), DAY_STARTS.date(), "Europe/Berlin", "EUR")
    assert said in str(refused.value)
