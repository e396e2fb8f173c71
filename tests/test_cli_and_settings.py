"""The `groupbuy` command as an operator meets it: help, config errors, no token."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

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
    typed = "/start\n!as Alice\n!in group\n/help\n!press 9\n!who\n!quit\n"
    result = groupbuy("run", tmp_path=tmp_path, stdin=typed, SANDBOX_PAGE_PORT="0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "@BotFather" in out
    assert "BOT_TOKEN=" in out
    assert "listens on http://127.0.0.1:" in out
    assert re.search(r"Open http://127\.0\.0\.1:\d+/ in a browser", out)
    assert "[Hanna's private chat] bot: Hello! I help neighbours buy together." in out
    assert 'typing in group "Block 5 neighbours"' in out
    assert "no such button in this chat" in out
    assert "Bob (has not started the bot)" in out
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
