"""Migrations are the only source of the schema: they match the models and round-trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from domain import services
from domain.community import Community
from domain.payments import ClaimState
from domain.purchase import PurchaseStatus
from storage.database import create_engine
from storage.migrate import alembic_config, downgrade, heads_in_files, upgrade
from storage.schema import metadata
from storage.unit_of_work import Database
from tests.support import builders


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_the_head_read_from_the_files_is_alembic_s() -> None:
    from alembic.script import ScriptDirectory

    assert heads_in_files() == {ScriptDirectory.from_config(alembic_config()).get_current_head()}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_produce_exactly_the_models_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            assert await connection.run_sync(_tables) == set(metadata.tables)
    finally:
        await engine.dispose()


async def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    await downgrade(database_url, "base")
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        await upgrade(database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_payments_of_before_the_ledger_are_carried_over(database_url: str) -> None:
    """A purchase paid under the old `payments` table keeps what was paid and claimed."""
    await downgrade(database_url, "0007")
    engine = create_engine(database_url)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO communities (chat_id, title, timezone, currency, language, "
                    "open_rule) VALUES (-1, 'Block 5', 'UTC', 'EUR', 'en', 'anyone')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO purchases (id, community_id, head_id, title, description, "
                    "supplier, currency, status, deadline, created_at, fee_percent, "
                    "delivery_split, regions, payment_mode, short_policy, extended, "
                    "awaiting_head_decision, cancel_reason, version) VALUES (1, -1, 1000, 'Honey', "
                    "'', '', 'EUR', 'stopped', :now, :now, '0', 'by_amount', '[]', 'prepay', "
                    "'fail', false, false, '', 1)"
                ),
                {"now": now if "postgresql" in database_url else now.replace(tzinfo=None)},
            )
            for member, state, paid in (
                (1, "confirmed", 1250),
                (2, "partly_paid", 1000),
                (3, "claimed", None),
                (4, "rejected", None),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO payments (purchase_id, member_id, state, paid_minor) "
                        "VALUES (1, :member, :state, :paid)"
                    ),
                    {"member": member, "state": state, "paid": paid},
                )
            await connection.execute(
                text("INSERT INTO withdrawal_requests (purchase_id, member_id) VALUES (1, 3)")
            )
        await upgrade(database_url)
        database = Database(database_url)
        try:
            async with database.unit_of_work() as uow:
                purchase = await uow.purchases.get(1)
        finally:
            await database.dispose()
    finally:
        await engine.dispose()
    assert purchase is not None
    assert [
        (e.member_id, e.amount.minor, e.kind.value, e.recorded_by) for e in purchase.ledger
    ] == [
        (1, 1250, "payment", 1000),
        (2, 1000, "payment", 1000),
    ]
    assert [(c.member_id, c.amount, c.state) for c in purchase.claims] == [
        (3, None, ClaimState.OPEN),
        (4, None, ClaimState.NOT_FOUND),
    ]
    assert (purchase.withdrawal_requests, purchase.withdrawal_requests_made) == ({3: 1}, 1)
    assert purchase.pay_to == "" and purchase.pay_by is None


async def published(database_url: str, deadlines: list[datetime]) -> list[int]:
    """A purchase published a day before each deadline in a community of the builders'."""
    database = Database(database_url)
    try:
        community = Community(builders.purchase().community_id, "Block 5", "UTC", "EUR", "en")
        await services.register_community(database.unit_of_work(), community)
        ids = []
        for deadline in deadlines:
            draft = replace(builders.purchase(), id=0, deadline=deadline)
            ids.append(await services.publish_purchase(
                database.unit_of_work(), draft, deadline - timedelta(days=1), Decimal(10)
            ))  # fmt: skip
        return ids
    finally:
        await database.dispose()


async def test_drafts_of_before_open_with_their_card_to_be_posted_unless_past_due(
    database_url: str,
) -> None:
    """A draft the version before left (stopped before its card was posted) is opened with its
    card to be posted, as publishing now does; one whose deadline passed stays a draft."""
    now = datetime.now(UTC)
    ids = await published(database_url, [now + timedelta(days=3), now - timedelta(days=1)])
    await downgrade(database_url, "0017")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE purchases SET status = 'draft'"))
    finally:
        await engine.dispose()
    await upgrade(database_url)
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            due, past = await uow.purchases.get_many(ids)
            awaited = [await uow.telegram.card_awaited(purchase_id) for purchase_id in ids]
    finally:
        await database.dispose()
    assert (due.status, past.status) == (PurchaseStatus.OPEN, PurchaseStatus.DRAFT)
    assert awaited == [builders.purchase().community_id, None]


async def test_what_the_head_was_told_of_the_minimum_is_taken_from_the_outbox(
    database_url: str,
) -> None:
    """An open purchase keeps what its head was told last of the minimum, as the outbox still
    says it; a purchase past its stop, or one never told, starts with nothing noted."""
    now = datetime.now(UTC)
    ids = await published(database_url, [now + timedelta(days=3)] * 4)
    await downgrade(database_url, "0024")
    reached, lost, stopped, untold = ids
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE purchases SET status = 'stopped' WHERE id = :id"), {"id": stopped}
            )
            for number, key in enumerate([
                f"moq:{lost}:1:reached", f"moq:{reached}:2:reached", f"moq:{lost}:3:lost",
                f"moq:{stopped}:4:reached", f"moqx:{untold}:5:reached",
            ]):  # fmt: skip
                await connection.execute(
                    text(
                        "INSERT INTO outbox (key, chat_id, payload, status, attempts, "
                        "next_attempt_at, last_error, created_at) VALUES (:key, 1000, '{}', "
                        "'sent', 1, :now, '', :now)"
                    ),
                    {"key": key, "now": now + timedelta(seconds=number)},
                )
    finally:
        await engine.dispose()
    await upgrade(database_url)
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            told = [await uow.events.told_moq_reached(purchase_id) for purchase_id in ids]
        async with database.sessions() as session:
            noted = set(await session.scalars(text("SELECT purchase_id FROM moq_notices")))
    finally:
        await database.dispose()
    assert told == [True, False, False, False]
    assert noted == {reached, lost}
