"""Use cases after selling: the operator's drivers and route plans, a driver delivering a stop
(the purchases there move to arrived and the head is told), the members' ratings and the
heads' scorecards with the operator's thresholds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.campaign import COUNTED, Campaign, CampaignStatus, ensure_can_run
from domain.errors import N_, DomainError, InvalidPurchase, NotAllowed, NotFound, PickupNeeded
from domain.geo import GeoPoint, middle
from domain.permissions import Actor
from domain.ports import Database, UnitOfWork
from domain.purchase import Purchase, PurchaseStatus
from domain.route_solver import solve_lines
from domain.routes import Fleet, RoutePlan, Stop, Tariff, stop_for
from domain.scorecard import (
    DEFAULT_THRESHOLDS,
    MAX_COMMENT_LENGTH,
    Measure,
    Milestones,
    Rating,
    Scorecard,
    rating_for,
    scorecards,
)
from domain.services.campaigns import TellGranted
from domain.services.pickup import draw_pickup_code
from domain.services.unit import load, retried

ON_THE_WAY = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED)


async def _ensure_operator(uow: UnitOfWork, actor: Actor) -> None:
    if not (actor.is_admin or await uow.campaigns.is_operator(actor.user_id)):
        raise NotAllowed(N_("only an operator (made so by a platform admin) plans deliveries"))


async def grant_driver(
    uow: UnitOfWork, actor: Actor, user_id: int, now: datetime, tell: TellGranted
) -> bool:
    """An operator makes someone a driver, who is told; False when they were one already
    (and nobody is told again)."""
    async with uow:
        await _ensure_operator(uow, actor)
        granted = await uow.logistics.grant_driver(user_id, actor.user_id, now)
        if granted:
            await tell()
        await uow.commit()
    return granted


def _delivered_on(purchase: Purchase, day: date, timezone: str) -> bool:
    """A single purchase goes out on the day of its first pickup slot."""
    starts = [slot.starts_at for slot in purchase.pickup_slots]
    return bool(starts) and min(starts).astimezone(ZoneInfo(timezone)).date() == day


async def _ensure_drivers(uow: UnitOfWork, actor: Actor, driver_ids: Iterable[int]) -> None:
    """Everyone named to drive is a driver (an operator may drive too)."""
    for driver_id in driver_ids:
        if driver_id != actor.user_id and not await uow.logistics.is_driver(driver_id):
            raise NotAllowed(
                N_("{user} is not a driver yet: make them one with /driver {user}"),
                user=str(driver_id),
            )


async def _on_the_way(
    uow: UnitOfWork, actor: Actor, day: date, campaign_id: int | None
) -> dict[int, list[Purchase]]:
    """The purchases with goods on the way that day, by community: a campaign's parts, or
    (without one) the stopped and ordered purchases whose first pickup slot is that day."""
    if campaign_id is not None:
        campaign = await uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(N_("no such campaign"))
        ensure_can_run(campaign, actor)  # its own operator (or a platform admin)
        found = [p for p in await uow.purchases.of_campaign(campaign_id)
                 if p.status in ON_THE_WAY]  # fmt: skip
    else:
        found = []
        for purchase in await uow.purchases.awaiting_delivery():
            community = await uow.communities.get(purchase.community_id)
            if community is not None and _delivered_on(purchase, day, community.timezone):
                found.append(purchase)
    by_community: dict[int, list[Purchase]] = {}
    for purchase in found:
        if purchase.final_lines():
            by_community.setdefault(purchase.community_id, []).append(purchase)
    return by_community


async def route_form_start(
    uow: UnitOfWork, actor: Actor, day: date, campaign_id: int | None
) -> tuple[GeoPoint | None, tuple[int, ...]]:
    """Where the operator's form for the day starts: the depot of her latest plan, else the
    middle of the pickup points of the communities with goods on the way that day (None: no
    point known yet); the drivers she made so (herself when none)."""
    async with uow:
        await _ensure_operator(uow, actor)
        # First, even when her last depot answers: another operator's campaign is refused.
        on_the_way = await _on_the_way(uow, actor, day, campaign_id)
        depot = await uow.logistics.last_depot(actor.user_id)
        drivers = tuple(await uow.logistics.drivers_of(actor.user_id)) or (actor.user_id,)
        served: Iterable[int] = on_the_way
        if campaign_id is not None:  # before its cut-off too: where its parts are sold
            served = {p.community_id for p in await uow.purchases.of_campaign(campaign_id)
                      if p.status in COUNTED}  # fmt: skip
        if depot is None:
            points = []
            for community_id in served:
                community = await uow.communities.get(community_id)
                if community is not None and community.pickup is not None:
                    points.append(community.pickup.point)
            depot = middle(points) if points else None
    return depot, drivers


async def delivery_stops(
    uow: UnitOfWork,
    actor: Actor,
    day: date,
    campaign_id: int | None,
    drivers: Iterable[int] = (),
) -> list[Stop]:
    """Every community with goods on the way that day, one stop each: a campaign's parts, or
    (without one) the stopped and ordered purchases whose first pickup slot is that day. A
    community without a pickup point on the map is named, so its head can add it. The
    `drivers` of the day are checked first, before anything is solved for them."""
    async with uow:
        await _ensure_operator(uow, actor)
        await _ensure_drivers(uow, actor, drivers)
        by_community = await _on_the_way(uow, actor, day, campaign_id)
        stops = []
        for community_id, purchases in by_community.items():
            community = await uow.communities.get(community_id)
            if community is None:
                continue
            if community.pickup is None:
                raise InvalidPurchase(
                    N_("{community} has no pickup point on the map yet: its head sends /point "
                       "there (or shares a location with me)"),
                    community=community.title,
                )  # fmt: skip
            stops.append(stop_for(community_id, community.title, community.pickup, purchases))
        if not stops and campaign_id is not None:
            campaign = await uow.campaigns.get(campaign_id)
            assert campaign is not None  # _on_the_way found it
            raise _campaign_not_on_the_way(campaign)
    if not stops:
        raise NotFound(N_("nothing to deliver: no community with goods on the way that day"))
    return stops


def _campaign_not_on_the_way(campaign: Campaign) -> NotFound:
    """Why a campaign has nothing to deliver: its routes are built from its purchases once
    they stop at the cut-off, with their share of the packs, until they are delivered."""
    if campaign.status is CampaignStatus.OPEN:
        return NotFound(
            N_("campaign #{number} {title} takes orders until its cut-off, {cut_off}: its "
               "routes can be planned after that, once its purchases have stopped"),
            number=campaign.id, title=campaign.title, cut_off=campaign.cut_off,
        )  # fmt: skip
    return NotFound(
        N_("campaign #{number} {title} has no goods on the way: its purchases are delivered "
           "already, or none had orders at the cut-off"),
        number=campaign.id, title=campaign.title,
    )  # fmt: skip


async def not_yet_plannable(uow: UnitOfWork, actor: Actor, campaign_id: int) -> DomainError | None:
    """For the form of a campaign still taking orders: why it cannot be sent yet."""
    async with uow:
        campaign = await uow.campaigns.get(campaign_id)
    if campaign is None or campaign.status is not CampaignStatus.OPEN:
        return None
    return _campaign_not_on_the_way(campaign)


@dataclass(frozen=True)
class Plannable:
    """What `/routes` alone offers the operator: her campaigns (number, title, cut-off,
    delivery day) and the days with single purchases on the way."""

    campaigns: tuple[tuple[int, str, datetime, date], ...]
    days: tuple[date, ...]


async def plannable(uow: UnitOfWork, actor: Actor) -> Plannable:
    async with uow:
        await _ensure_operator(uow, actor)
        campaigns = tuple(
            (c.id, c.title, c.cut_off, c.delivery)
            for c in await uow.campaigns.listed()
            if actor.is_admin or c.operator_id == actor.user_id
        )
        days: set[date] = set()
        for purchase in await uow.purchases.awaiting_delivery():
            community = await uow.communities.get(purchase.community_id)
            starts = [slot.starts_at for slot in purchase.pickup_slots]
            if community is not None and starts and purchase.campaign_id is None:
                days.add(min(starts).astimezone(ZoneInfo(community.timezone)).date())
    return Plannable(campaigns, tuple(sorted(days)))


async def save_plan(uow: UnitOfWork, actor: Actor, plan: RoutePlan) -> int:
    """Keep a solved plan; its drivers must be drivers (an operator may drive too)."""
    async with uow:
        await _ensure_operator(uow, actor)
        await _ensure_drivers(uow, actor, plan.fleet.drivers)
        plan.operator_id = actor.user_id
        await uow.logistics.add_plan(plan)
        await uow.commit()
    return plan.id


# How long the solver looks for better lines before it answers with the best found.
SOLVE_SECONDS = 5.0


async def plan_delivery_day(
    database: Database,
    actor: Actor,
    day: date,
    campaign_id: int | None,
    fleet: Fleet,
    tariff: Tariff,
    now: datetime,
    timezone: str,
    update_id: int | None = None,
) -> RoutePlan:
    """The operator's delivery day as typed: the stops on the way that day (or the
    campaign's), solved into lines, kept under the operator's update."""
    stops = await delivery_stops(database.unit_of_work(), actor, day, campaign_id, fleet.drivers)
    # The solver is CPU-bound for seconds: off the event loop, so other taps go on.
    lines = await asyncio.to_thread(solve_lines, stops, fleet, tariff, seconds=SOLVE_SECONDS)
    plan = RoutePlan(day, campaign_id, actor.user_id, fleet, tariff, lines, now, timezone=timezone)
    await save_plan(database.unit_of_work(update_id), actor, plan)
    return plan


async def load_plan(uow: UnitOfWork, plan_id: int) -> RoutePlan:
    plan = await uow.logistics.get_plan(plan_id)
    if plan is None:
        raise NotFound(N_("no such route plan"))
    return plan


async def current_plan(uow: UnitOfWork, plan_id: int) -> RoutePlan:
    """A plan drivers still act on: one planned again since is refused, naming the new one."""
    plan = await load_plan(uow, plan_id)
    latest = await uow.logistics.latest_plan_id(plan.day, plan.campaign_id)
    if latest is not None and latest != plan.id:
        raise NotAllowed(
            N_("this plan was made again as #{number}: use its manifest (/myline)"),
            number=latest,
        )
    return plan


@dataclass(frozen=True)
class Delivery:
    """A stop marked delivered: the plan as it is now, and what became of each purchase."""

    plan: RoutePlan
    stop: Stop
    first_time: bool
    arrived: tuple[int, ...]  # purchases now arrived: members got their pickup codes
    need_pickup: tuple[int, ...]  # purchases with no pickup slot: the head sets one


def _receive(
    purchase: Purchase, driver: Actor, draw_code: Callable[[], str], now: datetime
) -> bool:
    """The goods are at the point: ordered if it was only stopped, arrived when the head has
    said where and when to pick up. The platform delivers on the operator's plan, so it acts
    with the platform's right, for these two moves only."""
    platform = Actor(driver.user_id, is_admin=True)
    if purchase.status is PurchaseStatus.STOPPED:
        purchase.mark_ordered(platform)
    if purchase.status is not PurchaseStatus.ORDERED:
        return purchase.status is PurchaseStatus.ARRIVED
    try:
        purchase.mark_arrived(platform, [], draw_code, now)
    except PickupNeeded:
        return False
    return True


async def deliver_stop(
    uow: UnitOfWork, plan_id: int, driver: Actor, community_id: int, now: datetime,
    draw_code: Callable[[], str] = draw_pickup_code,
) -> Delivery:  # fmt: skip
    """The driver left the goods at a stop of their line: its purchases move to arrived, in
    the same transaction as the plan. Marking it again changes nothing."""

    async def work() -> Delivery:
        async with uow:
            plan = await current_plan(uow, plan_id)
            first = plan.mark_delivered(driver.user_id, community_id, now)
            stop = plan.stop_of_driver(driver.user_id, community_id)
            arrived, need_pickup = [], []
            if first:
                for purchase_id in stop.purchase_ids:
                    purchase = await load(uow, purchase_id)
                    if _receive(purchase, driver, draw_code, now):
                        arrived.append(purchase_id)
                    else:
                        need_pickup.append(purchase_id)
                await uow.logistics.save_plan(plan)
                await uow.commit()
        return Delivery(plan, stop, first, tuple(arrived), tuple(need_pickup))

    return await retried(work)


async def report_problem(
    uow: UnitOfWork, plan_id: int, driver: Actor, community_id: int, note: str
) -> tuple[RoutePlan, Stop]:
    """The driver's note (or photo) on a stop of their line that is not delivered."""

    async def work() -> tuple[RoutePlan, Stop]:
        async with uow:
            plan = await current_plan(uow, plan_id)
            plan.report_problem(driver.user_id, community_id, note)
            await uow.logistics.save_plan(plan)
            await uow.commit()
        return plan, plan.stop_of_driver(driver.user_id, community_id)

    return await retried(work)


async def rate_purchase(
    uow: UnitOfWork, purchase_id: int, member_id: int, stars: int, now: datetime
) -> Rating:
    """A member rates a completed purchase they got goods from: once."""
    async with uow:
        rating = rating_for(await load(uow, purchase_id), member_id, stars, now)
        if not await uow.logistics.rate(rating):
            raise InvalidPurchase(N_("you rated this purchase already; a rating is given once"))
        await uow.commit()
    return rating


async def comment_rating(uow: UnitOfWork, purchase_id: int, member_id: int, comment: str) -> None:
    text = " ".join(comment.split())
    if not text:
        raise InvalidPurchase(N_("write the comment in a few words"))
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidPurchase(
            N_("a comment is at most {limit} characters"), limit=MAX_COMMENT_LENGTH
        )
    async with uow:
        if not await uow.logistics.comment(purchase_id, member_id, text):
            raise InvalidPurchase(N_("this rating has its comment already"))
        await uow.commit()


async def thresholds(uow: UnitOfWork) -> dict[Measure, Decimal]:
    """The operators' thresholds, the defaults where none was set."""
    async with uow:
        stored = await uow.logistics.thresholds()
    return DEFAULT_THRESHOLDS | {Measure(k): v for k, v in stored.items() if k in set(Measure)}


async def set_thresholds(
    uow: UnitOfWork, actor: Actor, values: dict[Measure, Decimal], now: datetime
) -> None:
    async with uow:
        await _ensure_operator(uow, actor)
        for measure, value in values.items():
            await uow.logistics.set_threshold(measure.value, value, actor.user_id, now)
        await uow.commit()


async def head_scorecards(
    uow: UnitOfWork, head_ids: Sequence[int], timezone: str, now: datetime
) -> dict[tuple[int, str], Scorecard]:
    """Every month's scorecard of these heads, from all they ran."""
    async with uow:
        purchases: list[Purchase] = []
        for head_id in head_ids:
            purchases += await uow.purchases.list_for_head(head_id)
        ratings = await uow.logistics.ratings_of_heads(list(head_ids))
        stopped = await uow.logistics.stopped_at([p.id for p in purchases])
    milestones = {purchase_id: Milestones(at) for purchase_id, at in stopped.items()}
    return scorecards(purchases, ratings, milestones, timezone, now)


async def month_ranking(
    uow: UnitOfWork, actor: Actor, starts: datetime, ends: datetime, timezone: str,
    now: datetime,
) -> dict[tuple[int, str], Scorecard]:  # fmt: skip
    """The scorecards of every head who ran a purchase in the month (for operators)."""
    async with uow:
        await _ensure_operator(uow, actor)
        heads = await uow.purchases.heads_between(starts, ends)
    return await head_scorecards(uow, heads, timezone, now)
