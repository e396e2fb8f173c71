"""The outbox: messages to deliver, written with the change behind them, drained by a sender.

A row is `pending` until a sender claims it (`sending`, with a lease). A sender that dies after
claiming leaves the row claimable again once the lease runs out, so nothing is lost; a row is
marked `sent` once Telegram accepted it, or `failed` after the last attempt, with the reason.
Due rows go out by urgency first, then in the order they became due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.telegram_tables import OutboxRow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Urgency(IntEnum):
    """Which due message goes first when more are due than Telegram's 30 a second take: a
    pickup day's 10,000 notices take minutes, and a stop queued meanwhile must not wait them."""

    URGENT = 0  # a stop, an arrival, pickup notices, the answer to a payment
    NORMAL = 1
    LATER = 2  # digests and reminders: a minute late says the same


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    key: str
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    purchase_id: int | None = None


# The keys' kinds of the reminders before a deadline (runtime/timed_notices.py): members', the
# chat's "an hour left", and the head's "still short".
DEADLINE_REMINDER_KINDS = ("remind1h", "remind24h", "hour-left", "head-short")
# Rows in one INSERT: 12 values each stays below both databases' limits on parameters.
ROWS_PER_INSERT = 1000


def _row(
    key: str,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None,
    purchase_id: int | None,
    urgency: Urgency,
) -> dict[str, Any]:
    return {
        "key": key,
        "chat_id": chat_id,
        "purchase_id": purchase_id,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "urgency": int(urgency),
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "claimed_until": None,
        "last_error": "",
        "created_at": now,
        "sent_at": None,
    }


class SqlOutbox:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._is_postgres = is_postgres
        self._soon: list[dict[str, Any]] = []

    async def enqueue(
        self,
        key: str,
        chat_id: int,
        payload: dict[str, Any],
        now: datetime,
        not_before: datetime | None = None,
        purchase_id: int | None = None,
        urgency: Urgency = Urgency.NORMAL,
    ) -> bool:
        """Add a message unless one with this key exists; True when it was added. With
        `purchase_id`, a recipient it cannot reach is noted for that purchase's head."""
        await self.flush()
        row = _row(key, chat_id, payload, now, not_before, purchase_id, urgency)
        result = await self._session.execute(self._insert_new([row]))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def enqueue_soon(
        self,
        key: str,
        chat_id: int,
        payload: dict[str, Any],
        now: datetime,
        purchase_id: int | None = None,
        urgency: Urgency = Urgency.NORMAL,
    ) -> None:
        """`enqueue` for a caller that needs no answer (the notices of events): kept until
        the transaction commits or reads the outbox, then written with the others in one
        statement per thousand — a pickup day's 10,000 notices were 10,000 statements in
        the one transaction the first of them waited for."""
        self._soon.append(_row(key, chat_id, payload, now, None, purchase_id, urgency))

    async def flush(self) -> None:
        """Write what `enqueue_soon` kept, in the order it came (a key twice: the first)."""
        while self._soon:
            rows, self._soon = self._soon[:ROWS_PER_INSERT], self._soon[ROWS_PER_INSERT:]
            await self._session.execute(self._insert_new(rows))

    def _insert_new(self, rows: list[dict[str, Any]]) -> Any:
        dialect_insert = postgresql.insert if self._is_postgres else sqlite.insert
        return dialect_insert(OutboxRow).values(rows).on_conflict_do_nothing(index_elements=["key"])

    async def withdraw_deadline_reminders(self, purchase_id: int) -> int:
        """A purchase stopped (or failed, or was cancelled): its "the deadline is near"
        messages still waiting are not sent. A stop goes out before them (it is urgent, they
        are not), so one left waiting would tell a member to hurry after the stop. Returns how
        many were withdrawn."""
        await self.flush()
        prefixes = [f"{kind}:{purchase_id}:" for kind in DEADLINE_REMINDER_KINDS]
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                or_(*(OutboxRow.key.startswith(prefix) for prefix in prefixes)),
            )
            .values(status=OutboxStatus.FAILED.value, last_error="the purchase stopped")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Take up to `limit` due messages for sending, the most urgent first, then the oldest
        due; no two claimers get the same row."""
        await self.flush()
        # Two queries, not one with OR: each walks ix_outbox_due in order and stops at
        # `limit`, where an OR would sort every due row (10,000 on a pickup day) per claim.
        waiting = select(OutboxRow).where(
            OutboxRow.status == OutboxStatus.PENDING.value, OutboxRow.next_attempt_at <= now
        )
        lease_over = select(OutboxRow).where(  # claimed by a sender that died: a few rows
            OutboxRow.status == OutboxStatus.SENDING.value, OutboxRow.claimed_until <= now
        )
        rows: list[OutboxRow] = []
        for query in (waiting, lease_over):
            query = query.order_by(OutboxRow.urgency, OutboxRow.next_attempt_at, OutboxRow.id)
            query = query.limit(limit)
            if self._is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows.extend(await self._session.scalars(query))
        rows.sort(key=lambda row: (row.urgency, row.next_attempt_at, row.id))
        # The rows left over stay locked until the claim commits, a moment later.
        rows = rows[:limit]
        for row in rows:
            row.status = OutboxStatus.SENDING.value
            row.claimed_until = now + lease
            row.attempts += 1
        await self._session.flush()
        return [
            OutboxMessage(r.id, r.key, r.chat_id, r.payload, r.attempts, r.purchase_id)
            for r in rows
        ]

    async def _set(self, message_id: int, **values: object) -> None:
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == message_id).values(**values)
        )

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self._set(message_id, status=OutboxStatus.SENT.value, sent_at=now, claimed_until=None)

    async def reschedule(self, message_id: int, at: datetime, error: str) -> None:
        """Try again at `at` (after a 429's retry_after, or a network error's backoff)."""
        await self._set(
            message_id,
            status=OutboxStatus.PENDING.value,
            next_attempt_at=at,
            claimed_until=None,
            last_error=error[:1000],
        )

    async def give_up(self, message_id: int, error: str) -> None:
        """Stop trying (blocked by the user, or out of attempts), keeping the reason."""
        await self._set(
            message_id,
            status=OutboxStatus.FAILED.value,
            claimed_until=None,
            last_error=error[:1000],
        )

    async def depth(self) -> int:
        """Messages not yet sent nor given up (due now or later), for the metrics."""
        await self.flush()
        waiting = OutboxRow.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
        count = await self._session.scalar(select(func.count()).where(waiting))
        return int(count or 0)

    async def status_of(self, key: str) -> tuple[OutboxStatus, int, str] | None:
        await self.flush()
        row = (
            await self._session.scalars(select(OutboxRow).where(OutboxRow.key == key))
        ).one_or_none()
        return None if row is None else (OutboxStatus(row.status), row.attempts, row.last_error)
