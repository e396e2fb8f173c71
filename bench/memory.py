"""Memory: the bot process starting on a database of open purchases with their members and
order lines (deadlines a week away): how long start-up takes (timers planned, first sweep done)
and the bot's peak resident memory. `bench.scheduler` reports the peak while those purchases
all stop within one minute.

    python -m bench.memory [--purchases 10000] [--members 10] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.common import benchmark_parser, database_of, kinds_chosen, seed, work_folder
from bench.scheduler import make_world, purchases_due
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.process import BotProcess

QUIET_CPU_SECONDS = 0.1  # less CPU than this over QUIET_WINDOW: start-up is over
QUIET_WINDOW = 2.0


@dataclass
class Result:
    name: str
    purchases: int
    lines: int
    startup_seconds: float
    peak_rss_mb: float


async def settled(bot: BotProcess, timeout: float) -> float:
    """Wait until the bot has been nearly idle for QUIET_WINDOW; returns seconds since now."""
    started = time.monotonic()
    before = bot.cpu_seconds()
    while time.monotonic() - started < timeout:
        await asyncio.sleep(QUIET_WINDOW)
        now = bot.cpu_seconds()
        if now - before < QUIET_CPU_SECONDS:
            return time.monotonic() - started - QUIET_WINDOW
        before = now
    return float("inf")


async def run(kind: str, purchases: int, members: int) -> Result:
    async with work_folder() as folder, database_of(kind, folder) as url:
        emulator = TelegramSandbox()
        await emulator.start()
        try:
            sandbox = Sandbox(emulator)
            world = make_world(sandbox, purchases)
            people = {p for ids in world.members.values() for p in ids} | set(world.heads.values())
            week = datetime.now(UTC) + timedelta(days=7)
            due = purchases_due(world, purchases, members, week, timedelta(days=1), "Tea")
            await seed(url, world.communities, due, people)
            bot = await BotProcess.start(emulator, url, folder / "bot.log")
            try:
                startup = await settled(bot, timeout=600)
                peak = bot.peak_rss_mb()
            finally:
                await bot.stop()
        finally:
            await emulator.stop()
    return Result(kind, purchases, purchases * members, startup, peak)


def table(results: list[Result]) -> str:
    rows = [f"{'database':<12}{'purchases':>10}{'lines':>9}{'start-up s':>12}{'peak RSS MB':>13}"]
    rows += [
        f"{r.name:<12}{r.purchases:>10}{r.lines:>9}{r.startup_seconds:>12.1f}{r.peak_rss_mb:>13.0f}"
        for r in results
    ]
    return "\n".join(rows)


async def main(purchases: int, members: int, kinds: list[str]) -> None:
    results = []
    for kind in kinds:
        results.append(await run(kind, purchases, members))
        print(table(results[-1:]), flush=True)
    print(f"\nmemory: the bot starting on {purchases} open purchases, {members} members each")
    print(table(results))


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--purchases", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10)
    args = parser.parse_args()
    kinds = kinds_chosen(args)
    asyncio.run(main(args.purchases, args.members, kinds))
