"""Where a community's goods are picked up: a point on the map, read from "lat, lon" or a
location shared in Telegram, and the great-circle distance between two points (the routes'
default; a road-distance matrix can take its place later)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from domain.errors import N_, InvalidPurchase

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
MAX_ADDRESS_LENGTH = 200
# "55.7558, 37.6173 Tverskaya 1" — a comma, a semicolon or blanks between the two numbers.
POINT = re.compile(
    r"\s*(?P<lat>[-+]?\d{1,3}(?:\.\d+)?)\s*(?:[,;]\s*|\s+)(?P<lon>[-+]?\d{1,3}(?:\.\d+)?)"
    r"(?:\s*[,;]?\s+|\s*[,;]\s*|\s*$)(?P<address>.*)",
    re.DOTALL,
)
# The decimal comma of many languages ("55,75 37,61") would read as 55 and 75: refused with
# a word about the dot rather than guessed.
DECIMAL_COMMAS = re.compile(r"\s*[-+]?\d+,\d+[\s;]+[-+]?\d+,\d+")


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise InvalidPurchase(N_("give the point as two numbers: latitude, longitude"))
        if not -90 <= self.lat <= 90:
            raise InvalidPurchase(N_("a latitude is from -90 to 90 degrees"))
        if not -180 <= self.lon <= 180:
            raise InvalidPurchase(N_("a longitude is from -180 to 180 degrees"))

    def map_link(self) -> str:
        """OpenStreetMap at the point, with a marker: opens in any phone's browser."""
        return (
            f"https://www.openstreetmap.org/?mlat={self.lat:.6f}&mlon={self.lon:.6f}"
            f"#map=17/{self.lat:.6f}/{self.lon:.6f}"
        )

    def __str__(self) -> str:
        return f"{self.lat:.6f}, {self.lon:.6f}"


@dataclass(frozen=True)
class PickupPoint:
    """A community's pickup point: where the driver unloads and the members come."""

    point: GeoPoint
    address: str = ""

    def __post_init__(self) -> None:
        if len(self.address) > MAX_ADDRESS_LENGTH:
            raise InvalidPurchase(
                N_("an address is at most {limit} characters"), limit=MAX_ADDRESS_LENGTH
            )


def parse_pickup_point(text: str) -> PickupPoint:
    """`lat, lon [address]` as a head writes it; out of range or unreadable is refused."""
    if DECIMAL_COMMAS.match(text):
        raise InvalidPurchase(N_("write the decimals with a dot: 55.7558, 37.6173"))
    match = POINT.fullmatch(text)
    if match is None:
        raise InvalidPurchase(
            N_('write the point as "latitude, longitude" and the address, e.g. '
               '"55.7558, 37.6173 Tverskaya 1"')
        )  # fmt: skip
    point = GeoPoint(float(match["lat"]), float(match["lon"]))
    return PickupPoint(point, " ".join(match["address"].split()))


def middle(points: list[GeoPoint]) -> GeoPoint:
    """The average of points near one another (a city's, a region's): where a depot that
    serves them all would stand, roughly; not meant for points across the date line."""
    return GeoPoint(
        round(sum(p.lat for p in points) / len(points), 4),
        round(sum(p.lon for p in points) / len(points), 4),
    )


def great_circle_km(a: GeoPoint, b: GeoPoint) -> float:
    """The haversine distance: exact enough for a city's lines, and it needs no map data."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(b.lon - a.lon) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
