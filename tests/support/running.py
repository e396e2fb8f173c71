"""Start the sandbox, and a real python-telegram-bot Application polling it, for one test."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.app import build_application
from bot.lifecycle import polling
from bot.settings import Settings
from handlers.runtime import Runtime
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.limits import Limits

# The bot's key for secrets at rest, as `make run` makes one: a new one each test run.
SECRETS_KEY = Fernet.generate_key().decode()


@asynccontextmanager
async def sandbox_running(
    limits: Limits | None = None, clock: Callable[[], float] | None = None
) -> AsyncIterator[Sandbox]:
    """The sandbox; with `clock`, its flood control counts that clock's seconds."""
    emulator = TelegramSandbox(limits=limits, clock=clock or time.monotonic)
    await emulator.start()
    try:
        yield Sandbox(emulator)
    finally:
        await emulator.stop()


class StoppedClock:
    """Seconds that pass only when the test says so: the sandbox's flood limits checked against
    calls that land at the very same moment, or exactly so many seconds apart, however long a
    loaded machine takes to make them."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ShiftedClock:
    """Real time plus an offset a test can move forward: timers keep real time, while the
    bot's idea of "now" jumps ahead (days in a line of code)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@asynccontextmanager
async def bot_running(
    sandbox: Sandbox,
    database_url: str,
    clock: Callable[[], datetime] | None = None,
    **settings: object,
) -> AsyncIterator[Runtime]:
    """Our bot, with its handlers, polling the sandbox and using `database_url` (and
    SECRETS_KEY unless `secrets_key` says otherwise)."""
    configured = Settings(
        bot_token=SecretStr(sandbox.emulator.token),
        bot_api_base_url=sandbox.emulator.base_url,
        database_url=database_url,
        **{"secrets_key": SecretStr(SECRETS_KEY)} | settings,  # type: ignore[arg-type]
    )
    application = build_application(configured, clock or ShiftedClock())
    async with polling(application):
        yield application.bot_data.made_runtime()


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until `condition()` is truthy, for work the bot does in the background; a
    condition that is a coroutine (a row to read) is awaited each time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        met = condition()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)
