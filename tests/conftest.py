"""Fixtures shared by every test: a real PostgreSQL server for the whole run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresCluster, find_postgres_bin


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
