"""Scale-out: the bot as 1, 2 and 3 webhook workers on one PostgreSQL behind HAProxy
(deploy/haproxy.cfg), side by side in one run: members tap +1 over 100 cards, delivered by the
sandbox to HAProxy as Telegram would (40 connections at most); taps/s from the first press to
the last answer, and the workers' CPU seconds per 1,000 taps, read from /proc.

    python -m bench.scale_out [--taps 2000] [--cards 100] [--rounds 2]
"""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import benchmark_parser, work_folder
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.fleet import Fleet
from sandbox.model import SandboxMessage
from sandbox.postgres import PostgresCluster, find_postgres_bin
from storage.migrate import upgrade
from storage.purchase_tables import OrderRequestRow
from storage.unit_of_work import Database


@dataclass
class Result:
    workers: int
    taps: int
    seconds: float
    cpu_seconds: float
    rate_limited: int
    exact: bool

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds

    @property
    def cpu_per_thousand(self) -> float:
        return self.cpu_seconds / self.taps * 1000


def template(title: str) -> str:
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    return f"/new\nTitle: {title}\nItem: Honey 1 kg | 12.50\nDeadline: {deadline}"


async def publish(sandbox: Sandbox, cards: int) -> list[SandboxMessage]:
    """`cards` communities, each with its own head, who publishes one purchase at once."""

    async def one(n: int) -> SandboxMessage:
        head = sandbox.user(f"Head {n}")
        chat = sandbox.group(f"Block {n}", admins=[head])
        await sandbox.add_bot(chat, by=head, as_admin=True)
        sent = await sandbox.send(head, template(f"Honey {n}"), chat=chat)
        return await sandbox.wait_for_message(chat.id, f"Honey {n}", after=sent, timeout=120)

    return list(await asyncio.gather(*(one(n) for n in range(cards))))


async def units_counted(url: str) -> tuple[int, int]:
    database = Database(url)
    try:
        async with database.sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(OrderRequestRow))
            units = await session.scalar(select(func.sum(OrderRequestRow.firm_delta)))
    finally:
        await database.dispose()
    return int(rows or 0), int(units or 0)


async def run(cluster: PostgresCluster, workers: int, taps: int, cards: int, name: str) -> Result:
    await cluster.create_database(name)
    url = cluster.url(name)
    await upgrade(url)
    async with work_folder() as folder:
        emulator = TelegramSandbox()
        await emulator.start()
        fleet = Fleet(emulator, url, folder)
        try:
            await fleet.start(workers)
            sandbox = Sandbox(emulator)
            published = await publish(sandbox, cards)
            chosen = random.Random(workers)
            people = [sandbox.user(f"Neighbour {n}") for n in range(taps)]
            targets = [chosen.choice(published) for _ in people]
            for person, card in zip(people, targets, strict=True):
                sandbox.join(emulator.chats[card.chat_id], person)
            await asyncio.sleep(3.5)  # the cards' first edits are done: the rush alone counts
            cpu_before = fleet.cpu_seconds()
            presses = [
                await sandbox.press(person, card, "+1 Honey 1 kg")
                for person, card in zip(people, targets, strict=True)
            ]
            await asyncio.gather(*(sandbox.answer_of(p, timeout=600) for p in presses))
            cpu = fleet.cpu_seconds() - cpu_before
            started = min(p.pressed_at for p in presses)
            finished = max(p.answered_at for p in presses)
            rows, units = await units_counted(url)
        finally:
            await fleet.stop()
            limited = len(emulator.rate_limited)
            await emulator.stop()
    await cluster.execute(f"DROP DATABASE {name} WITH (FORCE)")
    return Result(workers, taps, finished - started, cpu, limited, rows == units == taps)


def table(results: list[Result]) -> str:
    lines = [f"{'workers':<9}{'taps':>6}{'seconds':>9}{'taps/s':>8}{'CPU s/1000':>12}"
             f"{'429s':>6}{'exact':>7}"]  # fmt: skip
    for r in results:
        lines.append(
            f"{r.workers:<9}{r.taps:>6}{r.seconds:>9.2f}{r.per_second:>8.1f}"
            f"{r.cpu_per_thousand:>12.2f}{r.rate_limited:>6}{'yes' if r.exact else 'NO':>7}"
        )
    return "\n".join(lines)


async def main(taps: int, cards: int, rounds: int) -> None:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = await asyncio.to_thread(PostgresCluster.start, bin_dir)
    results: list[Result] = []
    try:
        # Rounds alternate 1, 2, 3 workers, so each ratio compares runs taken moments apart.
        for round_number in range(rounds):
            for workers in (1, 2, 3):
                name = f"scale_{round_number}_{workers}"
                results.append(await run(cluster, workers, taps, cards, name))
                print(table(results[-1:]).splitlines()[-1], flush=True)
    finally:
        await asyncio.to_thread(cluster.stop)
    print(f"\nscale-out: {taps} taps over {cards} cards, flood limits on, {rounds} rounds")
    print(table(results))

    def median(workers: int, value: str) -> float:
        return float(statistics.median(getattr(r, value) for r in results if r.workers == workers))

    for workers in (2, 3):
        speed = median(workers, "per_second") / median(1, "per_second")
        cost = median(workers, "cpu_per_thousand") / median(1, "cpu_per_thousand")
        print(f"{workers} workers / 1: throughput {speed:.2f}×, CPU per tap {cost:.2f}×")


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--taps", type=int, default=2000)
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.taps, args.cards, args.rounds))
