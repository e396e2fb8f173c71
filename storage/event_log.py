"""The log of domain events: appended on commit, consumed by the notifier."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import Event
from storage.purchase_tables import DomainEventRow, HeadDigestRow, MoqNoticeRow
from storage.table_base import metadata

domain_events = metadata.tables[DomainEventRow.__tablename__]


@dataclass(frozen=True)
class LoggedEvent:
    id: int
    purchase_id: int
    kind: str
    payload: dict[str, Any]
    occurred_at: datetime


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


class SqlEventLog:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._is_postgres = is_postgres

    async def append(self, events: Iterable[Event], now: datetime) -> None:
        # One statement for all of them: a batch of taps raises two events per tap.
        rows = [
            {
                "purchase_id": event.purchase_id,
                "kind": type(event).__name__,
                "payload": {k: _plain(v) for k, v in dataclasses.asdict(event).items()},
                "occurred_at": now,
                "handled_at": None,
            }
            for event in events
        ]
        if rows:
            await self._session.execute(insert(domain_events), rows)

    async def unhandled(
        self, limit: int, after_the_rest: frozenset[str] = frozenset()
    ) -> list[LoggedEvent]:
        """The oldest events not handled yet, those of the kinds `after_the_rest` last (events
        a notifier may leave for later must not keep the others waiting); another notifier
        skips the rows this one holds."""
        deferrable = case((DomainEventRow.kind.in_(after_the_rest), 1), else_=0)
        query = (
            select(DomainEventRow)
            .where(DomainEventRow.handled_at.is_(None))
            .order_by(deferrable, DomainEventRow.id)
            .limit(limit)
        )
        if self._is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = await self._session.scalars(query)
        return [LoggedEvent(r.id, r.purchase_id, r.kind, r.payload, r.occurred_at) for r in rows]

    async def unhandled_of(
        self, purchase_id: int, kinds: frozenset[str], limit: int
    ) -> list[LoggedEvent]:
        """One purchase's events of these kinds not handled yet, oldest first: everything a
        digest is about, not only what the last round happened to load."""
        query = (
            select(DomainEventRow)
            .where(
                DomainEventRow.handled_at.is_(None),
                DomainEventRow.purchase_id == purchase_id,
                DomainEventRow.kind.in_(kinds),
            )
            .order_by(DomainEventRow.id)
            .limit(limit)
        )
        if self._is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = await self._session.scalars(query)
        return [LoggedEvent(r.id, r.purchase_id, r.kind, r.payload, r.occurred_at) for r in rows]

    async def mark_handled(self, ids: list[int], now: datetime) -> None:
        if ids:
            await self._session.execute(
                update(DomainEventRow).where(DomainEventRow.id.in_(ids)).values(handled_at=now)
            )

    async def last_digest(self, purchase_id: int) -> datetime | None:
        row = await self._session.get(HeadDigestRow, purchase_id)
        return None if row is None else row.last_sent_at

    async def set_last_digest(self, purchase_id: int, now: datetime) -> None:
        insert = postgresql.insert if self._is_postgres else sqlite.insert
        await self._session.execute(
            insert(HeadDigestRow)
            .values(purchase_id=purchase_id, last_sent_at=now)
            .on_conflict_do_update(index_elements=["purchase_id"], set_={"last_sent_at": now})
        )

    async def told_moq_reached(self, purchase_id: int) -> bool:
        """Whether the head's last notice of the minimum said it was reached."""
        row = await self._session.get(MoqNoticeRow, purchase_id)
        return row is not None and row.reached

    async def tell_moq(self, purchase_id: int, reached: bool) -> None:
        """Note what the head is told of the minimum, with the notice that tells her."""
        insert = postgresql.insert if self._is_postgres else sqlite.insert
        await self._session.execute(
            insert(MoqNoticeRow)
            .values(purchase_id=purchase_id, reached=reached)
            .on_conflict_do_update(index_elements=["purchase_id"], set_={"reached": reached})
        )
