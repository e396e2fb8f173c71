"""`python -m sandbox [--port N] [--no-limits]`: the emulator alone, for benchmarks and tools.

Prints one line `BOT_API_BASE_URL=... BOT_TOKEN=...` and serves until interrupted; a user
"Alice" (id 10001) who started the bot is there to send to.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.limits import Limits


async def serve(port: int, limits: Limits) -> None:
    emulator = TelegramSandbox(limits=limits)
    await emulator.start(port)
    Sandbox(emulator).user("Alice").started_bot = True
    print(f"BOT_API_BASE_URL={emulator.base_url} BOT_TOKEN={emulator.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--no-limits", action="store_true", help="switch flood control off")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, Limits(enabled=not args.no_limits)))


main()
