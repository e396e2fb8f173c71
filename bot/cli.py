"""The `groupbuy` command: run the bot, apply migrations, check the configuration, back up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.logging_setup import REDACTED, TOKEN_PATTERN, setup_logging
from bot.process import BotApplication
from bot.settings import Settings, SettingsError, load_settings
from storage.backup import BackupError, backup_sqlite
from storage.database import (
    DatabaseUnavailable,
    HeldByAnotherProcess,
    check_sqlite_folder,
    explain_failure,
    hold_sqlite_file,
)
from storage.migrate import MigrationRefused, upgrade
from storage.secrets import Secrets
from storage.unit_of_work import Database

if TYPE_CHECKING:  # the sandbox is loaded only when the bot runs without a token
    from sandbox.emulator import TelegramSandbox

log = logging.getLogger(__name__)

EXIT_CONFIG_ERROR = 2
# A webhook worker stopped (or not started) because a poller took the updates over: not to
# be restarted by systemd until the operator says so (deploy/groupbuy@.service).
EXIT_TAKEN_OVER = 3

NO_TOKEN_HELP = """\
No BOT_TOKEN is configured, so the bot runs against the local sandbox instead of Telegram.
To use real Telegram, start a chat with @BotFather, send /newbot and answer its two questions
(a display name, then a username ending in "bot"); it answers with a token like 123456789:AAH...
Put it in a file named .env next to the README as BOT_TOKEN=123456789:AAH... (.env.example lists
every other setting), then run `make run` again.
"""
SANDBOX_DATABASE_URL = "sqlite+aiosqlite:///sandbox.db"
SANDBOX_CAST_FILE = "sandbox-people.json"


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None


def _secrets(settings: Settings) -> tuple[str, ...]:
    """Every secret the settings hold: the token, the webhook's secret, the database's
    password; none of them may reach a log line or the terminal."""
    secrets = [
        secret.get_secret_value()
        for secret in (settings.bot_token, settings.webhook_secret, settings.payment_provider_token)
        if secret is not None
    ]
    secrets += settings.secrets_keys
    password = make_url(settings.database_url).password
    if password:
        secrets.append(str(password))
    return tuple(secrets)


def shown(settings: Settings) -> dict[str, str]:
    """The settings as check-config prints them: secrets hidden, URLs without passwords."""
    secrets = _secrets(settings)
    result = {}
    for name, value in settings.model_dump().items():
        if name in {"bot_token", "webhook_secret", "secrets_key"}:
            text = "(set, hidden)" if value else ""
        elif name == "database_url":
            text = make_url(value).render_as_string(hide_password=True)
        else:
            text = "" if value is None else str(value)
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        result[name.upper()] = TOKEN_PATTERN.sub(REDACTED, text)
    return result


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply migrations, then serve updates (polling, or a webhook when WEBHOOK_URL is set)."""
    from bot.app import build_application
    from bot.serving import run_application
    from bot.takeover import TakenOver

    if settings.bot_token is None:
        print(NO_TOKEN_HELP)
        from sandbox.console import SandboxCannotStart

        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(run_sandbox(settings))
        except (SandboxCannotStart, HeldByAnotherProcess) as error:
            print(f"groupbuy: {error}", file=sys.stderr)
            return EXIT_CONFIG_ERROR
        return 0

    try:
        held = hold_sqlite_file(settings.database_url)  # until the bot stops
    except HeldByAnotherProcess as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    try:
        _migrate_or_exit(settings)
        log.info("database is up to date; starting the bot")
        return run_application(build_application(settings), settings)
    except TakenOver as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        return EXIT_TAKEN_OVER
    except HeldByAnotherProcess as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    finally:
        if held is not None:
            held.close()


def _migrate_or_exit(settings: Settings) -> None:
    """Bring the database up to date; a database that cannot be opened stops start-up with one
    line naming the problem and the setting, not a page of traceback."""
    url = settings.database_url
    try:
        check_sqlite_folder(url)
        asyncio.run(upgrade(url, secrets_keys=settings.secrets_keys))
    except MigrationRefused as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    except DatabaseUnavailable as error:
        _database_exit(settings, error)
    except Exception as error:  # any driver's failure to connect lands here
        _database_exit(settings, explain_failure(url, error))


def _database_exit(settings: Settings, error: DatabaseUnavailable) -> None:
    shown_url = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"groupbuy: {error} (DATABASE_URL={shown_url})", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG_ERROR)


async def run_sandbox(settings: Settings) -> None:
    """The bot against the local sandbox, with its own database unless one was configured,
    and a key of its own for this run unless SECRETS_KEY is set (the sandbox's payment
    providers last one run too: a token an earlier run kept counts as unset)."""
    if "database_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"database_url": SANDBOX_DATABASE_URL})
    if settings.secrets_key is None:
        settings = settings.model_copy(
            update={"secrets_key": SecretStr(Fernet.generate_key().decode())}
        )
    held = hold_sqlite_file(settings.database_url)
    try:
        await _run_sandbox(settings)
    finally:
        if held is not None:
            held.close()


async def _run_sandbox(settings: Settings) -> None:
    from bot.app import build_application
    from sandbox.cast import Cast
    from sandbox.console import run_console

    await upgrade(settings.database_url, secrets_keys=settings.secrets_keys)

    def build(emulator: TelegramSandbox) -> BotApplication:
        sandboxed = settings.model_copy(
            update={
                "bot_token": SecretStr(emulator.token),
                "bot_api_base_url": emulator.base_url,
                # The catalog Mini App on the loopback: the chat page opens it in a frame.
                "mini_app_listen": settings.mini_app_listen or "127.0.0.1:0",
                # Telegram Payments as the sandbox stands in for them: its own test provider.
                "payment_provider_token": settings.payment_provider_token
                or SecretStr(emulator.payment_provider_token),
            }
        )
        return build_application(sandboxed)

    # The people and groups of earlier runs come back when the database is the sandbox's own.
    cast = Cast(Path(SANDBOX_CAST_FILE)) if settings.database_url == SANDBOX_DATABASE_URL else None
    first_update_id = await next_update_id(settings.database_url)
    await run_console(
        build, page_port=settings.sandbox_page_port, cast=cast, first_update_id=first_update_id
    )


async def next_update_id(database_url: str) -> int:
    """Where the sandbox's update ids go on: after those of earlier runs, which the database
    remembers as handled (from 1 again, a new run's first changes were taken for done ones)."""
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            return await uow.inbox.highest_update_id() + 1
    finally:
        await database.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply every pending Alembic migration to DATABASE_URL."""
    _migrate_or_exit(settings)
    print("database is up to date")
    return 0


def cmd_check_config(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the settings in effect (secrets hidden) and exit 0 when they are valid."""
    for name, value in shown(settings).items():
        print(f"{name}={value}")
    print("configuration is valid")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the SQLite database to PATH, consistently, even while the bot runs."""
    try:
        pages = backup_sqlite(settings.database_url, Path(args.path))
    except BackupError as error:
        print(f"groupbuy: {error}", file=sys.stderr)
        return 1
    print(f"backed up {pages} pages to {args.path}")
    return 0


def cmd_rotate_secrets(settings: Settings, _args: argparse.Namespace) -> int:
    """Encrypt every stored payment token again with SECRETS_KEY's first key (rotation)."""
    if not settings.secrets_keys:
        print("groupbuy: SECRETS_KEY is not set; see docs/security.md", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    _migrate_or_exit(settings)
    resealed, unreadable = asyncio.run(_rotate(settings))
    print(f"{resealed} payment tokens encrypted with the first key of SECRETS_KEY")
    if unreadable:
        chats = ", ".join(str(chat_id) for chat_id in unreadable)
        print(
            f"groupbuy: no key of SECRETS_KEY decrypts the token of communities {chats}; "
            "they are left as they are (and count as unset)",
            file=sys.stderr,
        )
        return 1
    return 0


async def _rotate(settings: Settings) -> tuple[int, list[int]]:
    database = Database(settings.database_url, Secrets(settings.secrets_keys))
    try:
        async with database.unit_of_work() as uow:
            found = await uow.communities.reseal_tokens()
            await uow.commit()
    finally:
        await database.dispose()
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupbuy",
        description="GroupBuy bot: community group buying in Telegram. "
        "Settings come from the environment or a .env file (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler in (
        ("run", cmd_run),
        ("migrate", cmd_migrate),
        ("check-config", cmd_check_config),
        ("backup", cmd_backup),
        ("rotate-secrets", cmd_rotate_secrets),
    ):
        summary = (handler.__doc__ or "").strip()
        command = commands.add_parser(name, help=summary, description=summary)
        command.set_defaults(handler=handler)
        if name == "backup":
            command.add_argument("path", help="the new file to write the copy to")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings_or_exit()
    setup_logging(settings.log_level, _secrets(settings))
    result: int = args.handler(settings, args)
    return result
