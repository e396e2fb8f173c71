"""The delivery day an operator types under /routes: one `Key: value` message, naming the
line of the first problem, read into the fleet and the tariff.

    Depot: 55.7512, 37.6184
    Drivers: 20001 (Dave), 20002      (ids; a name in brackets is for reading, and skipped)
    Capacity: 40                  (packs per vehicle)
    Start: 07:00                  (the depot opens; local time of the day)
    End: 19:00                    (every vehicle back by then)
    Speed: 30                     (km/h on average; 30 unless given)
    Stop: 10                      (minutes to unload; 10 unless given)
    Cost: 15.00 per stop          (or: 1.20 per km)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from domain.errors import N_, DomainError
from domain.form_fields import FormError
from domain.geo import GeoPoint, parse_pickup_point
from domain.money import Money
from domain.purchase_form import in_line, key_values
from domain.routes import Fleet, Tariff

KEYS = {
    "depot": "depot", "склад": "depot", "仓库": "depot",
    "drivers": "drivers", "водители": "drivers", "司机": "drivers",
    "capacity": "capacity", "вместимость": "capacity", "容量": "capacity",
    "start": "start", "начало": "start", "出发": "start",
    "end": "end", "конец": "end", "返回": "end",
    "speed": "speed", "скорость": "speed", "速度": "speed",
    "stop": "stop", "stop minutes": "stop", "остановка": "stop", "停靠": "stop",
    "cost": "cost", "стоимость": "cost", "费用": "cost",
}  # fmt: skip
PER_STOP = ("stop", "остановку", "站")
PER_KM = ("km", "км", "公里")
COST = re.compile(r"(?P<amount>\d[\d\s.,]*)\s*(?:per|за|每)?\s*(?P<per>\S+)", re.IGNORECASE)
DEFAULT_START, DEFAULT_END = time(7, 0), time(20, 0)
DEFAULT_SPEED, DEFAULT_STOP_MINUTES = 30, 10


def _whole(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise FormError(N_("{what} is a whole number"), what=what)
    return int(text.strip())


def _time(text: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise FormError(N_("write a time of day as 07:00"))
    return time(int(match[1]), int(match[2]))


# A name after a driver's id, "20001 (Dave)": the form shows whose each id is.
NAME_IN_BRACKETS = re.compile(r"\([^()]*\)")


def _drivers(text: str) -> tuple[int, ...]:
    found = [part for part in re.split(r"[\s,;]+", NAME_IN_BRACKETS.sub(" ", text)) if part]
    if not found or not all(part.isdigit() for part in found):
        raise FormError(N_("name the drivers by their Telegram user ids: 20001, 20002"))
    return tuple(int(part) for part in found)


def _tariff(text: str, currency: str) -> Tariff:
    match = COST.fullmatch(text.strip())
    if match is None:
        raise FormError(N_('give the cost as "<amount> per stop" or "<amount> per km"'))
    amount = Money.parse(match["amount"].strip(), currency)
    per = match["per"].lower()
    if per in PER_STOP:
        return Tariff(per_stop=amount)
    if per in PER_KM:
        return Tariff(per_km=amount)
    raise FormError(N_('give the cost as "<amount> per stop" or "<amount> per km"'))


@dataclass
class _Day:
    depot: GeoPoint | None = None
    drivers: tuple[int, ...] = ()
    capacity: int | None = None
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    speed: int = DEFAULT_SPEED
    stop: int = DEFAULT_STOP_MINUTES
    cost: Tariff | None = None

    def read(self, key: str, key_text: str, value: str, currency: str) -> None:
        if key == "depot":
            self.depot = parse_pickup_point(value).point
        elif key == "drivers":
            self.drivers = _drivers(value)
        elif key == "capacity":
            self.capacity = _whole(value, key_text)
        elif key == "speed":
            self.speed = _whole(value, key_text)
        elif key == "stop":
            self.stop = _whole(value, key_text)
        elif key == "start":
            self.start = _time(value)
        elif key == "end":
            self.end = _time(value)
        else:
            self.cost = _tariff(value, currency)


def parse_route_form(
    text: str, day: date, timezone: str, currency: str, first_line: int = 2
) -> tuple[Fleet, Tariff]:
    """The fleet and tariff of `day`, times read in `timezone`, the cost in `currency`."""
    zone = ZoneInfo(timezone)
    form = _Day()
    for number, key, key_text, value in key_values(text, first_line, KEYS, ()):
        try:
            form.read(key, key_text, value, currency)
        except FormError as error:
            raise in_line(number, key_text, error) from None
        except DomainError as error:
            raise in_line(number, key_text, FormError(error.message, **error.values)) from None
    if form.depot is None:
        raise FormError(N_("the plan needs a line {key}: ..."), key="Depot")
    if not form.drivers:
        raise FormError(N_("the plan needs a line {key}: ..."), key="Drivers")
    if form.capacity is None:
        raise FormError(N_("the plan needs a line {key}: ..."), key="Capacity")
    if form.cost is None:
        raise FormError(N_("the plan needs a line {key}: ..."), key="Cost")
    starts = datetime.combine(day, form.start, zone).astimezone(UTC)
    ends = datetime.combine(day, form.end, zone).astimezone(UTC)
    fleet = Fleet(form.depot, form.drivers, form.capacity, starts, ends, form.speed, form.stop)
    return fleet, form.cost
