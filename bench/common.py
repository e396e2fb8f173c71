"""What the benchmarks share: a database of either kind, bulk seeding through the real
repositories, and reading what the sandbox delivered."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert

from bot.app import build_application
from bot.lifecycle import polling
from bot.settings import Settings
from domain.community import Community
from domain.money import Money
from domain.purchase import Item, Moq, Purchase
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.model import SandboxChat, SandboxMessage
from sandbox.postgres import PostgresCluster, find_postgres_bin
from storage.community_tables import BotUserRow
from storage.migrate import upgrade
from storage.unit_of_work import Database

KINDS = ("sqlite", "postgresql")


@asynccontextmanager
async def bot_with_card(
    database_url: str, template: str, title: str
) -> AsyncIterator[tuple[Sandbox, SandboxChat, SandboxMessage]]:
    """The bot polling a fresh sandbox, a head's group with the bot an admin there, and the
    card the head published by `template` (found by its `title`)."""
    async with bot_with_cards(database_url, {title: template}) as (sandbox, chat, [card]):
        yield sandbox, chat, card


@asynccontextmanager
async def bot_with_cards(
    database_url: str, templates: dict[str, str]
) -> AsyncIterator[tuple[Sandbox, SandboxChat, list[SandboxMessage]]]:
    """As `bot_with_card`, with one card per title → template, published one after another
    in the same group."""
    emulator = TelegramSandbox()
    await emulator.start()
    sandbox = Sandbox(emulator)
    head = sandbox.user("Hanna")
    chat = sandbox.group("Block 5", admins=[head])
    try:
        async with polling(build_application(bot_settings(emulator, database_url))):
            await sandbox.add_bot(chat, by=head, as_admin=True)
            cards = []
            for title, template in templates.items():
                sent = await sandbox.send(head, template, chat=chat)
                cards.append(await sandbox.wait_for_message(chat.id, title, after=sent, timeout=30))
            yield sandbox, chat, cards
    finally:
        await emulator.stop()


def bot_settings(emulator: TelegramSandbox, database_url: str) -> Settings:
    """The bot's settings against the sandbox, quiet but for warnings."""
    return Settings(
        bot_token=SecretStr(emulator.token), bot_api_base_url=emulator.base_url,
        database_url=database_url, log_level="WARNING",
    )  # fmt: skip


def benchmark_parser(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring as help, and --database sqlite|postgresql|both."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=[*KINDS, "both"], default="both")
    return parser


def kinds_chosen(args: argparse.Namespace) -> list[str]:
    return list(KINDS) if args.database == "both" else [args.database]


@asynccontextmanager
async def database_of(kind: str, folder: Path) -> AsyncIterator[str]:
    """A freshly migrated database: a SQLite file in `folder`, or a throwaway PostgreSQL
    server started for this run. Yields its URL."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        await upgrade(url)
        yield url
        return
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = await asyncio.to_thread(PostgresCluster.start, bin_dir)
    try:
        await cluster.create_database("bench")
        url = cluster.url("bench")
        await upgrade(url)
        yield url
    finally:
        await asyncio.to_thread(cluster.stop)


@asynccontextmanager
async def work_folder() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(prefix="groupbuy-bench-") as folder:
        yield Path(folder)


def open_purchase(
    community_id: int, head_id: int, title: str, deadline: datetime, now: datetime
) -> Purchase:
    """A published purchase of one item, minimum order one unit."""
    purchase = Purchase(
        community_id=community_id, head_id=head_id, title=title, currency="EUR",
        items=[Item(item_id=1, name="Honey 1 kg", unit_price=Money.parse("12.50", "EUR"))],
        deadline=deadline, created_at=now, moq=Moq(units=1),
    )  # fmt: skip
    purchase.validate(now, Decimal(10))
    purchase.publish(now)
    return purchase


async def seed(
    url: str,
    communities: Iterable[Community],
    purchases: list[Purchase],
    started_users: Iterable[int],
    batch: int = 200,
) -> list[int]:
    """Store communities, purchases (as they stand, without their events: no notices follow)
    and the people who started the bot; returns the purchases' ids."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.unit_of_work() as uow:
            for community in communities:
                await uow.communities.add(community)
            await uow.commit()
        users = [
            {"user_id": u, "started_at": now, "language": "en", "reminders_off": False}
            for u in started_users
        ]
        async with database.sessions() as session:
            for start in range(0, len(users), 5000):
                await session.execute(insert(BotUserRow), users[start : start + 5000])
            await session.commit()
        for start in range(0, len(purchases), batch):
            async with database.unit_of_work() as uow:
                for purchase in purchases[start : start + batch]:
                    purchase.events.clear()
                    await uow.purchases.add(purchase)
                await uow.commit()
    finally:
        await database.dispose()
    return [p.id for p in purchases]


class Deliveries:
    """Messages the sandbox accepted into private chats, read incrementally from its call log
    (cheap enough to poll while the bot sends): `per_chat` counts the notices (a text, or a
    photo whose caption is the notice), `photos` the photos, `times` every message (what
    Telegram's 30/s counts)."""

    def __init__(self, emulator: TelegramSandbox, marker: str = "") -> None:
        self._emulator = emulator
        self._marker = marker  # how a notice begins: a photo that does not is not one
        self._read = 0
        self.per_chat: Counter[int] = Counter()
        self.photos: Counter[int] = Counter()
        self.times: list[float] = []

    def update(self) -> int:
        """Notices delivered so far."""
        calls = self._emulator.calls
        for call in calls[self._read :]:
            if call.method in ("sendMessage", "sendPhoto") and call.status == 200:
                chat_id = int(call.params["chat_id"])
                if chat_id > 0:
                    self.times.append(call.at)
                    if call.method == "sendPhoto":
                        self.photos[chat_id] += 1
                    caption = str(call.params.get("caption") or "")
                    if call.method == "sendMessage" or (
                        self._marker and caption.startswith(self._marker)
                    ):
                        self.per_chat[chat_id] += 1
        self._read = len(calls)
        return self.per_chat.total()

    def rate_limited(self) -> int:
        return len(self._emulator.rate_limited)


async def wait_until(condition: Callable[[], object], timeout: float, poll: float = 0.2) -> bool:
    """Poll `condition()` until true or `timeout` seconds pass; returns whether it held."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report_errors(log: Path) -> None:
    """Print the first error the bot logged, with its traceback: a benchmark must not hide one."""
    lines = log.read_text().splitlines()
    errors = [n for n, line in enumerate(lines) if " ERROR " in line]
    if errors:
        print(f"  the bot logged {len(errors)} errors; the first:")
        print("\n".join("    " + line for line in lines[errors[0] : errors[0] + 25]))
