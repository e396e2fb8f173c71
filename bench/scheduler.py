"""Scheduler at scale: open purchases whose deadlines fall within one minute, each with members
and order lines, in a bot process; how late each stop lands (from the event log's time against
the deadline), the CPU the bot used and its peak memory. Then a restart with overdue purchases:
how long the bot takes to stop all of them.

    python -m bench.scheduler [--purchases 10000] [--members 10] [--overdue 1000]
                              [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import inf

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bench.common import (
    benchmark_parser,
    database_of,
    kinds_chosen,
    open_purchase,
    percentile,
    report_errors,
    seed,
    work_folder,
)
from domain.community import Community
from domain.purchase import Purchase, PurchaseStatus
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.process import BotProcess
from storage.purchase_tables import DomainEventRow, PurchaseRow

MEMBERS_PER_COMMUNITY = 100
PURCHASES_PER_COMMUNITY = 100


@dataclass
class World:
    """Groups with the bot in them and people who started it, in the sandbox and the database."""

    communities: list[Community]
    members: dict[int, list[int]]  # community -> its people
    heads: dict[int, int]


def make_world(sandbox: Sandbox, purchases: int) -> World:
    count = max(1, purchases // PURCHASES_PER_COMMUNITY)
    communities, members, heads = [], {}, {}
    for n in range(count):
        head = sandbox.user(f"Head {n}")
        people = [sandbox.user(f"Neighbour {n}.{k}") for k in range(MEMBERS_PER_COMMUNITY)]
        for person in (head, *people):
            person.started_bot = True
        chat = sandbox.group(f"Block {n}", members=people, admins=[head])
        chat.members[sandbox.emulator.bot.id] = "administrator"
        communities.append(Community(chat.id, chat.title, "UTC", "EUR", "en"))
        members[chat.id] = [p.id for p in people]
        heads[chat.id] = head.id
    return World(communities, members, heads)


def purchases_due(
    world: World, count: int, members: int, first: datetime, spread: timedelta, title: str
) -> list[Purchase]:
    """`count` open purchases, `members` members with one line each, deadlines spread evenly
    over `spread` from `first` (which may be in the past: overdue purchases)."""
    now = datetime.now(UTC)
    made = []
    for n in range(count):
        community = world.communities[n % len(world.communities)]
        purchase = open_purchase(
            community.chat_id, world.heads[community.chat_id], f"{title} {n}",
            now + timedelta(days=1), now,
        )  # fmt: skip
        people = world.members[community.chat_id]
        for k in range(members):
            person = people[(n + k) % len(people)]
            purchase.add_units(person, f"Neighbour {person}", 1, 1, now)
        purchase.deadline = first + spread * n / count
        made.append(purchase)
    return made


async def stopped_count(database: AsyncEngine, ids: list[int]) -> int:
    async with AsyncSession(database) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(PurchaseRow)
            .where(PurchaseRow.id.in_(ids), PurchaseRow.status == PurchaseStatus.STOPPED.value)
        )
    return int(count or 0)


async def lateness(database: AsyncEngine, ids: list[int]) -> list[tuple[float, float]]:
    """(deadline, seconds from it to the PurchaseStopped event) of each stopped purchase, by
    deadline."""
    async with AsyncSession(database) as session:
        rows = await session.execute(
            select(PurchaseRow.id, PurchaseRow.deadline, DomainEventRow.occurred_at)
            .join(DomainEventRow, DomainEventRow.purchase_id == PurchaseRow.id)
            .where(PurchaseRow.id.in_(ids), DomainEventRow.kind == "PurchaseStopped")
        )
        moments = [(deadline.timestamp(), at.timestamp()) for _, deadline, at in rows]
    return sorted((deadline, at - deadline) for deadline, at in moments)


def worst_by_ten_seconds(late: list[tuple[float, float]]) -> list[float]:
    """The worst lateness among the deadlines of each 10 seconds of the minute."""
    if not late:
        return []
    first = late[0][0]
    worst: dict[int, float] = {}
    for deadline, seconds in late:
        bucket = int((deadline - first) // 10)
        worst[bucket] = max(worst.get(bucket, 0.0), seconds)
    return [worst.get(b, 0.0) for b in range(max(worst) + 1)]


@dataclass
class StopResult:
    name: str
    purchases: int
    lines: int
    p50: float
    p99: float
    worst: float
    cpu_seconds: float
    peak_rss_mb: float
    worst_by_ten_seconds: list[float]


@dataclass
class CatchUpResult:
    name: str
    overdue: int
    seconds: float


async def run(
    kind: str, purchases: int, members: int, overdue: int, lead: float, spread: float = 60
) -> tuple[StopResult, CatchUpResult]:
    async with work_folder() as folder, database_of(kind, folder) as url:
        emulator = TelegramSandbox()
        await emulator.start()
        # The bench reads beside the bot with a plain engine: on SQLite, WAL readers take no lock.
        database = create_async_engine(url)
        try:
            sandbox = Sandbox(emulator)
            world = make_world(sandbox, purchases)
            people = {p for ids in world.members.values() for p in ids} | set(world.heads.values())
            first = datetime.now(UTC) + timedelta(seconds=lead)
            due = purchases_due(world, purchases, members, first, timedelta(seconds=spread), "Tea")
            ids = await seed(url, world.communities, due, people)
            # The seeding took a while; the deadlines keep their spacing from a fresh start.
            shift = datetime.now(UTC) + timedelta(seconds=lead) - first
            async with AsyncSession(database) as session:
                for purchase in due:
                    await session.execute(
                        PurchaseRow.__table__.update()  # type: ignore[attr-defined]
                        .where(PurchaseRow.id == purchase.id)
                        .values(deadline=purchase.deadline + shift)
                    )
                await session.commit()
            log = folder / "bot.log"
            bot = await BotProcess.start(emulator, url, log)
            try:
                await wait_until_stopped(database, ids, timeout=lead + spread + 600)
                cpu, rss = bot.cpu_seconds(), bot.peak_rss_mb()
            finally:
                await bot.stop()
            measured = await lateness(database, ids)
            late = [seconds for _, seconds in measured]
            late += [inf] * (purchases - len(late))  # never stopped
            stops = StopResult(
                kind, purchases, purchases * members, percentile(late, 0.5),
                percentile(late, 0.99), max(late), cpu, rss, worst_by_ten_seconds(measured),
            )  # fmt: skip

            past = datetime.now(UTC) - timedelta(minutes=5)
            late_ones = purchases_due(world, overdue, members, past, timedelta(minutes=4), "Jam")
            overdue_ids = await seed(url, [], late_ones, [])
            started = time.monotonic()
            bot = await BotProcess.start(emulator, url, log)
            try:
                done = await wait_until_stopped(database, overdue_ids, timeout=600)
                catch_up = CatchUpResult(kind, overdue, time.monotonic() - started if done else inf)
                await asyncio.sleep(3)  # let start-up finish: stopping during it is another test
            finally:
                await bot.stop()
            report_errors(log)
        finally:
            await database.dispose()
            await emulator.stop()
    return stops, catch_up


async def wait_until_stopped(database: AsyncEngine, ids: list[int], timeout: float) -> bool:
    ends = time.monotonic() + timeout
    while await stopped_count(database, ids) < len(ids):
        if time.monotonic() > ends:
            return False
        await asyncio.sleep(0.2)
    return True


def tables(stops: list[StopResult], catch_ups: list[CatchUpResult]) -> str:
    rows = [
        f"{'database':<12}{'purchases':>10}{'lines':>8}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
        f"{'CPU s':>8}{'peak RSS MB':>13}"
    ]
    for s in stops:
        rows.append(
            f"{s.name:<12}{s.purchases:>10}{s.lines:>8}{s.p50:>8.2f}{s.p99:>8.2f}{s.worst:>8.2f}"
            f"{s.cpu_seconds:>8.1f}{s.peak_rss_mb:>13.0f}"
        )
    rows += ["", "worst lateness (s) of the deadlines in each 10 s:"]
    rows += [f"{s.name:<12}" + " ".join(f"{w:6.2f}" for w in s.worst_by_ten_seconds) for s in stops]
    rows += ["", f"{'database':<12}{'overdue':>10}{'catch-up s':>12}"]
    rows += [f"{c.name:<12}{c.overdue:>10}{c.seconds:>12.1f}" for c in catch_ups]
    return "\n".join(rows)


async def main(
    purchases: int, members: int, overdue: int, kinds: list[str], lead: float, spread: float
) -> None:
    stops, catch_ups = [], []
    for kind in kinds:
        stop, catch_up = await run(kind, purchases, members, overdue, lead, spread)
        stops.append(stop)
        catch_ups.append(catch_up)
        print(tables([stop], [catch_up]), flush=True)
    print(
        f"\nscheduler: {purchases} purchases with {members} members each, deadlines spread over"
        f" {spread:.0f} s starting {lead:.0f} s after the bot starts; then {overdue} overdue at a"
        " restart"
    )
    print(tables(stops, catch_ups))


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--purchases", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--overdue", type=int, default=1000)
    parser.add_argument("--lead", type=float, default=30, help="seconds from start to 1st deadline")
    parser.add_argument("--spread", type=float, default=60, help="seconds the deadlines span")
    args = parser.parse_args()
    kinds = kinds_chosen(args)
    asyncio.run(main(args.purchases, args.members, args.overdue, kinds, args.lead, args.spread))
