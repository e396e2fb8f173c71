"""One person's flood against everyone else: members tap +1 on a card one after another, first
on a quiet bot, then while one person floods it (hundreds of /help in their private chat and
button presses, as fast as the sandbox takes them), on one process (polling, SQLite) with
Telegram's flood limits on. The answer time of the others' taps during the flood, over their
quiet time, is the number (goal: within 1.1).

    python -m bench.flood_isolation [--flood 500] [--taps 40] [--rounds 3]
"""

from __future__ import annotations

import asyncio
import statistics
from datetime import UTC, datetime, timedelta

from bench.common import benchmark_parser, bot_with_card, database_of, work_folder
from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser


def template() -> str:
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    return f"/new\nTitle: Flood honey\nItem: Honey 1 kg | 12.50\nDeadline: {deadline}"


async def taps_answered(
    sandbox: Sandbox, card: SandboxMessage, people: list[SandboxUser]
) -> list[float]:
    """Each person taps once, one after another: seconds from the press to its answer."""
    seconds = []
    for person in people:
        pressed = await sandbox.press(person, card, "+1 Honey 1 kg")
        answered = await sandbox.answer_of(pressed, timeout=120)
        assert (answered.text or "").startswith("You're in"), answered.text
        seconds.append(pressed.answered_at - pressed.pressed_at)
    return seconds


def members(sandbox: Sandbox, chat: SandboxChat, count: int, name: str) -> list[SandboxUser]:
    people = [sandbox.user(f"{name} {n}") for n in range(count)]
    for person in people:
        sandbox.join(chat, person, tell=False)
    return people


async def one_round(flood: int, taps: int, url: str) -> tuple[float, float, int]:
    """Median answer time of `taps` taps, quiet and during a flood; and the flood's updates
    the bot turned away."""
    async with bot_with_card(url, template(), "Flood honey") as (sandbox, chat, card):
        quiet = await taps_answered(sandbox, card, members(sandbox, chat, taps, "Quiet"))
        flooder = members(sandbox, chat, 1, "Flooder")[0]
        await sandbox.start(flooder)
        for number in range(flood):
            if number % 10 == 9:
                sandbox.press_forged(flooder, card, "1:j:1:1")
            else:
                await sandbox.send(flooder, "/help")
        during = await taps_answered(sandbox, card, members(sandbox, chat, taps, "During"))
        calls = sandbox.emulator.calls
        answers = [c for c in calls if c.method.lower() == "answercallbackquery"]
        turned_away = sum("not taken" in str(c.params.get("text", "")) for c in answers)
        return statistics.median(quiet), statistics.median(during), turned_away


async def main(flood: int, taps: int, rounds: int) -> None:
    rows = []
    for number in range(1, rounds + 1):
        async with work_folder() as folder, database_of("sqlite", folder) as url:
            quiet, during, turned_away = await one_round(flood, taps, url)
        rows.append((number, quiet, during, turned_away))
    print(f"flood isolation: {flood} updates from one person, {taps} other taps, SQLite")
    print(f"{'round':<7}{'quiet p50 ms':>14}{'flood p50 ms':>14}{'ratio':>8}{'turned away':>13}")
    for number, quiet, during, turned_away in rows:
        print(
            f"{number:<7}{quiet * 1000:>14.1f}{during * 1000:>14.1f}{during / quiet:>8.2f}"
            f"{turned_away:>13}"
        )
    ratios = [during / quiet for _, quiet, during, _ in rows]
    print(f"median ratio during / quiet: {statistics.median(ratios):.2f} (goal at most 1.1)")


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--taps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.flood, args.taps, args.rounds))
