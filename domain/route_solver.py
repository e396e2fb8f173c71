"""The lines of a delivery day, found by OR-Tools' routing library: a capacitated vehicle
routing problem with time windows. Each pickup point is a node with its load (packs) and the
latest arrival (its first pickup slot); each driver is a vehicle of `capacity` packs out from
the depot and back within the working day. Arcs cost their length in metres, so the solver
looks for the shortest lines that keep every window and capacity.

Each stop may be dropped at a huge penalty, so that an infeasible day still gives an answer:
the stops the solver had to drop are named to the operator instead of a silent failure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from domain.errors import N_
from domain.geo import GeoPoint, great_circle_km
from domain.routes import (
    Distance,
    Fleet,
    Line,
    NoRoute,
    RoutePlan,
    Stop,
    Tariff,
    check_stops,
    timed_line,
)

DROP_PENALTY = 10**12  # above any day's metres: a stop is dropped only when it cannot be kept
DEFAULT_SECONDS = 5.0


def _minutes(fleet: Fleet, moment: datetime) -> int:
    return int((moment - fleet.starts).total_seconds() // 60)


def solve_lines(
    stops: Sequence[Stop],
    fleet: Fleet,
    tariff: Tariff,
    distance: Distance = great_circle_km,
    seconds: float = DEFAULT_SECONDS,
) -> tuple[Line, ...]:
    """The lines serving every stop once, or NoRoute naming what cannot be served."""
    # Imported here, not at the top: OR-Tools (with numpy and protobuf) costs a process about
    # 0.1 s and 20 MB, and most processes never plan a route. The first plan pays it once.
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    check_stops(stops, fleet, distance)
    points: list[GeoPoint] = [fleet.depot, *(stop.pickup.point for stop in stops)]
    km = [[distance(a, b) for b in points] for a in points]
    service = [0] + [fleet.stop_minutes] * len(stops)
    # The same whole minutes per leg as `timed_line`, so the times shown are the times solved.
    travel = [[math.ceil(leg / fleet.speed_kmh * 60) for leg in row] for row in km]
    metres = [[round(leg * 1000) for leg in row] for row in km]
    time_matrix = [[travel[i][j] + service[i] for j in range(len(points))]
                   for i in range(len(points))]  # fmt: skip

    manager = pywrapcp.RoutingIndexManager(len(points), len(fleet.drivers), 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(metres))
    horizon = _minutes(fleet, fleet.ends)
    routing.AddDimension(routing.RegisterTransitMatrix(time_matrix), 0, horizon, True, "time")
    time = routing.GetDimensionOrDie("time")
    for node, stop in enumerate(stops, start=1):
        time.CumulVar(manager.NodeToIndex(node)).SetRange(0, _minutes(fleet, fleet.due(stop)))
        routing.AddDisjunction([manager.NodeToIndex(node)], DROP_PENALTY)
    loads = [0] + [stop.load for stop in stops]
    routing.AddDimension(routing.RegisterUnaryTransitVector(loads), 0, fleet.capacity, True, "load")

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    )
    parameters.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        raise NoRoute(N_("no lines were found in time: add a driver or a larger vehicle"))

    orders: list[list[Stop]] = []
    for vehicle in range(len(fleet.drivers)):
        order, index = [], routing.Start(vehicle)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                order.append(stops[node - 1])
            index = solution.Value(routing.NextVar(index))
        orders.append(order)
    served = {stop.community_id for order in orders for stop in order}
    dropped = [stop.title for stop in stops if stop.community_id not in served]
    if dropped:
        raise NoRoute(
            N_("no line can take {stops} as well: add a driver, a larger vehicle or a "
               "longer day"),
            stops=", ".join(dropped),
        )  # fmt: skip
    used = [(driver, order) for driver, order in zip(fleet.drivers, orders, strict=True) if order]
    return tuple(
        timed_line(number, driver, order, fleet, tariff, distance)
        for number, (driver, order) in enumerate(used, start=1)
    )


def plan_routes(
    plan: RoutePlan, stops: Sequence[Stop], distance: Distance = great_circle_km,
    seconds: float = DEFAULT_SECONDS,
) -> RoutePlan:  # fmt: skip
    """The plan with its lines solved (a new plan for the same day replaces the old one)."""
    plan.lines = solve_lines(stops, plan.fleet, plan.tariff, distance, seconds)
    return plan
