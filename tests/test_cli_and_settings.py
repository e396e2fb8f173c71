"""The `groupbuy` command as an operator meets it: help, config errors, no token."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.postgres import PostgresCluster

REPO = Path(__file__).resolve().parent.parent
FAKE_TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"


def groupbuy(
    *args: str, tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` in an empty folder (no .env) with only the given settings."""
    clean = {key: value for key, value in os.environ.items() if key.isupper()}
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "DEFAULT_TIMEZONE", "WEBHOOK_URL"):
        clean.pop(name, None)
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**clean, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", ["run", "migrate", "check-config", "backup"])
def test_every_subcommand_explains_itself_with_help(command: str, tmp_path: Path) -> None:
    result = groupbuy(command, "--help", tmp_path=tmp_path)
    assert result.returncode == 0
    assert f"usage: groupbuy {command}" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("ADMIN_IDS", "12,abc", "'abc' is not a numeric Telegram user id"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "is not an IANA timezone"),
        ("BOT_API_BASE_URL", "ftp://example", "is not an http:// or https:// URL"),
        ("DATABASE_URL", "sqlite:///x.db", "async drivers"),
        ("DEFAULT_CURRENCY", "XXY", "is not an ISO 4217 currency code"),
        ("MAX_FEE_PERCENT", "150", "less than or equal to 100"),
        ("BOT_TOKEN", "not-a-token", "123456:ABC-DEF"),
        ("DEFAULT_LANGUAGE", "fr", "is not one of en, ru, zh_Hans"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_one_line_naming_it(
    name: str, value: str, problem: str, tmp_path: Path
) -> None:
    result = groupbuy("check-config", tmp_path=tmp_path, **{name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"groupbuy: invalid setting {name}: ")
    assert problem in lines[0]
    assert "Traceback" not in result.stderr


def test_check_config_shows_settings_but_never_the_token(tmp_path: Path) -> None:
    result = groupbuy("check-config", tmp_path=tmp_path, BOT_TOKEN=FAKE_TOKEN, ADMIN_IDS="1, 2")
    assert result.returncode == 0, result.stderr
    assert "ADMIN_IDS=(1, 2)" in result.stdout
    assert "BOT_TOKEN=(set, hidden)" in result.stdout
    assert FAKE_TOKEN not in result.stdout + result.stderr


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=Europe/Moscow\nDEFAULT_CURRENCY=rub\n")
    result = groupbuy("check-config", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "DEFAULT_TIMEZONE=Europe/Moscow" in result.stdout
    assert "DEFAULT_CURRENCY=RUB" in result.stdout


def test_run_without_a_token_starts_the_sandbox_and_the_bot_answers(tmp_path: Path) -> None:
    typed = "/start\n/operator 10002\n!as Alice\n!in group\n/help\n!press 9\n!who\n!quit\n"
    result = groupbuy(
        "run", tmp_path=tmp_path, stdin=typed, SANDBOX_PAGE_PORT="0", ADMIN_IDS="10001"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "@BotFather" in out
    assert "BOT_TOKEN=" in out
    assert "listens on http://127.0.0.1:" in out
    assert re.search(r"Open http://127\.0\.0\.1:\d+/ in a browser", out)
    assert "[Hanna's private chat] bot: Hello! I help neighbours buy together." in out
    # The ids the help names are the people's: with ADMIN_IDS=10001 Hanna is a platform admin.
    assert "People's ids: Hanna 10001, Alice 10002, Bob 10003." in out
    assert "start it with `ADMIN_IDS=10001 make run`" in out
    # The admin typed an id: the answer names the person; Alice has not opened the bot yet.
    assert "Alice (10002) runs campaigns now. They have not started the bot yet" in out
    assert 'typing in group "Block 5 neighbours"' in out
    assert "no such button in this chat" in out
    assert "Bob, id 10003 (has not started the bot)" in out
    assert out.rstrip().endswith("sandbox stopped")
    # the sandbox keeps its own database, apart from a real bot's
    assert (tmp_path / "sandbox.db").exists()
    assert not (tmp_path / "groupbuy.db").exists()


def test_the_sandbox_console_ends_at_end_of_input(tmp_path: Path) -> None:
    result = groupbuy("run", tmp_path=tmp_path, stdin="", SANDBOX_PAGE_PORT="0")
    assert result.returncode == 0, result.stderr
    assert "sandbox stopped" in result.stdout


def test_a_taken_chat_page_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = groupbuy("run", tmp_path=tmp_path, SANDBOX_PAGE_PORT=str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"groupbuy: cannot serve the chat page on 127.0.0.1:{port} (address already in use); "
        "set SANDBOX_PAGE_PORT to a free port (0 picks one)"
    ), result.stderr


def test_migrate_creates_the_database_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    result = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stdout
    assert (tmp_path / "bot.db").exists()


def test_check_config_hides_the_database_password_and_every_secret(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://bob:S3cr3t-pass@db.example:5432/groupbuy"
    result = groupbuy(
        "check-config", tmp_path=tmp_path, BOT_TOKEN=FAKE_TOKEN, DATABASE_URL=url,
        WEBHOOK_URL="https://bot.example/hook", WEBHOOK_SECRET="hook-s3cret-of-twenty",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "DATABASE_URL=postgresql+asyncpg://bob:***@db.example:5432/groupbuy" in result.stdout
    assert "WEBHOOK_SECRET=(set, hidden)" in result.stdout
    assert "WEBHOOK_LISTEN=127.0.0.1:8443" in result.stdout
    for secret in ("S3cr3t-pass", "hook-s3cret-of-twenty", FAKE_TOKEN):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"WEBHOOK_URL": "https://bot.example/hook"}, "WEBHOOK_SECRET: webhook mode"),
        (
            {"WEBHOOK_URL": "https://bot.example/hook", "WEBHOOK_SECRET": "not allowed! at all"},
            "WEBHOOK_SECRET: use 16 to 256 characters",
        ),
        (  # one character, or fifteen, can be guessed: whoever does may forge updates
            {"WEBHOOK_URL": "https://bot.example/hook", "WEBHOOK_SECRET": "x"},
            "WEBHOOK_SECRET: use 16 to 256 characters of A-Z a-z 0-9 _ - (make one with: "
            'python3 -c "import secrets; print(secrets.token_urlsafe(32))")',
        ),
        (
            {"WEBHOOK_URL": "https://bot.example/hook", "WEBHOOK_SECRET": "fifteen-chars15"},
            "WEBHOOK_SECRET: use 16 to 256 characters",
        ),
        ({"METRICS_LISTEN": "9100"}, "METRICS_LISTEN: '9100' is not host:port"),
        ({"WEBHOOK_LISTEN": "8443"}, "WEBHOOK_LISTEN: '8443' is not host:port"),
        ({"WEBHOOK_LISTEN": "0.0.0.0:99999"}, "WEBHOOK_LISTEN: '0.0.0.0:99999' is not host:port"),
    ],
)
def test_webhook_mode_refuses_to_start_unsigned_or_unplaced(
    settings: dict[str, str], problem: str, tmp_path: Path
) -> None:
    result = groupbuy("run", tmp_path=tmp_path, BOT_TOKEN=FAKE_TOKEN, **settings)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("groupbuy: invalid setting ")
    assert problem in lines[0]


def _one_line_exit(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_database_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'bot.db'}"
    result = groupbuy("run", tmp_path=tmp_path, BOT_TOKEN=FAKE_TOKEN, DATABASE_URL=url)
    _one_line_exit(result, "does not exist; create it first", f"DATABASE_URL={url}")


def test_a_locked_or_broken_sqlite_database_is_one_line(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    assert groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url).returncode == 0
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the database
        result = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url)
        _one_line_exit(result, "is locked by another process", "DATABASE_URL=")
    finally:
        holder.close()
    broken = tmp_path / "broken.db"
    broken.write_text("this is not a database")
    result = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{broken}")
    _one_line_exit(result, "file is not a database")


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    url = f"postgresql+asyncpg://bob:S3cr3t@127.0.0.1:{port}/groupbuy"
    result = groupbuy("run", tmp_path=tmp_path, BOT_TOKEN=FAKE_TOKEN, DATABASE_URL=url)
    line = _one_line_exit(result, f"127.0.0.1:{port}", "connection was refused", "bob:***@")
    assert "S3cr3t" not in line


def test_a_missing_postgresql_database_is_one_line(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = postgres_cluster.url("no_such_database")
    result = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url)
    _one_line_exit(result, "the database 'no_such_database' does not exist")
