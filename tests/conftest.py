"""Fixtures shared by every test: a real PostgreSQL server for the whole run (one for all of
xdist's workers), a fresh migrated database of each kind (SQLite, PostgreSQL) for every
storage test, and the emulator running alone for the tests of the emulator itself."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.driver import Sandbox
from sandbox.postgres import PostgresCluster, find_postgres_bin
from storage.migrate import upgrade
from storage.unit_of_work import Database
from tests.support.running import sandbox_running
from tests.support.scenario import Community, community_running

TEMPLATE_DATABASE = "groupbuy_template"


# What the whole run shares, made once by the process that starts the run (with xdist, the
# controller, which hands it to each worker): one PostgreSQL server with a migrated template
# database, and a migrated SQLite file. Without xdist the session fixtures make them lazily.
SHARED = pytest.StashKey["SharedServers"]()


@dataclass
class SharedServers:
    cluster: PostgresCluster | None
    sqlite_template: Path

    @classmethod
    def start(cls, root: Path) -> SharedServers:
        sqlite_template = migrated_sqlite(root / "template.db")
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            return cls(None, sqlite_template)
        cluster = PostgresCluster.start(bin_dir)
        try:
            migrate_template(cluster)
        except BaseException:
            cluster.stop()
            raise
        return cls(cluster, sqlite_template)

    def to_worker(self) -> dict[str, str]:
        shared = {"sqlite_template": str(self.sqlite_template)}
        if self.cluster is not None:
            cluster = self.cluster
            shared |= {"pg_bin": str(cluster.bin_dir), "pg_root": str(cluster.root),
                       "pg_port": str(cluster.port), "pg_run_as": cluster.run_as or ""}  # fmt: skip
        return shared


def migrated_sqlite(path: Path) -> Path:
    run_blocking(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def migrate_template(cluster: PostgresCluster) -> None:
    run_blocking(cluster.create_database(TEMPLATE_DATABASE))
    run_blocking(upgrade(cluster.url(TEMPLATE_DATABASE)))


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return  # a worker, or a run without xdist: the session fixtures start what they need
    root = Path(tempfile.mkdtemp(prefix="groupbuy-tests-"))
    try:
        config.stash[SHARED] = SharedServers.start(root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist's hook, in the controller: each worker is told where the shared servers are."""
    shared = node.config.stash.get(SHARED, None)
    if shared is not None:
        node.workerinput["groupbuy"] = shared.to_worker()


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = config.stash.get(SHARED, None)
    if shared is not None:
        if shared.cluster is not None:
            shared.cluster.stop()
        shutil.rmtree(shared.sqlite_template.parent, ignore_errors=True)


def given_by_controller(config: pytest.Config) -> dict[str, str] | None:
    given: dict[str, str] | None = getattr(config, "workerinput", {}).get("groupbuy")
    return given


@pytest.fixture(scope="session")
def postgres_cluster(request: pytest.FixtureRequest) -> Iterator[PostgresCluster]:
    """PostgreSQL once per run; skip without binaries, unless REQUIRE_POSTGRES=1 (CI)."""
    given = given_by_controller(request.config)
    if given is not None and "pg_port" in given:
        yield PostgresCluster(
            Path(given["pg_bin"]), Path(given["pg_root"]), int(given["pg_port"]),
            given["pg_run_as"] or None,
        )  # fmt: skip
        return  # the controller stops it when the whole run ends
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but no initdb/pg_ctl was found")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = PostgresCluster.start(bin_dir)
    try:
        migrate_template(cluster)
        yield cluster
    finally:
        cluster.stop()


def run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from sync code, even when an event loop is running here
    (a session fixture may be first requested from inside an async test)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def sqlite_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    given = given_by_controller(request.config)
    if given is not None:
        return Path(given["sqlite_template"])
    return migrated_sqlite(tmp_path_factory.mktemp("sqlite-template") / "template.db")


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> PostgresCluster:
    """The server, with a database migrated once that each test clones (CREATE DATABASE
    TEMPLATE)."""
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


@pytest.fixture(params=["en", "ru"])
async def bilingual(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Community]:
    """The sandbox's community running in English, then in Russian (everyone's app and the
    chat), for tests of what people read."""
    async with community_running(sqlite_url, language=request.param) as running:
        yield running


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """The emulator running with no bot, for the tests of the emulator itself."""
    async with sandbox_running() as running:
        yield running
