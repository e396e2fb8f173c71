"""After selling: the route plans of delivery days with their drivers, the members' ratings
of completed purchases and the operators' scorecard thresholds. A plan is read and written
whole (a few dozen stops), under a version check like a campaign."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import PurchaseStopped
from domain.geo import GeoPoint, PickupPoint
from domain.money import Money
from domain.ports import Conflict
from domain.routes import Fleet, Line, RoutePlan, Stop, Tariff, Unload, Visit
from domain.scorecard import Rating
from storage.campaign_tables import DriverRow, RatingRow, RoutePlanRow, ScoreThresholdRow
from storage.purchase_tables import DomainEventRow


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _fleet_to_json(fleet: Fleet, timezone: str) -> dict[str, Any]:
    return {
        "timezone": timezone,
        "depot": [fleet.depot.lat, fleet.depot.lon],
        "drivers": list(fleet.drivers),
        "capacity": fleet.capacity,
        "starts": fleet.starts.isoformat(),
        "ends": fleet.ends.isoformat(),
        "speed_kmh": fleet.speed_kmh,
        "stop_minutes": fleet.stop_minutes,
    }


def _fleet_from_json(data: dict[str, Any]) -> Fleet:
    return Fleet(
        GeoPoint(*data["depot"]), tuple(data["drivers"]), data["capacity"],
        datetime.fromisoformat(data["starts"]), datetime.fromisoformat(data["ends"]),
        data["speed_kmh"], data["stop_minutes"],
    )  # fmt: skip


def _tariff_to_json(tariff: Tariff) -> dict[str, Any]:
    amount = tariff.per_stop or tariff.per_km
    assert amount is not None
    return {"per": "stop" if tariff.per_stop else "km", "minor": amount.minor,
            "currency": amount.currency}  # fmt: skip


def _tariff_from_json(data: dict[str, Any]) -> Tariff:
    amount = Money(data["minor"], data["currency"])
    return Tariff(per_stop=amount) if data["per"] == "stop" else Tariff(per_km=amount)


def _visit_to_json(visit: Visit) -> dict[str, Any]:
    stop = visit.stop
    return {
        "community_id": stop.community_id,
        "title": stop.title,
        "head_id": stop.head_id,
        "point": [stop.pickup.point.lat, stop.pickup.point.lon],
        "address": stop.pickup.address,
        "purchase_ids": list(stop.purchase_ids),
        "unload": [[u.label, u.units, u.packs] for u in stop.unload],
        "closes": None if stop.closes is None else stop.closes.isoformat(),
        "arrives": visit.arrives.isoformat(),
        "km": visit.km,
    }


def _visit_from_json(data: dict[str, Any]) -> Visit:
    stop = Stop(
        data["community_id"], data["title"], data["head_id"],
        PickupPoint(GeoPoint(*data["point"]), data["address"]), tuple(data["purchase_ids"]),
        tuple(Unload(label, units, packs) for label, units, packs in data["unload"]),
        _moment(data["closes"]),
    )  # fmt: skip
    return Visit(stop, datetime.fromisoformat(data["arrives"]), data["km"])


def _line_to_json(line: Line) -> dict[str, Any]:
    return {
        "number": line.number,
        "driver_id": line.driver_id,
        "visits": [_visit_to_json(visit) for visit in line.visits],
        "km": line.km,
        "returns": line.returns.isoformat(),
        "cost_minor": line.cost.minor,
    }


def _line_from_json(data: dict[str, Any], currency: str) -> Line:
    return Line(
        data["number"], data["driver_id"], tuple(_visit_from_json(v) for v in data["visits"]),
        data["km"], datetime.fromisoformat(data["returns"]), Money(data["cost_minor"], currency),
    )  # fmt: skip


def _columns(plan: RoutePlan) -> dict[str, Any]:
    return {
        "day": plan.day,
        "campaign_id": plan.campaign_id,
        "operator_id": plan.operator_id,
        "fleet": _fleet_to_json(plan.fleet, plan.timezone),
        "tariff": _tariff_to_json(plan.tariff),
        "lines": [_line_to_json(line) for line in plan.lines],
        "delivered": sorted([c, at.isoformat()] for c, at in plan.delivered.items()),
        "problems": sorted([c, note] for c, note in plan.problems.items()),
        "created_at": plan.created_at,
    }


def _from_row(row: RoutePlanRow) -> RoutePlan:
    tariff = _tariff_from_json(row.tariff)
    return RoutePlan(
        day=row.day,
        campaign_id=row.campaign_id,
        operator_id=row.operator_id,
        fleet=_fleet_from_json(row.fleet),
        tariff=tariff,
        lines=tuple(_line_from_json(line, tariff.currency) for line in row.lines),
        created_at=row.created_at,
        id=row.id,
        version=row.version,
        timezone=row.fleet.get("timezone", "UTC"),
        delivered={c: datetime.fromisoformat(at) for c, at in row.delivered},
        problems={c: note for c, note in row.problems},
    )


class SqlLogistics:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_plan(self, plan: RoutePlan) -> None:
        row = RoutePlanRow(**_columns(plan), version=1)
        self._session.add(row)
        await self._session.flush()
        plan.id, plan.version = row.id, 1

    async def get_plan(self, plan_id: int) -> RoutePlan | None:
        row = await self._session.get(RoutePlanRow, plan_id)
        return None if row is None else _from_row(row)

    async def save_plan(self, plan: RoutePlan) -> None:
        """Write a plan changed since it was read: a Conflict if someone else did first."""
        result = await self._session.execute(
            update(RoutePlanRow)
            .where(RoutePlanRow.id == plan.id, RoutePlanRow.version == plan.version)
            .values(**_columns(plan), version=plan.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"route plan {plan.id} changed meanwhile")
        plan.version += 1

    async def recent_plans(self, limit: int) -> list[RoutePlan]:
        """The latest plans, the newest first."""
        rows = await self._session.scalars(
            select(RoutePlanRow).order_by(RoutePlanRow.id.desc()).limit(limit)
        )
        return [_from_row(row) for row in rows]

    async def latest_plan_id(self, day: date, campaign_id: int | None) -> int | None:
        """The newest plan of the day (of the campaign, or of single purchases)."""
        query = select(func.max(RoutePlanRow.id)).where(RoutePlanRow.day == day)
        query = query.where(
            RoutePlanRow.campaign_id.is_(None)
            if campaign_id is None
            else RoutePlanRow.campaign_id == campaign_id
        )
        found: int | None = await self._session.scalar(query)
        return found

    async def set_board(self, plan_id: int, chat_id: int, message_id: int) -> None:
        await self._session.execute(
            update(RoutePlanRow)
            .where(RoutePlanRow.id == plan_id)
            .values(board_chat_id=chat_id, board_message_id=message_id)
        )

    async def board(self, plan_id: int) -> tuple[int, int] | None:
        row = await self._session.get(RoutePlanRow, plan_id)
        if row is None or row.board_chat_id is None or row.board_message_id is None:
            return None
        return row.board_chat_id, row.board_message_id

    async def is_driver(self, user_id: int) -> bool:
        return await self._session.get(DriverRow, user_id) is not None

    async def drivers_of(self, operator_id: int) -> list[int]:
        found = await self._session.scalars(
            select(DriverRow.user_id)
            .where(DriverRow.granted_by == operator_id)
            .order_by(DriverRow.granted_at, DriverRow.user_id)
        )
        return list(found)

    async def last_depot(self, operator_id: int) -> GeoPoint | None:
        fleet = await self._session.scalar(
            select(RoutePlanRow.fleet)
            .where(RoutePlanRow.operator_id == operator_id)
            .order_by(RoutePlanRow.id.desc())
            .limit(1)
        )
        return None if fleet is None else GeoPoint(*fleet["depot"])

    async def grant_driver(self, user_id: int, granted_by: int, now: datetime) -> bool:
        if await self.is_driver(user_id):
            return False
        self._session.add(DriverRow(user_id=user_id, granted_by=granted_by, granted_at=now))
        return True

    async def rate(self, rating: Rating) -> bool:
        """Keep a member's rating; False when they rated this purchase before."""
        if await self._session.get(RatingRow, (rating.purchase_id, rating.member_id)):
            return False
        self._session.add(
            RatingRow(purchase_id=rating.purchase_id, member_id=rating.member_id,
                      head_id=rating.head_id, stars=rating.stars, comment=rating.comment,
                      rated_at=rating.rated_at)
        )  # fmt: skip
        await self._session.flush()
        return True

    async def comment(self, purchase_id: int, member_id: int, comment: str) -> bool:
        """Add the comment to a rating given without one; False when there is none to add to."""
        row = await self._session.get(RatingRow, (purchase_id, member_id))
        if row is None or row.comment:
            return False
        row.comment = comment
        return True

    async def ratings_of_heads(self, head_ids: list[int]) -> list[Rating]:
        found = await self._session.scalars(
            select(RatingRow).where(RatingRow.head_id.in_(head_ids))
        )
        return [
            Rating(r.purchase_id, r.member_id, r.head_id, r.stars, r.comment, r.rated_at)
            for r in found
        ]

    async def thresholds(self) -> dict[str, Decimal]:
        rows = await self._session.scalars(select(ScoreThresholdRow))
        return {row.measure: row.value for row in rows}

    async def set_threshold(self, measure: str, value: Decimal, by: int, now: datetime) -> None:
        row = await self._session.get(ScoreThresholdRow, measure)
        if row is None:
            self._session.add(ScoreThresholdRow(measure=measure, value=value, set_by=by,
                                                set_at=now))  # fmt: skip
        else:
            row.value, row.set_by, row.set_at = value, by, now

    async def stopped_at(self, purchase_ids: list[int]) -> dict[int, datetime]:
        found = await self._session.execute(
            select(DomainEventRow.purchase_id, func.min(DomainEventRow.occurred_at))
            .where(DomainEventRow.purchase_id.in_(purchase_ids))
            .where(DomainEventRow.kind == PurchaseStopped.__name__)
            .group_by(DomainEventRow.purchase_id)
        )
        return {purchase_id: at for purchase_id, at in found}
