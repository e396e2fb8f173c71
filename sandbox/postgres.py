"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, on a free
port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg


def find_postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, from PATH or Debian's versioned layout."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unprivileged_user() -> str:
    # initdb refuses to run as root; Debian's package creates "postgres", else use "nobody".
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@dataclass
class PostgresCluster:
    """A running server; `url(database)` gives an asyncpg URL, `stop()` removes everything."""

    bin_dir: Path
    root: Path
    port: int
    run_as: str | None

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresCluster:
        root = Path(tempfile.mkdtemp(prefix="groupbuy-pg-"))
        run_as = _unprivileged_user() if os.geteuid() == 0 else None
        if run_as:
            entry = pwd.getpwnam(run_as)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bin_dir, root, _free_port(), run_as)
        data = root / "data"
        cluster._run(
            str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        # Durability is not under test here; speed is welcome.
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )
        cluster._run(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
            "-l", str(root / "server.log"), "-w", "start",
        )  # fmt: skip
        return cluster

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def execute(self, sql: str) -> None:
        """Run one statement as the superuser in the maintenance database."""
        connection = await asyncpg.connect(self.url().replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create_database(self, name: str, template: str = "") -> None:
        clause = f" TEMPLATE {template}" if template else ""
        await self.execute(f"CREATE DATABASE {name}{clause}")

    def stop(self) -> None:
        try:
            self._run(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop"
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
