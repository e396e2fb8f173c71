"""The inbox: updates as Telegram sent them, kept until handled (see runtime/inbox.py)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import SQLITE_BUSY_TIMEOUT_MS
from storage.telegram_tables import InboxRow, ProcessedUpdateRow

# Lanes are the int4 second key of an advisory lock (storage/cluster.py): persons fold into them.
LANES = 2**31 - 1


def lane_of(update: dict[str, Any]) -> int:
    """The lane of an update as Telegram sent it (runtime/lanes.py): its sender, else its
    chat, else lane 0."""
    for kind, body in update.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"]) % LANES
        message = body.get("message")
        chat = body.get("chat") or (message.get("chat") if isinstance(message, dict) else None)
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"]) % LANES
    return 0


def without_text(update: dict[str, Any]) -> dict[str, Any]:
    """The update with the text (and its formatting) taken out of the message it carries."""
    return {
        kind: {k: v for k, v in body.items() if k not in ("text", "entities")}
        if isinstance(body, dict)
        else body
        for kind, body in update.items()
    }


class SqlInbox:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._insert = postgresql.insert if is_postgres else sqlite.insert

    async def store(self, updates: Iterable[tuple[int, dict[str, Any]]], now: datetime) -> set[int]:
        """Keep these (update id, payload) pairs; returns the ids that were not kept before."""
        rows = [
            {
                "update_id": update_id,
                "payload": payload,
                "lane": lane_of(payload),
                "received_at": now,
                "handled_at": None,
            }
            for update_id, payload in updates
        ]
        if not rows:
            return set()
        result = await self._session.execute(
            self._insert(InboxRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboxRow.update_id)
        )
        return set(result.scalars())

    async def keep_without_text(
        self, update_id: int, payload: dict[str, Any], now: datetime
    ) -> None:
        """Keep this update without the text it carried (a secret), whether its copy is here
        already or not yet (on SQLite another connection writes it, and a write coming
        after this one keeps this)."""
        blank = without_text(payload)
        await self._session.execute(
            self._insert(InboxRow)
            .values(update_id=update_id, payload=blank, lane=lane_of(blank), received_at=now)
            .on_conflict_do_update(index_elements=["update_id"], set_={"payload": blank})
        )

    async def pending(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest updates neither handled nor claimed by a handler's unit of work."""
        claimed = select(ProcessedUpdateRow.update_id).where(
            ProcessedUpdateRow.update_id == InboxRow.update_id
        )
        rows = await self._session.execute(
            select(InboxRow.update_id, InboxRow.payload)
            .where(InboxRow.handled_at.is_(None), ~claimed.exists())
            .order_by(InboxRow.update_id)
            .limit(limit)
        )
        return [(update_id, payload) for update_id, payload in rows.tuples()]

    async def highest_update_id(self) -> int:
        """The newest update id this database has seen (kept or handled); 0 for none."""
        kept = await self._session.scalar(select(func.max(InboxRow.update_id)))
        handled = await self._session.scalar(select(func.max(ProcessedUpdateRow.update_id)))
        return max(kept or 0, handled or 0)

    async def depth(self) -> int:
        """Updates kept and not yet handled, for the metrics."""
        claimed = select(ProcessedUpdateRow.update_id).where(
            ProcessedUpdateRow.update_id == InboxRow.update_id
        )
        count = await self._session.scalar(
            select(func.count()).where(InboxRow.handled_at.is_(None), ~claimed.exists())
        )
        return int(count or 0)

    async def mark_handled(self, update_ids: list[int], now: datetime) -> None:
        if update_ids:
            await self._session.execute(
                update(InboxRow).where(InboxRow.update_id.in_(update_ids)).values(handled_at=now)
            )


class SqliteInboxWriter:
    """Keeps a batch of updates in an SQLite database in one call on a thread of its own.

    Through the async engine a batch took several hops between the event loop and the
    database thread, each slow while a rush of taps keeps the loop busy, and the batch held
    the write turn that the taps wait for all that time. Here the transaction is one short
    stretch of SQLite work, done in the write turn's urgent lane (storage/write_turn.py), so
    it neither queues behind the taps nor spins against them on SQLite's lock.
    """

    def __init__(self, url: str) -> None:
        self._path = make_url(url).database or ""
        self._connection: sqlite3.Connection | None = None
        # A store runs on a thread of its own, and may still run when the bot stops (its task
        # cancelled, the thread not): closing the connection under it crashed the process
        # (SIGSEGV in sqlite3). Closing waits for the store; none starts after.
        self._lock = threading.Lock()
        self._closed = False

    def _store(self, rows: list[tuple[int, str, int]], now: str) -> None:
        with self._lock:
            if self._closed:  # never confirmed to Telegram: it sends these again
                raise RuntimeError("the inbox is closed")
            self._store_now(rows, now)

    def _store_now(self, rows: list[tuple[int, str, int]], now: str) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self._path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are left to the main connections: run from here, one would hold up
            # the next getUpdates, which waits for this write.
            self._connection.execute("PRAGMA wal_autocheckpoint=0")
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT INTO inbox (update_id, payload, lane, received_at, handled_at) "
                "VALUES (?, ?, ?, ?, NULL) ON CONFLICT (update_id) DO NOTHING",
                [(update_id, payload, lane, now) for update_id, payload, lane in rows],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    async def store(self, updates: Iterable[tuple[int, dict[str, Any]]], now: datetime) -> None:
        # The lane, as on PostgreSQL: a person's updates are found by it (/mydata, erasure).
        rows = [
            (update_id, json.dumps(payload), lane_of(payload)) for update_id, payload in updates
        ]
        # As storage.table_base.UTCDateTime writes an instant on SQLite: UTC, without the offset.
        stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        await asyncio.to_thread(self._store, rows, stamp)

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def close(self) -> None:
        """Once the store under way (if any) is done; the event loop goes on meanwhile."""
        await asyncio.to_thread(self._close)
