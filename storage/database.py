"""Engines for SQLite (embedded default) and PostgreSQL, tuned for a bot's many small writes."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000
POOL_TIMEOUT_SECONDS = 120
# A PostgreSQL server that does not answer at all should fail start-up soon, with a reason.
CONNECT_TIMEOUT_SECONDS = 10


class DatabaseUnavailable(Exception):
    """The database cannot be opened; the message says why in one line, for an operator."""


class HeldByAnotherProcess(Exception):
    """Another bot process holds what only one may (an SQLite file, polling); one line."""


def hold_sqlite_file(url: str) -> IO[bytes] | None:
    """Make this the one process using the SQLite database at `url` for as long as the
    returned file stays open (None: not SQLite, or an in-memory database). SQLite means one
    process: a second bot on the same file would interleave with the first's write turn and
    both would run every timer."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    path = Path(parsed.database).expanduser().resolve()
    if not path.parent.is_dir():
        return None  # check_sqlite_folder says so, in its words
    held = path.open("ab")  # created if missing; SQLite's own locks are fcntl's, not flock's
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        raise HeldByAnotherProcess(
            f"another bot process is running on the SQLite database {path}; SQLite means "
            "one process: stop the other one, or use PostgreSQL to run several"
        ) from None
    return held


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, reading: bool = False) -> AsyncEngine:
    """An async engine; on SQLite with WAL, a busy timeout and foreign keys on every connection.
    `reading`: an SQLite engine whose transactions only read (WAL lets them read the last
    commit beside the one writer, neither waiting for the other)."""
    if not is_sqlite(url):
        # A rush of taps on one card queues on its row lock, each tap holding a connection:
        # the 1,000-tap benchmark kept the last ones waiting over SQLAlchemy's default 30 s
        # for a connection, and a tap that times out there is lost unanswered.
        return create_async_engine(
            url, pool_size=10, max_overflow=10, pool_timeout=POOL_TIMEOUT_SECONDS,
            pool_pre_ping=True, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
        )  # fmt: skip
    # Readers run side by side (a rush of 200 checkouts, card redraws), each connection a
    # thread of aiosqlite's: four of them, the others waiting their turn in the event loop
    # (as long as on PostgreSQL: none lost to a time-out). Twenty threads contending for the
    # interpreter answered a rush of checkouts slower than four (p50 3.9× the bare bot's
    # answer against 2.7×, bench.checkout_rush).
    pool = {"pool_size": 4, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_SECONDS}
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **(pool if reading else {})
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would delay BEGIN; we issue it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Text a write replaces (an update's token blanked in the inbox) is zeroed in its page,
        # not left for a backup to copy; FAST: only where that costs no extra I/O.
        cursor.execute("PRAGMA secure_delete=FAST")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # Take the write lock at BEGIN: a read that later upgrades to a write could otherwise
        # fail with "database is locked" without waiting for the busy timeout. A reader's
        # transaction is deferred: it takes no lock and sees one snapshot throughout.
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def explain_failure(url: str, error: BaseException) -> DatabaseUnavailable:
    """What went wrong opening the database at `url`, as one line naming the cause."""
    parsed = make_url(url)
    cause = getattr(error, "orig", None) or error.__cause__ or error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if "locked" in text:
            return DatabaseUnavailable(
                f"the SQLite database {path} is locked by another process "
                "(another bot, a backup, a sqlite3 shell?)"
            )
        if "unable to open" in text:
            return DatabaseUnavailable(f"cannot open the SQLite database file {path}: {text}")
        return DatabaseUnavailable(f"the SQLite database {path} cannot be used: {text}")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    name = type(cause).__name__
    if isinstance(cause, ConnectionRefusedError) or "refused" in text.lower():
        reason = "the connection was refused (is the server running, on that port?)"
    elif isinstance(cause, TimeoutError) or "timeout" in name.lower():
        reason = f"no answer within {CONNECT_TIMEOUT_SECONDS} s"
    elif name == "InvalidPasswordError" or "password authentication failed" in text:
        reason = f"the server refused the login of user {parsed.username!r}"
    elif name == "InvalidCatalogNameError" or "does not exist" in text:
        reason = f"the database {parsed.database!r} does not exist on it"
    elif isinstance(cause, OSError):
        reason = text or name
    else:
        reason = text
    return DatabaseUnavailable(f"cannot use PostgreSQL at {where}: {reason}")


def check_sqlite_folder(url: str) -> None:
    """An SQLite file can be created only in a folder that exists: say so before trying."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    folder = Path(parsed.database).expanduser().resolve().parent
    if not folder.is_dir():
        raise DatabaseUnavailable(
            f"the folder {folder} for the SQLite database does not exist; create it first"
        )
