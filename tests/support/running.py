"""Start the sandbox, and a real python-telegram-bot Application polling it, for one test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr

from bot.app import build_application, polling
from bot.settings import Settings
from handlers.runtime import Runtime
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
async def bot_running(
    sandbox: Sandbox, database_url: str, **settings: object
) -> AsyncIterator[Runtime]:
    """Our bot, with its handlers, polling the sandbox and using `database_url`."""
    configured = Settings(
        bot_token=SecretStr(sandbox.emulator.token),
        bot_api_base_url=sandbox.emulator.base_url,
        database_url=database_url,
        **settings,  # type: ignore[arg-type]
    )
    async with polling(build_application(configured)) as application:
        yield application.bot_data["runtime"]
