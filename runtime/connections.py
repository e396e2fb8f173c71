"""The bot's calls to the Bot API over a fixed set of connections, each call on a free one.

python-telegram-bot's HTTPXRequest shares one httpx pool among all calls. httpcore looks at
every connection of that pool whenever a call starts or ends (with a system call for each idle
one, and a count of the idle ones for each idle one), so the cost of a call grows with the
connections open: in a rush of taps, where 256 updates answer at once, an answer cost three
times what it costs alone. Here each connection has a pool of its own, and a call waits for a
free connection instead: a call costs the same however many are under way.
"""

from __future__ import annotations

import asyncio

import httpx
from telegram._utils.types import ODVInput  # the type BaseRequest.do_request is declared with
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# Enough to hide the round trip to Telegram's servers: 8 calls under way at 100 ms each is
# 80 calls a second, well above the 30 messages a second Telegram accepts for sending. More
# would not make a call cheaper or dearer (bench/tap_rush.py measured 4, 8 and 16 alike).
CONNECTIONS = 8

DEFAULT_NONE = BaseRequest.DEFAULT_NONE


class ConnectionSet(BaseRequest):
    """`size` HTTPXRequests of one connection each. A call waits for a free one as long as it
    takes, where one shared pool would give up after its pool timeout (a second by default)."""

    def __init__(self, size: int = CONNECTIONS) -> None:
        if size < 1:
            raise ValueError("at least one connection")
        # One TLS context for all of them: each of its own would load the CA bundle again
        # (0.7 MB apiece).
        tls = httpx.create_ssl_context()
        self._connections = [
            HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls}) for _ in range(size)
        ]
        self._free: asyncio.Queue[HTTPXRequest] = asyncio.Queue()
        for connection in self._connections:
            self._free.put_nowait(connection)

    @property
    def read_timeout(self) -> float | None:
        return self._connections[0].read_timeout

    async def initialize(self) -> None:
        for connection in self._connections:
            await connection.initialize()

    async def shutdown(self) -> None:
        for connection in self._connections:
            await connection.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        connection = await self._free.get()
        try:
            return await connection.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        finally:
            self._free.put_nowait(connection)
