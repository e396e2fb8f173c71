"""Hot card: the bot as 3 webhook workers on one PostgreSQL behind HAProxy (as
bench/scale_out.py starts them), many members tapping +1 on one card, against the same taps
spread over other cards, alternating, in one run: taps/s, lock waits and deadlocks per 1,000
taps, and the taps a person saw fail (answered with the bot's error text, or not at all).

    python -m bench.hot_card [--members 300] [--taps-each 3] [--cards 20] [--rounds 2]

Deadlocks: pg_stat_database.deadlocks of the bench database, read before and after each
phase. Lock waits: the throwaway server runs with log_lock_waits on and deadlock_timeout at
10 ms, so PostgreSQL logs every wait for a lock that lasted 10 ms or more, once, with what it
waited for ("still waiting for ShareLock on transaction …" is a row lock), and the wait's
length when it ends ("acquired … after 42.0 ms"). That counts each wait once, where sampling
pg_locks would miss the short ones and count a long one as many; waits under 10 ms are not
counted. A lower deadlock_timeout only makes PostgreSQL look for a deadlock sooner: the same
deadlocks are found, each after 10 ms of waiting instead of 1 s.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.common import benchmark_parser, work_folder
from bench.scale_out import publish, units_counted
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.fleet import Fleet
from sandbox.model import PendingCallback, SandboxMessage
from sandbox.postgres import PostgresCluster, find_postgres_bin
from storage.migrate import upgrade

WORKERS = 3
DATABASE = "hot"
ERROR_TEXT = "Something went wrong"  # handlers/failure.py's answer to a failed tap, in English
WAITING = re.compile(r"still waiting for \S+ on (transaction|tuple|advisory lock|relation|\S+)")
WAITED = re.compile(r"acquired \S+ on .* after ([0-9.]+) ms")


@dataclass
class Result:
    name: str
    taps: int
    seconds: float
    deadlocks: int
    waits: Counter[str] = field(default_factory=Counter)  # by what was waited for
    waited_ms: list[float] = field(default_factory=list)
    errors: int = 0  # answered with the error text
    unanswered: int = 0
    exact: bool = False

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds

    def per_thousand(self, count: int) -> float:
        return count / self.taps * 1000


class ServerLog:
    """The lines the server logged since the last read."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._read = path.stat().st_size

    def new_lines(self) -> list[str]:
        with self._path.open("rb") as log:
            log.seek(self._read)
            text = log.read()
        self._read += len(text)
        return text.decode(errors="replace").splitlines()


async def start_logging_lock_waits(cluster: PostgresCluster) -> None:
    for setting in ("log_lock_waits = on", "deadlock_timeout = '10ms'"):
        await cluster.execute(f"ALTER SYSTEM SET {setting}")
    await cluster.execute("SELECT pg_reload_conf()")


async def deadlocks(cluster: PostgresCluster) -> int:
    connection = await asyncpg.connect(cluster.url().replace("postgresql+asyncpg", "postgresql"))
    try:
        count = await connection.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = $1", DATABASE
        )
    finally:
        await connection.close()
    return int(count)


async def tap_phase(
    sandbox: Sandbox, targets: list[SandboxMessage], members: int, taps_each: int, name: str
) -> tuple[list[PendingCallback], list[object]]:
    """`members` new people, each in the chat of one of `targets` (chosen at random), tap +1
    there `taps_each` times, all pressed at once; each answer, or the error of waiting for it."""
    chosen = random.Random(name)
    people = [(sandbox.user(f"{name} {n}"), chosen.choice(targets)) for n in range(members)]
    for person, card in people:
        sandbox.join(sandbox.emulator.chats[card.chat_id], person)
    await asyncio.sleep(3.5)  # the joins are heard and the cards' edits done: the taps alone count
    presses = [
        await sandbox.press(person, card, "+1 Honey 1 kg")
        for _ in range(taps_each)
        for person, card in people
    ]
    answers = await asyncio.gather(
        *(sandbox.answer_of(p, timeout=120) for p in presses), return_exceptions=True
    )
    return presses, list(answers)


async def phase(
    cluster: PostgresCluster,
    log: ServerLog,
    sandbox: Sandbox,
    targets: list[SandboxMessage],
    members: int,
    taps_each: int,
    name: str,
) -> Result:
    before = await deadlocks(cluster)
    log.new_lines()  # what came before this phase is not its own
    presses, answers = await tap_phase(sandbox, targets, members, taps_each, name)
    answered = [p for p in presses if p.answer is not None]
    started = min(p.pressed_at for p in presses)
    finished = max(p.answered_at for p in answered) if answered else started + 1
    await asyncio.sleep(1.5)  # the backends' statistics reach pg_stat_database
    result = Result(name, len(presses), finished - started, await deadlocks(cluster) - before)
    for line in log.new_lines():
        if waiting := WAITING.search(line):
            result.waits[waiting.group(1)] += 1
        elif waited := WAITED.search(line):
            result.waited_ms.append(float(waited.group(1)))
    result.unanswered = len(presses) - len(answered)
    result.errors = sum(1 for a in answers if ERROR_TEXT in (getattr(a, "text", None) or ""))
    return result


def table(results: list[Result]) -> str:
    lines = [
        f"{'run':<18}{'taps':>6}{'taps/s':>8}{'row waits/1000':>16}{'other waits/1000':>18}"
        f"{'waited ms p50/max':>19}{'deadlocks/1000':>16}{'errors':>8}{'unanswered':>12}"
        f"{'exact':>7}"
    ]
    for r in results:
        rows = r.waits["transaction"] + r.waits["tuple"]
        other = r.waits.total() - rows
        waited = (
            f"{statistics.median(r.waited_ms):.0f}/{max(r.waited_ms):.0f}" if r.waited_ms else "—"
        )
        lines.append(
            f"{r.name:<18}{r.taps:>6}{r.per_second:>8.1f}{r.per_thousand(rows):>16.1f}"
            f"{r.per_thousand(other):>18.1f}{waited:>19}{r.per_thousand(r.deadlocks):>16.1f}"
            f"{r.errors:>8}{r.unanswered:>12}{'yes' if r.exact else 'NO':>7}"
        )
    return "\n".join(lines)


async def run(
    cluster: PostgresCluster, members: int, taps_each: int, cards: int, rounds: int
) -> list[Result]:
    """One fleet and one database for every phase: the hot card and the spread taps alternate,
    each phase with new members."""
    await cluster.create_database(DATABASE)
    url = cluster.url(DATABASE)
    await upgrade(url)
    results: list[Result] = []
    async with work_folder() as folder:
        emulator = TelegramSandbox()
        await emulator.start()
        fleet = Fleet(emulator, url, folder)
        try:
            await fleet.start(WORKERS)
            sandbox = Sandbox(emulator)
            [hot, *others] = await publish(sandbox, 1 + cards)
            log = ServerLog(cluster.root / "server.log")
            tapped = 0
            for round_number in range(rounds):
                plan = [("hot card", [hot]), (f"over {cards} cards", others)]
                for name, targets in plan if round_number % 2 == 0 else plan[::-1]:
                    label = f"{round_number + 1}: {name}"
                    result = await phase(cluster, log, sandbox, targets, members, taps_each, label)
                    tapped += result.taps
                    _, units = await units_counted(url)
                    result.exact = units == tapped and not result.unanswered
                    results.append(result)
                    print(table(results[-1:]).splitlines()[-1], flush=True)
        finally:
            await fleet.stop()
            await emulator.stop()
    return results


async def measure(members: int, taps_each: int, cards: int, rounds: int) -> list[Result]:
    """Every phase on a throwaway server of its own, which logs lock waits."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql")
    cluster = await asyncio.to_thread(PostgresCluster.start, bin_dir)
    try:
        await start_logging_lock_waits(cluster)
        return await run(cluster, members, taps_each, cards, rounds)
    finally:
        await asyncio.to_thread(cluster.stop)


async def main(members: int, taps_each: int, cards: int, rounds: int) -> None:
    results = await measure(members, taps_each, cards, rounds)
    print(
        f"\nhot card: {WORKERS} webhook workers on PostgreSQL; {members} members tap +1 "
        f"{taps_each} times each, on one card or spread over {cards}; {rounds} rounds"
    )
    print(table(results))
    hot = [r for r in results if r.name.endswith("hot card")]
    spread = [r for r in results if not r.name.endswith("hot card")]

    def median(rows: list[Result], value: str) -> float:
        return float(statistics.median(getattr(r, value) for r in rows))

    speed = median(hot, "per_second") / median(spread, "per_second")
    errors = sum(r.errors + r.unanswered for r in results)
    print(
        f"hot / spread: throughput {speed:.2f}×; taps that failed in front of a person: "
        f"{errors} (must be 0)"
    )


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--taps-each", type=int, default=3)
    parser.add_argument("--cards", type=int, default=20, help="the spread taps' cards")
    parser.add_argument("--rounds", type=int, default=2, help="hot and spread, alternating")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.taps_each, args.cards, args.rounds))
