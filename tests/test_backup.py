"""`groupbuy backup PATH` makes a consistent SQLite copy while the bot keeps writing."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from domain import services
from storage.backup import BackupError, backup_sqlite
from storage.unit_of_work import Database
from tests.support.builders import ADMITTED, NOW
from tests.support.stored_purchase import open_purchase
from tests.test_cli_and_settings import REPO


async def test_backup_while_members_keep_joining(sqlite_template: Path, tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, live)
    url = f"sqlite+aiosqlite:///{live}"
    database = Database(url)
    purchase_id = await open_purchase(database)
    stop = asyncio.Event()

    async def keep_joining() -> int:
        member = 0
        while not stop.is_set():
            member += 1
            await services.add_units(
                database.unit_of_work(), purchase_id, member, f"M{member}", 1, 1, NOW, ADMITTED
            )
        return member

    writer = asyncio.create_task(keep_joining())
    await asyncio.sleep(0.2)
    copy = tmp_path / "copy.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(copy),
        cwd=tmp_path,
        env={"DATABASE_URL": url, "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    await asyncio.sleep(0.1)
    stop.set()
    joined = await writer
    await database.dispose()

    assert process.returncode == 0, err.decode()
    assert out.decode().startswith("backed up ")
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied_requests = connection.execute("SELECT count(*) FROM order_requests").fetchone()[0]
        (version,) = connection.execute("SELECT version FROM purchases").fetchone()
    # A consistent snapshot: the purchase's version matches exactly the log rows it holds.
    assert version == 2 + copied_requests
    assert 0 < copied_requests <= joined


def test_backup_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql+asyncpg://x@127.0.0.1/db", tmp_path / "a.db")
    with pytest.raises(BackupError, match="no database file"):
        backup_sqlite(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}", tmp_path / "a.db")
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"")
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(f"sqlite+aiosqlite:///{existing}", existing)
