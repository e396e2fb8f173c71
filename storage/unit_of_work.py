"""The unit of work: one session and one transaction per update or job.

Nothing is written unless `commit` is called; leaving the block rolls back. On SQLite, units of
work in this process take turns (storage/write_turn.py) so a rush of taps queues in memory
instead of spinning on "database is locked"; on PostgreSQL they run side by side and the
purchase row lock orders changers of the same purchase.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.community import Community
from domain.events import Event, PurchaseStopped
from domain.ports import AlreadyProcessed, Conflict
from domain.purchase import Purchase, PurchaseStatus
from storage.aggregate_cache import AggregateCache
from storage.campaigns import SqlCampaigns
from storage.communities import SqlCommunityRepository
from storage.database import create_engine, is_sqlite
from storage.event_log import SqlEventLog
from storage.inbox import SqlInbox
from storage.logistics import SqlLogistics
from storage.outbox import OutboxStatus, SqlOutbox
from storage.personal_data import SqlPersonalData
from storage.price_lists import SqlPriceLists
from storage.purchase_tables import DomainEventRow
from storage.receipts import SqlReceipts
from storage.repositories import SqlPurchaseRepository
from storage.secrets import Secrets
from storage.takeover import SqlTakeovers
from storage.telegram_state import SqlTelegramState
from storage.telegram_tables import InboxRow, OutboxRow, ProcessedUpdateRow, SendPaceRow
from storage.write_turn import WriteTurn

# PostgreSQL's codes for "try again": serialization failure, deadlock, lock not available.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class Database:
    """The engine and session factory for one DATABASE_URL; made once per process."""

    def __init__(self, url: str, secrets: Secrets | None = None) -> None:
        self.url = url
        # Without SECRETS_KEY, secrets are refused (storage/secrets.py).
        self.secrets = secrets or Secrets()
        self.is_sqlite = is_sqlite(url)
        self.engine: AsyncEngine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # What only reads (a card's redraw, a tapper's admission, an order shown) needs no turn
        # to write: on SQLite it reads beside the writer, on PostgreSQL it takes no row lock.
        self._reading_engine = create_engine(url, reading=True) if self.is_sqlite else None
        self.reading_sessions = async_sessionmaker(
            self._reading_engine or self.engine, expire_on_commit=False
        )
        self.write_turn = WriteTurn() if self.is_sqlite else None
        self.aggregates = AggregateCache()
        # Told the update ids a unit of work claimed, once its transaction committed (the
        # inbox: a claimed update needs no other mark that it was handled).
        self.on_claimed: Callable[[list[int]], None] | None = None

    def unit_of_work(self, update_id: int | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self, update_id)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work that only reads: it waits for no writer (no write turn on SQLite, no
        row lock on PostgreSQL) and cannot commit."""
        return SqlUnitOfWork(self, None, reading=True)

    @property
    def keeps_secrets(self) -> bool:
        return self.secrets.can_seal

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._reading_engine is not None:
            await self._reading_engine.dispose()


def _is_retryable(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES or "database is locked" in str(error.orig)


class SqlUnitOfWork:
    purchases: SqlPurchaseRepository
    communities: SqlCommunityRepository
    outbox: SqlOutbox
    telegram: SqlTelegramState
    events: SqlEventLog
    inbox: SqlInbox
    price_lists: SqlPriceLists
    campaigns: SqlCampaigns
    logistics: SqlLogistics
    takeovers: SqlTakeovers
    personal_data: SqlPersonalData
    receipts: SqlReceipts

    def __init__(
        self, database: Database, update_id: int | None = None, reading: bool = False
    ) -> None:
        self._database = database
        self._update_id = update_id
        self._reading = reading
        self._session: AsyncSession | None = None
        self._holds_write_turn = False
        self._events: list[Event] = []
        self._claimed: list[int] = []

    async def __aenter__(self) -> Self:
        if self._database.write_turn is not None and not self._reading:
            await self._database.write_turn.acquire()
            self._holds_write_turn = True
        sessions = self._database.reading_sessions if self._reading else self._database.sessions
        self._session = sessions()
        self.purchases = SqlPurchaseRepository(
            self._session,
            lock_rows=not self._database.is_sqlite and not self._reading,
            cache=self._database.aggregates,
        )
        self.communities = SqlCommunityRepository(self._session, self._database.secrets)
        self.outbox = SqlOutbox(self._session, is_postgres=not self._database.is_sqlite)
        self.telegram = SqlTelegramState(self._session, is_postgres=not self._database.is_sqlite)
        self.events = SqlEventLog(self._session, is_postgres=not self._database.is_sqlite)
        self.inbox = SqlInbox(self._session, is_postgres=not self._database.is_sqlite)
        self.price_lists = SqlPriceLists(self._session, is_postgres=not self._database.is_sqlite)
        self.campaigns = SqlCampaigns(self._session)
        self.logistics = SqlLogistics(self._session)
        self.takeovers = SqlTakeovers(self._session)
        self.receipts = SqlReceipts(self._session)
        self.personal_data = SqlPersonalData(
            self._session, not self._database.is_sqlite, self.purchases
        )
        try:
            if self._update_id is not None:
                if not await self._claim_update(self._update_id):
                    raise AlreadyProcessed(self._update_id)
                self._claimed.append(self._update_id)
        except BaseException:
            await self._close()
            raise
        return self

    async def _claim_update(self, update_id: int) -> bool:
        assert self._session is not None
        dialect_insert = sqlite.insert if self._database.is_sqlite else postgresql.insert
        result = await self._session.execute(
            dialect_insert(ProcessedUpdateRow)
            .values(update_id=update_id, processed_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def already_processed(self, update_ids: list[int]) -> set[int]:
        assert self._session is not None
        found = await self._session.scalars(
            select(ProcessedUpdateRow.update_id).where(ProcessedUpdateRow.update_id.in_(update_ids))
        )
        return set(found)

    async def mark_processed(self, update_ids: list[int]) -> None:
        assert self._session is not None
        if not update_ids:
            return
        dialect_insert = sqlite.insert if self._database.is_sqlite else postgresql.insert
        now = datetime.now(UTC)
        result = await self._session.execute(
            dialect_insert(ProcessedUpdateRow)
            .values([{"update_id": u, "processed_at": now} for u in update_ids])
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        if result.rowcount != len(update_ids):  # type: ignore[attr-defined]
            raise Conflict("an update was handled by another process meanwhile")
        self._claimed.extend(update_ids)

    async def keep_update_without_text(self, update: dict[str, Any]) -> None:
        assert self._update_id is not None, "a unit of work made for an update"
        await self.inbox.keep_without_text(self._update_id, update, datetime.now(UTC))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()
        if isinstance(exc, DBAPIError) and _is_retryable(exc):
            # A deadlock or a serialization failure anywhere in the unit (waiting for a row
            # lock, not only at the commit): the whole unit of work runs again (`retried`).
            raise Conflict(str(exc.orig)) from exc

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.rollback()
            await self._session.close()
            self._session = None
        if self._holds_write_turn and self._database.write_turn is not None:
            self._holds_write_turn = False
            self._database.write_turn.release()

    async def commit(self) -> None:
        assert self._session is not None, "commit outside `async with`"
        assert not self._reading, "a reading unit of work writes nothing"
        try:
            await self.outbox.flush()
            changed = await self.purchases.write_changes()
            # The events go into the log in this same transaction: none lost, none doubled.
            await self.events.append(
                (event for purchase in changed for event in purchase.events), datetime.now(UTC)
            )
            await self._session.commit()
        except DBAPIError as error:
            if _is_retryable(error):
                raise Conflict(str(error.orig)) from error
            raise
        for purchase in changed:
            purchase.version += 1
            self._events.extend(purchase.events)
            purchase.events.clear()
        self.purchases.remember_committed()
        if self._claimed and self._database.on_claimed is not None:
            self._database.on_claimed(self._claimed)
        self._claimed = []

    async def purchase_and_community(
        self, purchase_id: int, lock: bool = False
    ) -> tuple[Purchase, Community] | tuple[None, None]:
        """A purchase and the community it runs in, or (None, None) when either is gone. A
        draft (a purchase whose card could not be posted) is nobody's to see or act on. Read
        without a lock, unless `lock`: what decides on its state (a reminder that must not go
        out beside a stop under way) waits for the changers before it, as a change would."""
        load = self.purchases.get if lock else self.purchases.read
        purchase = await load(purchase_id)
        if purchase is not None and purchase.status is PurchaseStatus.DRAFT:
            return None, None
        community = await self.communities.get(purchase.community_id) if purchase else None
        if purchase is None or community is None:
            return None, None
        return purchase, community

    async def prune(self, now: datetime) -> int:
        """Forget what only matters for a while: update ids and inbox entries after a week
        (Telegram redelivers for a day at most), sent messages and handled events after a
        month. Returns rows gone."""
        assert self._session is not None
        week, month = now - timedelta(days=7), now - timedelta(days=30)
        gone = 0
        for statement in (
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.processed_at < week),
            delete(OutboxRow).where(
                OutboxRow.status == OutboxStatus.SENT.value, OutboxRow.sent_at < month
            ),
            # A purchase's stop stays: the heads' scorecards read when it came.
            delete(DomainEventRow).where(
                DomainEventRow.handled_at < month, DomainEventRow.kind != PurchaseStopped.__name__
            ),
            # Telegram redelivers for a day at most: a week-old update is history either way.
            delete(InboxRow).where(InboxRow.received_at < week),
            # A chat whose next slot passed a day ago weighs nothing on the send limits.
            delete(SendPaceRow).where(SendPaceRow.next_at < now - timedelta(days=1)),
        ):
            result = await self._session.execute(statement)
            gone += int(result.rowcount)  # type: ignore[attr-defined]
        return gone

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()

    def collected_events(self) -> list[Event]:
        return list(self._events)
