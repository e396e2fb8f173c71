"""The bot's calls to the Bot API share a fixed set of connections: never more at once, a call
waits for a free one (however long), and every call gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from runtime.connections import ConnectionSet


@dataclass
class SlowApi:
    """A Bot API stand-in that takes 20 ms per call and remembers how many ran at once."""

    url: str = ""
    running: int = 0
    most_at_once: int = 0
    client_ports: set[int] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        self.client_ports.add(request.transport.get_extra_info("peername")[1])
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await asyncio.sleep(0.02)
        self.running -= 1
        number = int(request.match_info["number"])
        return web.json_response({"ok": True, "result": number})


@pytest.fixture
async def api() -> AsyncIterator[SlowApi]:
    slow = SlowApi()
    app = web.Application()
    app.router.add_post("/call/{number}", slow.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    slow.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield slow
    finally:
        await runner.cleanup()


async def test_calls_wait_for_one_of_the_connections_and_each_gets_its_answer(
    api: SlowApi,
) -> None:
    connections = ConnectionSet(size=3)
    await connections.initialize()
    try:
        answers = await asyncio.gather(
            *(connections.post(f"{api.url}/call/{n}") for n in range(60))
        )
    finally:
        await connections.shutdown()
    assert answers == list(range(60))
    assert api.most_at_once == 3
    assert len(api.client_ports) == 3  # connections are kept and reused, not one per call


def test_a_set_needs_a_connection() -> None:
    with pytest.raises(ValueError, match="at least one connection"):
        ConnectionSet(size=0)
