"""How many Bot API requests a second the sandbox serves, so it is never a benchmark's bottleneck.

The emulator runs in its own process (flood control off); this process sends sendMessage
calls from C concurrent clients, first as raw form-encoded HTTP with aiohttp, then through
python-telegram-bot's Bot, which is how the bot itself calls it. Prints requests/s for each
and the ratio, in one run on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
from telegram import Bot
from telegram.request import HTTPXRequest

from sandbox.process import cpu_seconds

ALICE = 10_001


async def raw_client(base_url: str, token: str, requests: int, concurrency: int) -> float:
    url = f"{base_url}{token}/sendMessage"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(count: int) -> None:
            for n in range(count):
                async with session.post(url, data={"chat_id": str(ALICE), "text": f"n{n}"}) as r:
                    assert r.status == 200, await r.text()

        started = time.perf_counter()
        await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
        return (requests // concurrency * concurrency) / (time.perf_counter() - started)


async def ptb_client(base_url: str, token: str, requests: int, concurrency: int) -> float:
    bot = Bot(token, base_url=base_url, request=HTTPXRequest(connection_pool_size=concurrency))
    async with bot:

        async def worker(count: int) -> None:
            for n in range(count):
                await bot.send_message(ALICE, f"n{n}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
        return (requests // concurrency * concurrency) / (time.perf_counter() - started)


async def measured(pid: int, client: Callable[[], Awaitable[float]]) -> tuple[float, float]:
    """(requests/s, share of one core the server used meanwhile)."""
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    rate = await client()
    busy = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - wall_before)
    return rate, busy


async def main(requests: int, concurrency: int) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--no-limits", stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    line = (await server.stdout.readline()).decode().split()
    base_url = line[0].split("=", 1)[1]
    token = line[1].split("=", 1)[1]
    try:
        raw, raw_busy = await measured(
            server.pid, lambda: raw_client(base_url, token, requests, concurrency)
        )
        ptb, ptb_busy = await measured(
            server.pid, lambda: ptb_client(base_url, token, requests, concurrency)
        )
    finally:
        server.terminate()
        await server.wait()
    print(f"sandbox throughput, {requests} sendMessage calls, {concurrency} concurrent clients")
    print(f"{'client':<28}{'requests/s':>12}{'sandbox CPU':>14}")
    print(f"{'raw aiohttp (form data)':<28}{raw:>12.0f}{raw_busy:>13.0%}")
    print(f"{'python-telegram-bot Bot':<28}{ptb:>12.0f}{ptb_busy:>13.0%}")
    print(f"ratio python-telegram-bot / raw: {ptb / raw:.2f}")
    print(
        "Telegram allows a bot 30 messages/s; the sandbox serves "
        f"{raw / 30:.0f}x that from one process."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
