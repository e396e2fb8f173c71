"""Broadcast: the head marks the goods arrived and every member gets a pickup notice with a
personal code, through the outbox, with the sandbox enforcing Telegram's flood limits: one
message each (the QR code, the notice as its caption). Then the same with the bot killed
(SIGKILL) halfway and restarted.

With --workers, the bot runs as that many processes on one PostgreSQL behind HAProxy in
webhook mode (docs/deploy.md), and the one killed halfway is the leader, which sends.
--pickup-day is the platform's pickup day: 10,000 members (unless --members says otherwise),
one run without a kill, against the target of 6 minutes.

    python -m bench.broadcast [--members 5000] [--database sqlite|postgresql|both]
    python -m bench.broadcast --workers 1,3 [--members 1500]
    python -m bench.broadcast --pickup-day [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    Deliveries,
    benchmark_parser,
    database_of,
    kinds_chosen,
    open_purchase,
    report_errors,
    seed,
    wait_until,
    work_folder,
)
from domain import services
from domain.community import Community
from domain.permissions import Actor
from domain.purchase import PickupSlot
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.fleet import Fleet
from sandbox.process import BotProcess
from storage.unit_of_work import Database

TELEGRAM_LIMIT = 30  # messages a second, overall
PICKUP_DAY_MEMBERS = 10_000
PICKUP_DAY_TARGET = 6 * 60  # seconds, from the bot's start to the last notice
NOTICE = "📦"  # how a pickup notice begins, as a text or as the QR code's caption


@dataclass
class Result:
    name: str
    members: int
    messages: int
    seconds: float  # from the first message to the last
    rate_limited: int
    duplicates: int
    lost: int
    from_start: float = 0.0  # from the bot's start (the goods marked arrived before) to the last

    @property
    def per_second(self) -> float:
        return (self.messages - 1) / self.seconds if self.seconds else 0.0


async def prepare(sandbox: Sandbox, url: str, members: int) -> tuple[int, int]:
    """An ordered purchase with `members` members, each of whom started the bot; then the head
    marks it arrived, which queues one pickup notice per member. Returns (purchase, head)."""
    head = sandbox.user("Hanna")
    people = [sandbox.user(f"Member {n}") for n in range(members)]
    for person in (head, *people):
        person.started_bot = True
    chat = sandbox.group("Block 5", members=people, admins=[head])
    chat.members[sandbox.emulator.bot.id] = "administrator"
    now = datetime.now(UTC)
    purchase = open_purchase(chat.id, head.id, "Pickup honey", now + timedelta(days=1), now)
    for person in people:
        purchase.add_units(person.id, person.first_name, 1, 1, now)
    purchase.go_ahead_anyway(Actor(head.id))
    purchase.mark_ordered(Actor(head.id))
    community = Community(chat.id, "Block 5", "UTC", "EUR", "en")
    [purchase_id] = await seed(url, [community], [purchase], [head.id, *(p.id for p in people)])
    starts = now + timedelta(days=1)
    database = Database(url)
    try:
        slot = PickupSlot("Garage 5", starts, starts + timedelta(hours=2))
        await services.mark_arrived(database.unit_of_work(), purchase_id, Actor(head.id), [slot])
    finally:
        await database.dispose()
    return purchase_id, head.id


class OneProcess:
    """The bot as one process, polling."""

    def __init__(self, emulator: TelegramSandbox, url: str, folder: Path) -> None:
        self._emulator, self._url, self._log = emulator, url, folder / "bot.log"
        self._bot: BotProcess | None = None

    async def start(self) -> None:
        self._bot = await BotProcess.start(self._emulator, self._url, self._log)

    async def kill_the_sender(self) -> None:
        assert self._bot is not None
        await self._bot.stop(signal.SIGKILL)
        await self.start()

    async def stop(self) -> None:
        if self._bot is not None:
            await self._bot.stop()
        report_errors(self._log)


class Workers:
    """The bot as `count` webhook workers behind HAProxy; the leader sends."""

    def __init__(self, emulator: TelegramSandbox, url: str, folder: Path, count: int) -> None:
        self._fleet = Fleet(emulator, url, folder)
        self._count = count

    async def start(self) -> None:
        await self._fleet.start(self._count)

    async def kill_the_sender(self) -> None:
        leader = await self._fleet.leader()
        await self._fleet.kill(leader)
        await self._fleet.start_worker(leader)  # as systemd restarts it

    async def stop(self) -> None:
        await self._fleet.stop()
        for log in self._fleet.folder.glob("worker*.log"):
            report_errors(log)


async def broadcast(kind: str, members: int, kill_halfway: bool, workers: int = 0) -> Result:
    async with work_folder() as folder, database_of(kind, folder) as url:
        emulator = TelegramSandbox()
        await emulator.start()
        try:
            sandbox = Sandbox(emulator)
            await prepare(sandbox, url, members)
            deliveries = Deliveries(emulator, NOTICE)
            bot = (
                Workers(emulator, url, folder, workers)
                if workers
                else OneProcess(emulator, url, folder)
            )
            started = time.monotonic()
            await bot.start()
            try:
                if kill_halfway:
                    await wait_until(lambda: deliveries.update() >= members // 2, members)
                    await bot.kill_the_sender()

                def everyone_has_one() -> bool:
                    deliveries.update()
                    return len(deliveries.per_chat) >= members and len(deliveries.photos) >= members

                await wait_until(everyone_has_one, members / 5 + 120)
                await asyncio.sleep(2)  # a late duplicate would land by now
            finally:
                await bot.stop()
            deliveries.update()
        finally:
            await emulator.stop()
    times = deliveries.times
    name = f"{workers} worker{'s' if workers > 1 else ''}, {kind}" if workers else kind
    if kill_halfway:
        name += ", killed at 50%"
    # A member is reached when both the notice and the QR code came (one photo, or two).
    reached = set(deliveries.per_chat) & set(deliveries.photos)
    doubled = (*deliveries.per_chat.values(), *deliveries.photos.values())
    return Result(
        name, members, len(times), times[-1] - times[0] if times else 0.0,
        deliveries.rate_limited(), sum(count - 1 for count in doubled), members - len(reached),
        times[-1] - started if times else 0.0,
    )  # fmt: skip


def table(results: list[Result]) -> str:
    rows = [
        f"{'run':<36}{'members':>8}{'msgs':>7}{'seconds':>9}{'msgs/s':>8}{'of 30/s':>9}"
        f"{'429s':>6}{'dupes':>7}{'lost':>6}{'from start':>12}"
    ]
    for r in results:
        rows.append(
            f"{r.name:<36}{r.members:>8}{r.messages:>7}{r.seconds:>9.1f}{r.per_second:>8.1f}"
            f"{r.per_second / TELEGRAM_LIMIT:>9.2f}{r.rate_limited:>6}{r.duplicates:>7}{r.lost:>6}"
            f"{r.from_start:>12.1f}"
        )
    return "\n".join(rows)


def pickup_day_verdict(result: Result) -> str:
    clean = (result.rate_limited, result.duplicates, result.lost) == (0, 0, 0)
    met = clean and result.from_start <= PICKUP_DAY_TARGET
    return (
        f"pickup day, {result.name}: {result.members} members in {result.from_start / 60:.1f} min "
        f"from the bot's start ({result.seconds / 60:.1f} min of sending); target ≤ "
        f"{PICKUP_DAY_TARGET // 60} min, 0 × 429, nothing lost or doubled: "
        f"{'met' if met else 'missed'}"
    )


async def main(
    members: int, kinds: list[str], workers: list[int], kills: tuple[bool, ...], pickup_day: bool
) -> None:
    results = []
    runs = [(kind, 0) for kind in kinds] if not workers else [("postgresql", n) for n in workers]
    for kind, count in runs:
        for kill in kills:
            results.append(await broadcast(kind, members, kill, count))
            print(table(results[-1:]).splitlines()[-1], flush=True)
    print(f"\nbroadcast: a pickup notice to each of {members} members, flood limits on")
    print(table(results))
    if pickup_day:
        print("\n" + "\n".join(pickup_day_verdict(r) for r in results))


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--members", type=int, default=None, help="5000 (10000 on a pickup day)")
    parser.add_argument(
        "--workers", default="", help="comma-separated worker counts (PostgreSQL, HAProxy)"
    )
    parser.add_argument(
        "--pickup-day", action="store_true",
        help=f"{PICKUP_DAY_MEMBERS} members, no kill, against {PICKUP_DAY_TARGET // 60} minutes",
    )  # fmt: skip
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    members = args.members or (PICKUP_DAY_MEMBERS if args.pickup_day else 5000)
    kills = (False,) if args.pickup_day else (False, True)
    asyncio.run(main(members, kinds_chosen(args), counts, kills, args.pickup_day))
