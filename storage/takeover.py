"""The webhook take-over record (WebhookTakeoverRow): written by a poller told to take the
updates over, read by webhook workers (bot/takeover.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.telegram_tables import WebhookTakeoverRow

ROW = 1


@dataclass(frozen=True)
class Takeover:
    taken_by: str
    taken_at: datetime
    held_until: datetime


class SqlTakeovers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def current(self) -> Takeover | None:
        row = await self._session.get(WebhookTakeoverRow, ROW)
        return None if row is None else Takeover(row.taken_by, row.taken_at, row.held_until)

    async def take(self, taken_by: str, now: datetime, held_until: datetime) -> None:
        await self._session.merge(
            WebhookTakeoverRow(id=ROW, taken_by=taken_by, taken_at=now, held_until=held_until)
        )

    async def hold(self, taken_by: str, held_until: datetime) -> None:
        """Renew this poller's hold; another's (a newer take-over) stays as it is."""
        await self._session.execute(
            update(WebhookTakeoverRow)
            .where(WebhookTakeoverRow.id == ROW, WebhookTakeoverRow.taken_by == taken_by)
            .values(held_until=held_until)
        )
