"""Starting and stopping the application in the running event loop, as python-telegram-bot's
`run_polling` does, for the serving loops (bot/serving.py, bot/webhook.py), the sandbox's
console and the tests: one owner of the lifecycle, imported by whoever serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from telegram.ext import Application

# Ours (bot/process.py) or, in the benchmarks, a bare bot's.
AnyApplication = TypeVar("AnyApplication", bound=Application[Any, Any, Any, Any, Any, Any])

# What python-telegram-bot's run_polling waits for in one getUpdates.
POLL_TIMEOUT = 10
# chat_member: who joins and leaves a community chat (Telegram sends it where the bot is an
# administrator), which keeps the remembered memberships current (handlers/admission.py).
ALLOWED_UPDATES = [
    "message", "callback_query", "my_chat_member", "chat_member", "pre_checkout_query",
]  # fmt: skip


async def start_running(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What `run_polling` does before it polls: initialize, post_init, start."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()


async def stop_running(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What `run_polling` does once it stopped polling, in its order."""
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


@asynccontextmanager
async def polling(
    application: AnyApplication,
    poll_timeout: int = 1,
) -> AsyncIterator[AnyApplication]:
    """Run the application in the current event loop as `run_polling` does, for the block."""
    await start_running(application)
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
    )
    try:
        yield application
    finally:
        await application.updater.stop()
        await stop_running(application)
