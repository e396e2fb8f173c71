"""Tap rush: N distinct members each tap +1 once on one card in a supergroup, injected as fast
as the sandbox takes them; the bot against a bare python-telegram-bot application that only
answers the callback, on the same sandbox with Telegram's flood limits on, in one run.

    python -m bench.tap_rush [--members 1000] [--rounds 3] [--database sqlite|postgresql|both]
                             [--known]

Each tap is the member's first, so the bot asks Telegram whether she is in the chat (one
getChatMember each, docs/security.md); with --known the members joined while the bot
administered the chat, it heard each join, and no tap asks.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bench.common import benchmark_parser, bot_with_card, database_of, kinds_chosen, work_folder
from bot.lifecycle import polling
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.model import PendingCallback, SandboxChat, SandboxMessage
from storage.purchase_tables import OrderRequestRow
from storage.unit_of_work import Database


def template() -> str:
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    return f"/new\nTitle: Rush honey\nItem: Honey 1 kg | 12.50\nDeadline: {deadline}"


@dataclass
class Result:
    name: str
    taps: int
    seconds: float
    latencies: list[float]
    card_edits: int
    rate_limited: int
    exact: bool

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


KNOWN = False  # --known: the bot heard every member join before the rush


async def rush(
    sandbox: Sandbox, card: SandboxMessage, chat: SandboxChat, members: int
) -> list[PendingCallback]:
    people = [sandbox.user(f"Neighbour {n}") for n in range(members)]
    for person in people:
        sandbox.join(chat, person, tell=KNOWN)
    if KNOWN:  # the joins are heard before the first tap
        await asyncio.sleep(0.5)
        await sandbox.emulator.wait_until(lambda: not sandbox.emulator._pending_updates, 60)
        await asyncio.sleep(1.0)  # fetched, and handled by now
    presses = [await sandbox.press(person, card, "+1 Honey 1 kg") for person in people]
    await asyncio.gather(*(sandbox.answer_of(p, timeout=600) for p in presses))
    return presses


def measured(
    name: str, presses: list[PendingCallback], sandbox: Sandbox, card: SandboxMessage, exact: bool
) -> Result:
    started = min(p.pressed_at for p in presses)
    finished = max(p.answered_at for p in presses)
    message = sandbox.emulator.messages[(card.chat_id, card.message_id)]
    return Result(
        name, len(presses), finished - started, [p.answered_at - p.pressed_at for p in presses],
        message.edits, len(sandbox.emulator.rate_limited), exact,
    )  # fmt: skip


async def run_bot(members: int, database_url: str) -> Result:
    async with bot_with_card(database_url, template(), "Rush honey") as (sandbox, chat, card):
        presses = await rush(sandbox, card, chat, members)
        database = Database(database_url)
        async with database.sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(OrderRequestRow))
            units = await session.scalar(select(func.sum(OrderRequestRow.firm_delta)))
        await database.dispose()
        await asyncio.sleep(3.5)  # let the last coalesced card edit land
        return measured("bot", presses, sandbox, card, rows == members and units == members)


async def answer_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("ok")


async def run_baseline(members: int) -> Result:
    emulator = TelegramSandbox()
    await emulator.start()
    sandbox = Sandbox(emulator)
    head = sandbox.user("Hanna")
    chat = sandbox.group("Block 5", admins=[head])
    application = Application.builder().token(emulator.token).base_url(emulator.base_url).build()
    application.add_handler(CallbackQueryHandler(answer_only))
    try:
        async with polling(application):
            await sandbox.add_bot(chat, by=head, as_admin=True)
            button = InlineKeyboardButton("+1 Honey 1 kg", callback_data="1:j:1:1")
            await application.bot.send_message(
                chat.id, "Rush honey", reply_markup=InlineKeyboardMarkup([[button]])
            )
            card = await sandbox.wait_for_message(chat.id, "Rush honey")
            presses = await rush(sandbox, card, chat, members)
            return measured("bare python-telegram-bot", presses, sandbox, card, True)
    finally:
        await emulator.stop()


def table(results: list[Result]) -> str:
    lines = [
        f"{'run':<31}{'taps':>6}{'seconds':>9}{'taps/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'edits':>7}{'429s':>6}{'exact':>7}"
    ]
    for r in results:
        p50, p99 = (percentile(r.latencies, f) * 1000 for f in (0.5, 0.99))
        lines.append(
            f"{r.name:<31}{r.taps:>6}{r.seconds:>9.2f}{r.per_second:>9.1f}{p50:>9.0f}{p99:>9.0f}"
            f"{r.card_edits:>7}{r.rate_limited:>6}{'yes' if r.exact else 'NO':>7}"
        )
    return "\n".join(lines)


async def main(members: int, kinds: list[str], rounds: int) -> None:
    """Each round runs the baseline and then the bot on each database, so every ratio
    compares runs taken moments apart; the median of the rounds damps a noisy machine."""
    results: list[Result] = []
    ratios: dict[str, list[float]] = {kind: [] for kind in kinds}
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_number in range(1, rounds + 1):
        baseline = await run_baseline(members)
        baseline.name = f"{round_number}: bare python-telegram-bot"
        results.append(baseline)
        for kind in kinds:
            async with work_folder() as folder, database_of(kind, folder) as url:
                bot = await run_bot(members, url)
            bot.name = f"{round_number}: bot, {kind}"
            results.append(bot)
            ratios[kind].append(bot.per_second / baseline.per_second)
            latencies[kind].append(statistics.median(bot.latencies))
    print(f"tap rush: {members} members tap +1 once each, flood limits on, {rounds} rounds")
    print(table(results))
    for kind in kinds:
        print(
            f"bot, {kind}: throughput ratio bot / baseline, median of {rounds}:"
            f" {statistics.median(ratios[kind]):.2f} (rounds: "
            + ", ".join(f"{ratio:.2f}" for ratio in ratios[kind])
            + f"), median latency {statistics.median(latencies[kind]) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="baseline and bot, alternating")
    parser.add_argument("--known", action="store_true", help="the bot heard every join")
    args = parser.parse_args()
    KNOWN = args.known
    asyncio.run(main(args.members, kinds_chosen(args), args.rounds))
