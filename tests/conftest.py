"""Fixtures shared by every test: a real PostgreSQL server for the whole run, and a fresh
migrated database of each kind (SQLite, PostgreSQL) for every storage test."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox.postgres import PostgresCluster, find_postgres_bin
from storage.migrate import upgrade
from storage.unit_of_work import Database

TEMPLATE_DATABASE = "groupbuy_template"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start PostgreSQL once per run; skip without binaries, unless REQUIRE_POSTGRES=1 (CI)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but no initdb/pg_ctl was found")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = PostgresCluster.start(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


def run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from sync code, even when an event loop is running here
    (a session fixture may be first requested from inside an async test)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_blocking(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> PostgresCluster:
    """A PostgreSQL database migrated once; each test gets a clone (CREATE DATABASE TEMPLATE)."""
    run_blocking(postgres_cluster.create_database(TEMPLATE_DATABASE))
    run_blocking(upgrade(postgres_cluster.url(TEMPLATE_DATABASE)))
    return postgres_cluster


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A freshly migrated, empty database of each kind, for one test."""
    if request.param == "sqlite":
        copy = tmp_path / "groupbuy.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    async with cloned_database(request.getfixturevalue("postgres_template")) as url:
        yield url


@asynccontextmanager
async def cloned_database(cluster: PostgresCluster) -> AsyncIterator[str]:
    """A fresh clone of the migrated template database, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await cluster.create_database(name, TEMPLATE_DATABASE)
    try:
        yield cluster.url(name)
    finally:
        await cluster.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
async def postgres_url(postgres_template: PostgresCluster) -> AsyncIterator[str]:
    """A freshly migrated PostgreSQL database, for what only PostgreSQL does (several
    processes on one database)."""
    async with cloned_database(postgres_template) as url:
        yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database, for bot tests that need one but not both kinds."""
    copy = tmp_path / "bot.db"
    shutil.copy(sqlite_template, copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()
