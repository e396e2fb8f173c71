"""The emulator called as a raw HTTP client calls it, for the tests of the emulator itself."""

from __future__ import annotations

from typing import Any

import aiohttp

from sandbox.driver import Sandbox


async def call(
    sandbox: Sandbox, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call, JSON-encoded like most clients other than python-telegram-bot."""
    url = f"{sandbox.emulator.base_url}{token or sandbox.emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return response.status, await response.json()


async def form_call(sandbox: Sandbox, method: str, **params: str) -> tuple[int, dict[str, Any]]:
    url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, data=params) as response:
        return response.status, await response.json()


def started_user(sandbox: Sandbox, name: str = "Alice") -> Any:
    user = sandbox.user(name)
    user.started_bot = True
    return user
