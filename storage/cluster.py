"""What several bot processes on one PostgreSQL share beyond the tables: session advisory
locks (who runs a person's lane, who leads) and LISTEN/NOTIFY (what the leader must hear).

Session advisory locks live as long as the connection that took them: a process that dies,
even by SIGKILL, loses its connections and with them every lock it held, so another process
takes over without any lease to run out. These are raw asyncpg connections of their own, not
the pool's: a pooled connection goes back to the pool, and its locks would go with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from storage.database import CONNECT_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

# The first key of a two-key advisory lock: what the second one counts.
LANE_LOCKS = 71_001
SINGLETON_LOCKS = 71_002
LEADER = 1  # the one process that runs the timeline, the notifier, the sender and the cards
POLLING = 2  # the one process that long-polls Telegram
MIGRATIONS = 3  # the one process that applies migrations (others wait for it)

# An update waits in its lane unhandled and unclaimed (see storage/inbox.py: "pending").
_PENDING = """
    FROM inbox AS i
    WHERE i.lane = $1 AND i.handled_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM processed_updates AS p WHERE p.update_id = i.update_id)
"""


def asyncpg_dsn(url: str) -> str:
    """SQLAlchemy's "postgresql+asyncpg://…" as asyncpg itself takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class LockConnection:
    """One dedicated connection; its statements take turns (asyncpg runs one at a time)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: asyncpg.Connection | None = None
        self._turn = asyncio.Lock()

    async def open(self) -> None:
        self._connection = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_SECONDS)

    @property
    def connection(self) -> asyncpg.Connection:
        assert self._connection is not None, "open() first"
        return self._connection

    def is_alive(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def fetch(self, query: str, *args: object) -> list[Any]:
        async with self._turn:
            return list(await self.connection.fetch(query, *args))

    async def fetchrow(self, query: str, *args: object) -> Any:
        async with self._turn:
            return await self.connection.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: object) -> Any:
        async with self._turn:
            return await self.connection.fetchval(query, *args)

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close(timeout=5)
        self._connection = None


class LaneLocks:
    """Who handles each lane of the inbox now: the process holding its advisory lock. A few
    connections share the lanes (a lane always on the same one, which must release it)."""

    def __init__(self, url: str, connections: int = 4) -> None:
        dsn = asyncpg_dsn(url)
        self._connections = [LockConnection(dsn) for _ in range(connections)]
        # Where statements about no lane in particular go.
        self.control = self._connections[0]

    async def open(self) -> None:
        for connection in self._connections:
            await connection.open()

    async def close(self) -> None:
        for connection in self._connections:
            await connection.close()

    def _on(self, lane: int) -> LockConnection:
        return self._connections[lane % len(self._connections)]

    async def take(self, lane: int) -> list[tuple[int, dict[str, Any]]] | None:
        """Take the lane and read what waits in it, oldest first; None: another process has
        it (and will see what waits, since it looks again after letting go)."""
        # The lock is tried once (a materialized CTE), then what waits is read.
        rows = await self._on(lane).fetch(
            f"""WITH attempt AS MATERIALIZED (
                    SELECT pg_try_advisory_lock({LANE_LOCKS}, $1) AS taken)
                SELECT attempt.taken, waiting.update_id, waiting.payload
                FROM attempt
                LEFT JOIN (SELECT i.update_id, i.payload::text AS payload {_PENDING}) AS waiting
                  ON attempt.taken
                ORDER BY waiting.update_id""",
            lane,
        )
        if not rows or not rows[0]["taken"]:
            return None
        return [
            (int(row["update_id"]), json.loads(row["payload"]))
            for row in rows
            if row["update_id"] is not None
        ]

    async def waiting(self, lane: int) -> list[tuple[int, dict[str, Any]]]:
        """What waits in a lane this process holds, oldest first."""
        rows = await self._on(lane).fetch(
            f"SELECT i.update_id, i.payload::text AS payload {_PENDING} ORDER BY i.update_id",
            lane,
        )
        return [(int(row["update_id"]), json.loads(row["payload"])) for row in rows]

    async def release(self, lane: int) -> bool:
        """Let the lane go; True when updates wait in it (kept meanwhile by a process that
        found it taken): then whoever looks first takes it again."""
        connection = self._on(lane)
        await connection.fetchval(f"SELECT pg_advisory_unlock({LANE_LOCKS}, $1)", lane)
        # A separate statement, so it sees rows committed up to the moment the lock went.
        return bool(await connection.fetchval(f"SELECT EXISTS (SELECT 1 {_PENDING})", lane))

    async def mark_handled(self, update_ids: list[int], now: datetime) -> None:
        if update_ids:
            await self.control.fetchval(
                "UPDATE inbox SET handled_at = $2 WHERE update_id = ANY($1::bigint[])",
                update_ids,
                now,
            )

    async def lanes_waiting(
        self, received_before: datetime, received_after: datetime | None = None, limit: int = 500
    ) -> list[int]:
        """Lanes with an update that has waited since before `received_before` (and, when
        given, came after `received_after`): those of a process that died, or whose last look
        was missed. A claimed update keeps no handled mark, so the window keeps the frequent
        sweep off the week of claimed taps the inbox holds."""
        rows = await self.control.fetch(
            """SELECT DISTINCT i.lane FROM inbox AS i
               WHERE i.handled_at IS NULL AND i.received_at < $1
                 AND i.received_at > coalesce($2, '-infinity'::timestamptz)
                 AND NOT EXISTS (SELECT 1 FROM processed_updates AS p
                                 WHERE p.update_id = i.update_id)
               LIMIT $3""",
            received_before,
            received_after,
            limit,
        )
        return [int(row["lane"]) for row in rows]

    async def notify(self, channel: str, payload: str) -> None:
        await self.control.fetchval("SELECT pg_notify($1, $2)", channel, payload)


class SingletonLock:
    """A lock one process at a time holds for as long as it lives (the leader's, polling's),
    on a connection of its own that also listens for notifications."""

    def __init__(self, url: str, which: int) -> None:
        self._connection = LockConnection(asyncpg_dsn(url))
        self._which = which
        self.held = False

    async def open(self) -> None:
        await self._connection.open()

    def is_alive(self) -> bool:
        return self._connection.is_alive()

    async def try_take(self) -> bool:
        if not self.held:
            self.held = bool(
                await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)", SINGLETON_LOCKS, self._which
                )
            )
        return self.held

    async def still_held(self) -> bool:
        """Whether the connection (and so the lock) is still there: a cheap round trip."""
        try:
            await asyncio.wait_for(self._connection.fetchval("SELECT 1"), 5)
        except Exception:  # any failure: the lock may be gone with the connection
            self.held = False
        return self.held and self._connection.is_alive()

    async def listen(self, channel: str, heard: Callable[[str], None]) -> None:
        def callback(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            heard(payload)

        await self._connection.connection.add_listener(channel, callback)

    async def close(self) -> None:
        self.held = False
        await self._connection.close()


class CardRequests:
    """Cards the other processes asked the leader to edit (see CardRequestRow)."""

    def __init__(self, locks: LaneLocks) -> None:
        self._locks = locks

    async def ask(self, purchase_ids: list[int], now: datetime, channel: str) -> None:
        """Keep the requests, then wake the leader (a notification alone is lost when no
        leader listens, between one leader's death and the next one's start)."""
        await self._locks.control.fetchval(
            """WITH asked AS (
                   INSERT INTO card_requests (purchase_id, requested_at)
                   SELECT unnest($1::bigint[]), $2
                   ON CONFLICT (purchase_id) DO NOTHING RETURNING 1)
               SELECT pg_notify($3, '')""",
            purchase_ids,
            now,
            channel,
        )

    async def take_all(self) -> list[int]:
        rows = await self._locks.control.fetch("DELETE FROM card_requests RETURNING purchase_id")
        return [int(row["purchase_id"]) for row in rows]


class SendPace:
    """Telegram's send limits held in PostgreSQL for every process of the bot: one row per
    chat (and chat 0 for the whole bot) with the moment the next send's slot ends, moved on
    atomically by each send (the generic cell rate algorithm: a token bucket in one value)."""

    def __init__(self, url: str) -> None:
        self._connection = LockConnection(asyncpg_dsn(url))

    async def open(self) -> None:
        await self._connection.open()

    async def close(self) -> None:
        await self._connection.close()

    async def reserve(self, chat_id: int, interval: float, burst: int) -> tuple[datetime, float]:
        """Take the next slot of `chat_id` (sends `interval` seconds apart, `burst` at once
        after a pause); returns when the slot opens and the seconds to wait for it."""
        tolerance = (burst - 1) * interval
        row = await self._connection.fetchrow(
            """INSERT INTO send_pace AS pace (chat_id, next_at)
               VALUES ($1, clock_timestamp() + make_interval(secs => $2))
               ON CONFLICT (chat_id) DO UPDATE
                 SET next_at = greatest(pace.next_at, clock_timestamp())
                               + make_interval(secs => $2)
               RETURNING next_at - make_interval(secs => $2 + $3) AS opens,
                         clock_timestamp() AS now""",
            chat_id,
            interval,
            tolerance,
        )
        opens: datetime = row["opens"]
        return opens, max(0.0, (opens - row["now"]).total_seconds())
