"""Start the sandbox, and a real python-telegram-bot Application polling it, for one test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application

from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.limits import Limits


@asynccontextmanager
async def sandbox_running(limits: Limits | None = None) -> AsyncIterator[Sandbox]:
    emulator = TelegramSandbox(limits=limits)
    await emulator.start()
    try:
        yield Sandbox(emulator)
    finally:
        await emulator.stop()


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the application's polling loop, as `run_polling` would, until the block ends."""
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
