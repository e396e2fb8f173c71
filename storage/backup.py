"""A consistent copy of the SQLite database while the bot keeps running (online backup API)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import SQLITE_BUSY_TIMEOUT_MS, is_sqlite


class BackupError(Exception):
    """The backup cannot be made; the message says why."""


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the database at `database_url` to `target`; returns the number of pages copied."""
    if not is_sqlite(database_url):
        raise BackupError("backup is for SQLite; use pg_dump for PostgreSQL")
    source_path = make_url(database_url).database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise BackupError(f"no database file at {source_path!r}")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    copy = sqlite3.connect(target)
    pages = 0

    def count(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total - remaining

    try:
        # Copying in steps lets the bot write between them; SQLite restarts the copy if a
        # write lands mid-way, so the result is always one consistent snapshot.
        source.backup(copy, pages=256, progress=count, sleep=0.005)
    finally:
        copy.close()
        source.close()
    return pages
