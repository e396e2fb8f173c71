"""Alembic migrations, the only way the schema is created or changed."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cluster import MIGRATIONS, SINGLETON_LOCKS
from storage.database import create_engine, is_sqlite

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class MigrationRefused(Exception):
    """A migration cannot run as things stand; the message says what the operator must do.
    Nothing of it was applied."""


def alembic_config(
    connection: Connection | None = None, secrets_keys: tuple[str, ...] = ()
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    # SECRETS_KEY's keys, for the migrations that encrypt or decrypt stored secrets.
    config.attributes["secrets_keys"] = secrets_keys
    return config


_MIGRATIONS_LOCK = f"SELECT pg_advisory_xact_lock({SINGLETON_LOCKS}, {MIGRATIONS})"


async def upgrade(url: str, revision: str = "head", secrets_keys: tuple[str, ...] = ()) -> None:
    """Bring the database at `url` up to `revision`. Several processes starting at once on
    one PostgreSQL take turns: the first migrates, the others then find nothing to do.
    `secrets_keys` (SECRETS_KEY) encrypt the secrets stored before they were."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            if not is_sqlite(url):
                await connection.execute(text(_MIGRATIONS_LOCK))
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync, secrets_keys), revision)
            )
    finally:
        await engine.dispose()


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def is_up_to_date(connection: AsyncConnection) -> bool:
    """Whether the database has every migration this code knows (and no newer one)."""
    try:
        current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # no alembic_version table: never migrated
        return False
    return bool(current == head_revision())


async def new_revision(url: str, message: str) -> None:
    """Write a migration for the difference between the models and the database at `url`."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.revision(
                    alembic_config(sync), message=message, autogenerate=True
                )
            )
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str, secrets_keys: tuple[str, ...] = ()) -> None:
    """Take the database at `url` back down to `revision` ("base" removes every table)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(sync, secrets_keys), revision)
            )
    finally:
        await engine.dispose()
