"""Campaign cut-off: a campaign adopted by 500 communities, each part with a few orders,
reaches its cut-off (`close_due_campaigns`, the scheduler's job) while members keep tapping
+1 on unrelated purchases' cards at a steady rate; in one run, per round, the same stream of
taps first without a cut-off, then during one: how long the cut-off took and held its locks,
and the taps' p50/p99 during it as a ratio of the same taps' without it.

    python -m bench.campaign_cutoff [--communities 500] [--orders 4] [--rounds 3]
                                    [--rate 20] [--quiet 4] [--cards 5]
                                    [--database sqlite|postgresql|both]

Each round closes a campaign of its own, all stored beforehand straight through the
repositories (communities, the campaign, its parts as published with their orders); the
unrelated purchases are published by their heads through Telegram. The cut-off runs in the
bot's process and event loop, as the leader's scheduler runs it, so its CPU time counts
against the taps as it would there; it is timed around the use case. "Locks held": from the
cut-off transaction's first statement that takes a lock (SELECT … FOR UPDATE, an INSERT,
UPDATE or DELETE, or SQLite's BEGIN IMMEDIATE, which takes the one write lock) to the end of
the use case, whose last step is that transaction's commit. A tap counts as "during" when it
was pressed between the use case's start and its end; its latency includes whatever the bot
does before answering it, the notices the cut-off set going included (the parts' people and
chats are not in the sandbox, so those are refused at once rather than paced).
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select

from bench.common import (
    benchmark_parser,
    bot_settings,
    database_of,
    kinds_chosen,
    percentile,
    seed,
    work_folder,
)  # fmt: skip
from bench.scale_out import publish
from bot.app import build_application
from bot.lifecycle import polling
from domain import services
from domain.campaign import Campaign, CampaignItem, CommissionKind, CommissionRule
from domain.community import Community
from domain.money import Money
from domain.purchase import Item, Purchase, PurchaseStatus
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.model import PendingCallback, SandboxMessage
from storage.purchase_tables import PurchaseRow
from storage.unit_of_work import Database

LOCKING = re.compile(r"^\s*(BEGIN IMMEDIATE|INSERT|UPDATE|DELETE)|\bFOR UPDATE\b", re.IGNORECASE)
WRITING = re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.IGNORECASE)
REGION = "North"
# Stored people and chats: ids apart from the sandbox's (users 10,001 on, groups near -10¹²).
FIRST_CHAT, FIRST_PERSON = -7_000_000, 7_000_000


def honey(price: str) -> Item:
    return Item(item_id=1, name="Honey 1 kg", unit_price=Money.parse(price, "EUR"), pack_size=6)


def campaign_of(round_number: int, cut_off: datetime, now: datetime) -> Campaign:
    campaign = Campaign(
        operator_id=FIRST_PERSON, title=f"Autumn honey {round_number}", supplier="Altai Bee Farm",
        currency="EUR", timezone="UTC",
        items=[CampaignItem(honey("8.00"), Money.parse("5.00", "EUR"),
                            Money.parse("7.00", "EUR"), Money.parse("9.00", "EUR"))],
        cut_off=cut_off, delivery=cut_off.date() + timedelta(days=3), regions=(REGION,),
        commission=CommissionRule(CommissionKind.PERCENT, Decimal(10)), created_at=now,
    )  # fmt: skip
    campaign.validate(now)
    return campaign


@dataclass
class Adopted:
    """A campaign stored with its parts, each a community's published purchase with orders."""

    campaign_id: int
    cut_off: datetime
    parts: int


async def adopted_campaign(
    url: str, round_number: int, communities: int, orders: int, cut_off: datetime
) -> Adopted:
    now = datetime.now(UTC)
    campaign = campaign_of(round_number, cut_off, now)
    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            await uow.campaigns.add(campaign)
            await uow.commit()
    finally:
        await database.dispose()
    first_chat = FIRST_CHAT - round_number * communities
    places = [
        Community(first_chat - n, f"Block {n}", "UTC", "EUR", "en", region=REGION)
        for n in range(communities)
    ]
    parts: list[Purchase] = []
    for place in places:
        part = Purchase(
            community_id=place.chat_id, head_id=-place.chat_id, title=campaign.title,
            currency="EUR", items=[honey("8.00")], deadline=cut_off, created_at=now,
        )  # fmt: skip
        campaign.adopt(part, place, now, adopted=False)
        part.validate(now, Decimal(10))
        part.publish(now)
        for n in range(orders):
            member = FIRST_PERSON + (-place.chat_id) * 10 + n
            part.set_quantity(member, f"Member {n}", 1, 1 + n % 3, now)
        parts.append(part)
    await seed(url, places, parts, started_users=[])
    return Adopted(campaign.id, cut_off, len(parts))


class LockClock:
    """Times, from the engine's own events, each committed transaction's first lock to its
    commit, per connection: the bot's taps share the engine, so the cut-off's transaction is
    the longest one committed while the use case ran."""

    def __init__(self, database: Database) -> None:
        self._first_lock: dict[int, float] = {}
        self._wrote: set[int] = set()
        self.spans: list[tuple[float, float]] = []  # (first lock, commit) of each commit
        self.retried = 0
        self._engine = database.engine.sync_engine
        event.listen(self._engine, "before_cursor_execute", self._statement)
        event.listen(self._engine, "commit", self._commit)
        event.listen(self._engine, "rollback", self._rollback)

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._statement)
        event.remove(self._engine, "commit", self._commit)
        event.remove(self._engine, "rollback", self._rollback)

    def _statement(self, connection: Any, *args: Any) -> None:
        statement: str = args[1]
        if id(connection) not in self._first_lock and LOCKING.search(statement):
            self._first_lock[id(connection)] = time.perf_counter()
        if WRITING.match(statement) is not None:
            self._wrote.add(id(connection))

    def _commit(self, connection: Any) -> None:
        first = self._first_lock.pop(id(connection), None)
        if first is not None:
            self.spans.append((first, time.perf_counter()))
        self._wrote.discard(id(connection))

    def _rollback(self, connection: Any) -> None:
        if id(connection) in self._wrote:
            self.retried += 1  # it wrote and did not commit: an attempt that failed
        self._first_lock.pop(id(connection), None)
        self._wrote.discard(id(connection))

    def longest_within(self, started: float, finished: float) -> float:
        held = [end - first for first, end in self.spans if started <= first and end <= finished]
        return max(held, default=float("nan"))


@dataclass
class Round:
    name: str
    seconds: float = 0.0  # the use case, start to end
    held: float = 0.0  # its transaction's first lock to the end
    retried: int = 0
    closed: bool = False
    quiet: list[float] = field(default_factory=list)  # tap latencies without a cut-off
    during: list[float] = field(default_factory=list)  # and pressed during it
    errors: int = 0  # taps answered with the error text, or not at all


async def tap_stream(
    sandbox: Sandbox, cards: list[SandboxMessage], rate: float, stop: asyncio.Event
) -> list[PendingCallback]:
    """New members tap +1 on the cards in turn, `rate` taps a second, until `stop`."""
    loop = asyncio.get_running_loop()
    presses: list[PendingCallback] = []
    next_at = loop.time()
    while not stop.is_set():
        card = cards[len(presses) % len(cards)]
        person = sandbox.user(f"Tapper {len(presses)}")
        sandbox.join(sandbox.emulator.chats[card.chat_id], person, tell=False)
        presses.append(await sandbox.press(person, card, "+1 Honey 1 kg"))
        next_at += 1 / rate
        await asyncio.sleep(max(0.0, next_at - loop.time()))
    return presses


async def answered(sandbox: Sandbox, presses: list[PendingCallback]) -> tuple[list[float], int]:
    """Each answered tap's latency, and how many failed in front of the person."""
    answers = await asyncio.gather(
        *(sandbox.answer_of(p, timeout=120) for p in presses), return_exceptions=True
    )
    failed = sum(1 for a in answers if "Something went wrong" in (getattr(a, "text", None) or "!"))
    return [p.answered_at - p.pressed_at for p in presses if p.answer is not None], failed


async def parts_still_open(database: Database, campaign_id: int) -> int:
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(PurchaseRow)
            .where(PurchaseRow.campaign_id == campaign_id)
            .where(PurchaseRow.status == PurchaseStatus.OPEN.value)
        )
    return int(count or 0)


async def one_round(
    database: Database,
    sandbox: Sandbox,
    cards: list[SandboxMessage],
    adopted: Adopted,
    rate: float,
    quiet: float,
    name: str,
) -> Round:
    result = Round(name)
    stop = asyncio.Event()
    stream = asyncio.create_task(tap_stream(sandbox, cards, rate, stop))
    await asyncio.sleep(quiet)
    stop.set()
    result.quiet, quiet_failed = await answered(sandbox, await stream)
    clock = LockClock(database)
    stop = asyncio.Event()
    stream = asyncio.create_task(tap_stream(sandbox, cards, rate, stop))
    await asyncio.sleep(1)  # the stream runs steadily before the cut-off begins
    started = time.perf_counter()
    closed = await services.close_due_campaigns(database.unit_of_work(), adopted.cut_off)
    finished = time.perf_counter()
    stop.set()
    presses = await stream
    _, during_failed = await answered(sandbox, presses)
    result.during = [
        p.answered_at - p.pressed_at
        for p in presses
        if p.answer is not None and started <= p.pressed_at <= finished
    ]
    result.errors = quiet_failed + during_failed
    result.seconds = finished - started
    result.held = clock.longest_within(started, finished)
    result.retried = clock.retried
    clock.close()
    opened = await parts_still_open(database, adopted.campaign_id)
    result.closed = closed == [adopted.campaign_id] and opened == 0
    return result


async def run(
    url: str, communities: int, orders: int, rounds: int, rate: float, quiet: float, cards: int
) -> list[Round]:
    cut_off = datetime.now(UTC) + timedelta(days=1)  # reached by the use case's `now`
    campaigns = [
        await adopted_campaign(url, n, communities, orders, cut_off + timedelta(minutes=n))
        for n in range(rounds)
    ]
    emulator = TelegramSandbox()
    await emulator.start()
    sandbox = Sandbox(emulator)
    # The parts' people and chats are not in the sandbox: the cut-off's notices to them are
    # refused at once, each with a warning that would bury the table.
    logging.getLogger("runtime.outbox_sender").setLevel(logging.ERROR)
    results: list[Round] = []
    application = build_application(bot_settings(emulator, url))
    try:
        async with polling(application):
            # The bot's own database, as its scheduler's job uses it: its write turn (SQLite)
            # and its cache of purchases; another Database would contend through SQLite's file
            # lock and its busy timeout instead, which no bot process does.
            database = application.bot_data.made_database()
            published = await publish(sandbox, cards)
            await asyncio.sleep(3.5)  # the cards' first edits are done
            for n, adopted in enumerate(campaigns):
                name = f"{n + 1}: {adopted.parts} parts"
                closing = one_round(database, sandbox, published, adopted, rate, quiet, name)
                results.append(await closing)
                await asyncio.sleep(2)  # what the cut-off set going (its notices) settles
    finally:
        await emulator.stop()
    return results


def table(results: list[Round]) -> str:
    lines = [
        f"{'run':<26}{'cut-off s':>10}{'locks s':>9}{'retried':>8}{'closed':>8}"
        f"{'taps quiet':>11}{'p50/p99 ms':>12}{'taps during':>12}{'p50/p99 ms':>12}"
        f"{'errors':>8}"
    ]

    def spread(values: list[float]) -> str:
        if not values:
            return "—"
        return f"{percentile(values, 0.5) * 1000:.0f}/{percentile(values, 0.99) * 1000:.0f}"

    for r in results:
        lines.append(
            f"{r.name:<26}{r.seconds:>10.2f}{r.held:>9.2f}{r.retried:>8}"
            f"{'yes' if r.closed else 'NO':>8}{len(r.quiet):>11}{spread(r.quiet):>12}"
            f"{len(r.during):>12}{spread(r.during):>12}{r.errors:>8}"
        )
    return "\n".join(lines)


def ratios(results: list[Round]) -> str:
    """The taps' p50 and p99 during the cut-offs over those without (goal: 1.0, as fast)."""
    quiet = [v for r in results for v in r.quiet]
    during = [v for r in results for v in r.during]
    if not during:
        return "no tap was pressed during a cut-off: raise --rate"
    p50, p99 = (percentile(during, f) / percentile(quiet, f) for f in (0.5, 0.99))
    held = statistics.median(r.held for r in results)
    return f"during / without a cut-off: p50 {p50:.2f}×, p99 {p99:.2f}×; locks held {held:.2f} s"


async def main(
    kinds: list[str], communities: int, orders: int, rounds: int, rate: float, quiet: float,
    cards: int,
) -> None:  # fmt: skip
    results: dict[str, list[Round]] = {}
    for kind in kinds:
        async with work_folder() as folder, database_of(kind, folder) as url:
            results[kind] = await run(url, communities, orders, rounds, rate, quiet, cards)
        for result in results[kind]:
            result.name = f"{kind} {result.name}"
    print(
        f"campaign cut-off: {communities} communities, {orders} orders each; {rate:g} taps/s "
        f"on {cards} unrelated cards, {quiet:g} s without a cut-off, then during one; "
        f"{rounds} rounds"
    )
    print(table([r for kind in kinds for r in results[kind]]))
    for kind in kinds:
        print(f"{kind}: {ratios(results[kind])}")


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--communities", type=int, default=500)
    parser.add_argument("--orders", type=int, default=4, help="members ordering in each part")
    parser.add_argument("--rounds", type=int, default=3, help="a campaign closed in each")
    parser.add_argument("--rate", type=float, default=40, help="taps a second, steady")
    parser.add_argument("--quiet", type=float, default=4, help="seconds of taps without one")
    parser.add_argument("--cards", type=int, default=5, help="the unrelated purchases")
    args = parser.parse_args()
    asyncio.run(
        main(kinds_chosen(args), args.communities, args.orders, args.rounds, args.rate,
             args.quiet, args.cards)
    )  # fmt: skip
