"""Alembic migrations, the only way the schema is created or changed."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cluster import MIGRATIONS, SINGLETON_LOCKS
from storage.database import create_engine, is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only where a migration runs: it costs every start about 0.13 s of CPU
# and 9 MB, and a worker starting on a database already up to date needs none of it.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# A migration file's `revision: str = "0026"` and `down_revision: str | None = "0025"` lines.
REVISION_LINE = re.compile(r'^(down_revision|revision)\b[^=\n]*= (?:"([^"]*)"|None)', re.MULTILINE)


class MigrationRefused(Exception):
    """A migration cannot run as things stand; the message says what the operator must do.
    Nothing of it was applied."""


def alembic_config(
    connection: Connection | None = None, secrets_keys: tuple[str, ...] = ()
) -> Config:
    from alembic.config import Config

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
        if revision == "head":
            async with engine.connect() as connection:
                if await is_up_to_date(connection):
                    return  # the usual start: nothing to migrate, and alembic never loaded
        from alembic import command

        async with engine.begin() as connection:
            if not is_sqlite(url):
                await connection.execute(text(_MIGRATIONS_LOCK))
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(sync, secrets_keys), revision)
            )
    finally:
        await engine.dispose()


def heads_in_files() -> set[str]:
    """The migrations no other follows, read from the files' revision lines (no alembic)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        lines = dict(REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in lines:
            revisions.add(lines["revision"])
            followed.add(lines.get("down_revision", ""))
    return revisions - followed


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code knows; alembic's own answer where the files are not one
    chain (alembic then refuses to upgrade, and says why)."""
    heads = heads_in_files()
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

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
    from alembic import command

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
    from alembic import command

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(sync, secrets_keys), revision)
            )
    finally:
        await engine.dispose()
