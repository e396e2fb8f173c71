"""How long the delivery planner takes, and how good its lines are, for a city of 50, 200 and
1,000 pickup points (seed 002: a line is about ten groups, so a vehicle per ten stops, each
taking a little more than its ten stops' packs; first pickup slots three to ten hours after
the depot opens).

Side by side on the same city: the planner (OR-Tools, capacity and time windows) and the sweep
a dispatcher would draw by hand (stops by their angle around the depot, a vehicle filled up
to its capacity, then the next), timed by the same rules. The ratio is the planner's km over
the sweep's; the sweep's late stops are those it brings after their first pickup slot — the
planner never does.

    python -m bench.routes [--stops 50,200,1000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.geo import GeoPoint, PickupPoint, great_circle_km
from domain.money import Money
from domain.route_solver import solve_lines
from domain.routes import Fleet, Stop, Tariff, Unload, timed_line

DEPOT = GeoPoint(52.5200, 13.4050)
STARTS = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
TARIFF = Tariff(per_km=Money(120, "EUR"))


def city(stops: int, seed: int = 1) -> tuple[list[Stop], Fleet]:
    """`stops` points over a square about 15 km across per 200 stops' worth of city."""
    rng = random.Random(seed)
    spread = 0.06 * math.sqrt(stops / 50)
    made = []
    for n in range(1, stops + 1):
        packs = rng.randint(1, 6)
        made.append(
            Stop(
                -n, f"C{n}", n,
                PickupPoint(GeoPoint(DEPOT.lat + rng.uniform(-spread, spread),
                                     DEPOT.lon + rng.uniform(-spread * 1.6, spread * 1.6))),
                (n,), (Unload("Goods", packs * 6, packs),),
                STARTS + timedelta(hours=rng.randint(3, 10)),
            )
        )  # fmt: skip
    vehicles = max(1, math.ceil(stops / 10))
    capacity = math.ceil(sum(s.load for s in made) / vehicles * 1.25)
    fleet = Fleet(DEPOT, tuple(range(1, vehicles + 1)), capacity, STARTS,
                  STARTS + timedelta(hours=12), speed_kmh=30, stop_minutes=8)  # fmt: skip
    return made, fleet


def sweep(stops: list[Stop], fleet: Fleet) -> tuple[float, int, int]:
    """(km, late stops, lines) of the hand-drawn sweep."""

    def angle(stop: Stop) -> float:
        point = stop.pickup.point
        return math.atan2(point.lat - DEPOT.lat, point.lon - DEPOT.lon)

    lines: list[list[Stop]] = [[]]
    for stop in sorted(stops, key=angle):
        if sum(s.load for s in lines[-1]) + stop.load > fleet.capacity:
            lines.append([])
        lines[-1].append(stop)
    km, late = 0.0, 0
    for number, order in enumerate(lines, start=1):
        line = timed_line(number, number, order, fleet, TARIFF)
        km += line.km
        late += sum(visit.arrives > fleet.due(visit.stop) for visit in line.visits)
    return km, late, len(lines)


@dataclass(frozen=True)
class Row:
    stops: int
    vehicles: int
    seconds: float
    lines: int
    km: float
    sweep_km: float
    sweep_lines: int
    sweep_late: int


def run(stops: int, seconds: float) -> Row:
    made, fleet = city(stops)
    started = time.perf_counter()
    lines = solve_lines(made, fleet, TARIFF, great_circle_km, seconds)
    elapsed = time.perf_counter() - started
    sweep_km, late, sweep_lines = sweep(made, fleet)
    return Row(stops, len(fleet.drivers), elapsed, len(lines), sum(line.km for line in lines),
               sweep_km, sweep_lines, late)  # fmt: skip


def table(rows: list[Row]) -> str:
    out = [
        "| stops | vehicles | planner s | lines | planner km | sweep km | ratio | sweep lines "
        "| sweep late stops |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r.stops} | {r.vehicles} | {r.seconds:.2f} | {r.lines} | {r.km:.1f} | "
            f"{r.sweep_km:.1f} | {r.km / r.sweep_km:.2f} | {r.sweep_lines} | {r.sweep_late} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stops", default="50,200,1000")
    parser.add_argument("--seconds", type=float, default=5.0, help="the solver's time limit")
    args = parser.parse_args()
    rows = [run(int(n), args.seconds) for n in args.stops.split(",")]
    print(table(rows))


if __name__ == "__main__":
    main()
