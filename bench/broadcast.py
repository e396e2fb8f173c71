"""Broadcast: the head marks the goods arrived and every member gets a pickup notice with a
personal code, through the outbox, with the sandbox enforcing Telegram's flood limits. Then
the same with the bot killed (SIGKILL) halfway and restarted.

    python -m bench.broadcast [--members 5000] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from sandbox.process import BotProcess
from storage.unit_of_work import Database

TELEGRAM_LIMIT = 30  # messages a second, overall


@dataclass
class Result:
    name: str
    members: int
    seconds: float
    rate_limited: int
    duplicates: int
    lost: int

    @property
    def per_second(self) -> float:
        return self.members / self.seconds if self.seconds else 0.0


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


async def broadcast(kind: str, members: int, kill_halfway: bool) -> Result:
    async with work_folder() as folder, database_of(kind, folder) as url:
        emulator = TelegramSandbox()
        await emulator.start()
        try:
            sandbox = Sandbox(emulator)
            await prepare(sandbox, url, members)
            deliveries = Deliveries(emulator)
            log = folder / "bot.log"
            bot = await BotProcess.start(emulator, url, log)
            try:
                if kill_halfway:
                    await wait_until(lambda: deliveries.update() >= members // 2, members)
                    await bot.stop(signal.SIGKILL)
                    bot = await BotProcess.start(emulator, url, log)

                def everyone_has_one() -> bool:
                    deliveries.update()
                    return len(deliveries.per_chat) >= members

                await wait_until(everyone_has_one, members / 10 + 120)
                await asyncio.sleep(2)  # a late duplicate would land by now
            finally:
                await bot.stop()
            deliveries.update()
            report_errors(log)
        finally:
            await emulator.stop()
    times = deliveries.times
    name = f"{kind}, killed at 50%" if kill_halfway else kind
    return Result(
        name, members, times[-1] - times[0] if times else 0.0, deliveries.rate_limited(),
        sum(count - 1 for count in deliveries.per_chat.values()),
        members - len(deliveries.per_chat),
    )  # fmt: skip


def table(results: list[Result]) -> str:
    rows = [
        f"{'run':<26}{'members':>8}{'seconds':>9}{'msgs/s':>8}{'of 30/s':>9}"
        f"{'429s':>6}{'dupes':>7}{'lost':>6}"
    ]
    for r in results:
        rows.append(
            f"{r.name:<26}{r.members:>8}{r.seconds:>9.1f}{r.per_second:>8.1f}"
            f"{r.per_second / TELEGRAM_LIMIT:>9.2f}{r.rate_limited:>6}{r.duplicates:>7}{r.lost:>6}"
        )
    return "\n".join(rows)


async def main(members: int, kinds: list[str]) -> None:
    results = []
    for kind in kinds:
        for kill in (False, True):
            results.append(await broadcast(kind, members, kill))
            print(table(results[-1:]).splitlines()[-1], flush=True)
    print(f"\nbroadcast: a pickup notice to each of {members} members, flood limits on")
    print(table(results))


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--members", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(main(args.members, kinds_chosen(args)))
