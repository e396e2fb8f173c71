"""The PostgreSQL fixture starts a real server that answers queries."""

from sqlalchemy import text

from sandbox.postgres import PostgresCluster
from storage.database import create_engine


async def test_the_test_run_starts_a_real_postgresql_server(
    postgres_cluster: PostgresCluster,
) -> None:
    engine = create_engine(postgres_cluster.url())
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SELECT version()"))).scalar_one()
    finally:
        await engine.dispose()
    assert version.startswith("PostgreSQL ")
