"""Long log: a purchase whose order log already holds 10,000 lines against a fresh one with
the same item and none, on one bot, in one run: bursts of new members tap +1 on each card in
turn (which card goes first alternates by round), so both are measured moments apart; taps/s,
p50 and p99 per tap for each, and the long one's cost per tap as a ratio of the fresh one's.

    python -m bench.long_log [--lines 10000] [--members 100] [--rounds 10] [--burst 50]
                             [--database sqlite|postgresql|both]

The long purchase's lines are written in one unit of work through the domain (`members`
people each changing their quantity back and forth, as Mini App saves do), not tapped; their
events are dropped, so no notice follows. After each burst the benchmark waits for that
card's coalesced edit, so one card's edit does not land in the other's burst.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import (
    benchmark_parser,
    bot_with_cards,
    database_of,
    kinds_chosen,
    percentile,
    wait_until,
    work_folder,
)  # fmt: skip
from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage
from storage.purchase_tables import OrderRequestRow, PurchaseRow
from storage.unit_of_work import Database

LONG, FRESH = "Long honey", "Fresh honey"
# The long log's people: ids far from the sandbox's (10,001 on), so none taps in the rounds.
FIRST_LOGGED_MEMBER = 5_000_000


def template(title: str) -> str:
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    return f"/new\nTitle: {title}\nItem: Honey 1 kg | 12.50\nDeadline: {deadline}"


@dataclass
class Result:
    name: str
    lines_before: int = 0
    seconds: float = 0.0  # summed over the bursts: first press to last answer
    latencies: list[float] = field(default_factory=list)
    exact: bool = False

    @property
    def taps(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds


async def purchase_id(database: Database, title: str) -> int:
    async with database.sessions() as session:
        found = await session.scalar(select(PurchaseRow.id).where(PurchaseRow.title == title))
    assert found is not None, title
    return int(found)


async def request_rows(database: Database, purchase: int) -> int:
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OrderRequestRow)
            .where(OrderRequestRow.purchase_id == purchase)
        )
    return int(count or 0)


async def write_long_log(database: Database, purchase: int, lines: int, members: int) -> int:
    """`lines` order lines by `members` people, each line a change of one's quantity (1, 2,
    1, …), in one unit of work; returns the rows the purchase has then."""
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        loaded = await uow.purchases.get(purchase)
        assert loaded is not None
        for line in range(lines):
            member = FIRST_LOGGED_MEMBER + line % members
            quantity = 1 + (line // members) % 2
            loaded.set_quantity(member, f"Logged {line % members}", 1, quantity, now)
        loaded.events.clear()  # no notices: the rounds alone load the bot
        await uow.commit()
    return await request_rows(database, purchase)


async def burst(
    sandbox: Sandbox,
    chat: SandboxChat,
    card: SandboxMessage,
    size: int,
    result: Result,
    settle: bool,
) -> None:
    """`size` new members tap +1 at once; then (`settle`) wait for the card's edit to land."""
    people = [sandbox.user(f"Neighbour {result.name} {n}") for n in range(size)]
    for person in people:
        sandbox.join(chat, person, tell=False)
    key = (card.chat_id, card.message_id)
    edits = sandbox.emulator.messages[key].edits
    presses = [await sandbox.press(person, card, "+1 Honey 1 kg") for person in people]
    await asyncio.gather(*(sandbox.answer_of(p, timeout=600) for p in presses))
    result.seconds += max(p.answered_at for p in presses) - min(p.pressed_at for p in presses)
    result.latencies += [p.answered_at - p.pressed_at for p in presses]
    if settle:
        await wait_until(lambda: sandbox.emulator.messages[key].edits > edits, 10, poll=0.05)


async def run(
    url: str, lines: int, members: int, rounds: int, size: int, settle: bool = True
) -> list[Result]:
    """The long and the fresh purchase on one bot: a warm-up burst each, then `rounds`
    measured bursts each, alternating which goes first (`settle`: each card's edit landed
    before the next burst; only a smoke test skips that wait)."""
    templates = {LONG: template(LONG), FRESH: template(FRESH)}
    database = Database(url)
    try:
        async with bot_with_cards(url, templates) as (sandbox, chat, [long_card, fresh_card]):
            long_id = await purchase_id(database, LONG)
            fresh_id = await purchase_id(database, FRESH)
            logged = await write_long_log(database, long_id, lines, members)
            long = Result("long", logged)
            fresh = Result("fresh", await request_rows(database, fresh_id))
            cards = {long.name: long_card, fresh.name: fresh_card}
            warm = Result("warm-up")  # the long log read once, as any later tap finds it
            for card in (long_card, fresh_card):
                await burst(sandbox, chat, card, min(size, 10), warm, settle)
            warmed = {long_id: await request_rows(database, long_id)}
            warmed[fresh_id] = await request_rows(database, fresh_id)
            for round_number in range(rounds):
                order = (long, fresh) if round_number % 2 == 0 else (fresh, long)
                for result in order:
                    await burst(sandbox, chat, cards[result.name], size, result, settle)
            long.exact = await request_rows(database, long_id) == warmed[long_id] + long.taps
            fresh.exact = await request_rows(database, fresh_id) == warmed[fresh_id] + fresh.taps
            return [long, fresh]
    finally:
        await database.dispose()


def table(results: list[Result]) -> str:
    lines = [
        f"{'run':<24}{'lines before':>13}{'taps':>6}{'taps/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'exact':>7}"
    ]
    for r in results:
        p50, p99 = (percentile(r.latencies, f) * 1000 for f in (0.5, 0.99))
        lines.append(
            f"{r.name:<24}{r.lines_before:>13}{r.taps:>6}{r.per_second:>9.1f}{p50:>9.0f}"
            f"{p99:>9.0f}{'yes' if r.exact else 'NO':>7}"
        )
    return "\n".join(lines)


def ratios(long: Result, fresh: Result) -> str:
    """The long purchase's cost per tap as a multiple of the fresh one's (goal: 1.1 or less)."""
    time_per_tap = fresh.per_second / long.per_second
    p50, p99 = (percentile(long.latencies, f) / percentile(fresh.latencies, f) for f in (0.5, 0.99))
    verdict = "met" if time_per_tap <= 1.1 else "missed"
    return (
        f"long / fresh: time per tap {time_per_tap:.2f}× (goal ≤ 1.10: {verdict}), "
        f"p50 {p50:.2f}×, p99 {p99:.2f}×"
    )


async def main(kinds: list[str], lines: int, members: int, rounds: int, size: int) -> None:
    results: dict[str, list[Result]] = {}
    for kind in kinds:
        async with work_folder() as folder, database_of(kind, folder) as url:
            results[kind] = await run(url, lines, members, rounds, size)
        for result in results[kind]:
            result.name = f"{kind}: {result.name}"
    print(
        f"long log: {lines} order lines by {members} people vs none; {rounds} rounds of "
        f"{size} new members tapping +1 on each card"
    )
    print(table([r for kind in kinds for r in results[kind]]))
    for kind in kinds:
        print(f"{kind}: {ratios(*results[kind])}")


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100, help="people writing the long log")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--burst", type=int, default=50, help="taps per card per round")
    args = parser.parse_args()
    asyncio.run(main(kinds_chosen(args), args.lines, args.members, args.rounds, args.burst))
