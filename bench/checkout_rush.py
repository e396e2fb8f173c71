"""Checkout rush: N members of one stopped prepaid purchase tap Pay on their invoices at once.
Telegram asks the bot about each checkout (`pre_checkout_query`) and gives up after 10 s; then
each member's payment arrives (`successful_payment`) and must land in the ledger once. The
bot against a bare python-telegram-bot application that answers every checkout ok at once,
on the same sandbox, in one run.

    python -m bench.checkout_rush [--members 200] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.ext import Application, ContextTypes, PreCheckoutQueryHandler

from bench.common import (
    benchmark_parser,
    bot_settings,
    database_of,
    kinds_chosen,
    open_purchase,
    percentile,
    seed,
    wait_until,
    work_folder,
)  # fmt: skip
from bot.app import build_application
from bot.lifecycle import polling
from domain import ledger
from domain.checkout import invoice_for
from domain.community import Community
from domain.permissions import Actor
from domain.purchase import Purchase
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.model import PendingCheckout, SandboxUser
from sandbox.payment_methods import CHECKOUT_TIMEOUT
from storage.unit_of_work import Database

CHAT_ID = -100_777


@dataclass
class Result:
    name: str
    checkouts: int
    answered_in_time: int
    latencies: list[float]
    recorded: int | None  # payments in the ledger afterwards (the baseline records none)
    record_seconds: float | None
    head_notes: int | None = None  # messages the head got about them (coalesced per round)


def members_of(sandbox: Sandbox, members: int) -> list[SandboxUser]:
    """Members who opened the bot before (they joined the purchase through it)."""
    people = [sandbox.user(f"Neighbour {n}") for n in range(members)]
    for person in people:
        person.started_bot = True
    return people


async def stopped_purchase(
    url: str, head: SandboxUser, people: list[SandboxUser]
) -> tuple[int, dict[int, str]]:
    """A stopped prepaid purchase with one unit each, stored as it stands: its id and every
    member's invoice payload."""
    now = datetime.now(UTC)
    purchase = open_purchase(CHAT_ID, head.id, "Rush honey", now + timedelta(days=2), now)
    for person in people:
        purchase.set_quantity(person.id, person.first_name, 1, 1, now)
    purchase.stop_now(Actor(head.id))
    community = Community(CHAT_ID, "Block 5", "UTC", "EUR", "en")
    [purchase_id] = await seed(url, [community], [purchase], [head.id, *(p.id for p in people)])
    purchase.id = purchase_id
    return purchase_id, {person.id: invoice_for(purchase, person.id).payload for person in people}


async def rush(
    sandbox: Sandbox, people: list[SandboxUser], payloads: dict[int, str], minor: int
) -> list[PendingCheckout]:
    pending = [
        sandbox.checkout(person, payload=payloads[person.id], currency="EUR", total_amount=minor)
        for person in people
    ]
    return list(await asyncio.gather(*(sandbox.checked(p) for p in pending)))


def latencies_of(checkouts: list[PendingCheckout]) -> list[float]:
    return [p.answered_at - p.asked_at for p in checkouts if p.ok is not None]


async def run_bot(members: int, url: str) -> Result:
    emulator = TelegramSandbox()
    await emulator.start()
    sandbox = Sandbox(emulator)
    head = sandbox.user("Hanna")
    head.started_bot = True
    people = members_of(sandbox, members)
    purchase_id, payloads = await stopped_purchase(url, head, people)
    settings = bot_settings(emulator, url)
    database = Database(url)

    async def ledger_now() -> Purchase:
        async with database.unit_of_work() as uow:
            purchase = await uow.purchases.get(purchase_id)
        assert purchase is not None
        return purchase

    try:
        async with polling(build_application(settings)):
            amount = int(payloads[people[0].id].rsplit(":", 1)[1])
            checkouts = await rush(sandbox, people, payloads, amount)
            started = time.perf_counter()
            for person, pending in zip(people, checkouts, strict=True):
                if pending.ok:
                    sandbox.paid(person, pending)
            while len((await ledger_now()).ledger) < members:
                if time.perf_counter() - started > 120:
                    break
                await asyncio.sleep(0.1)
            seconds = time.perf_counter() - started
            await asyncio.sleep(1)  # anything recorded twice would show by now
            purchase = await ledger_now()
            settled = sum(1 for a in ledger.accounts(purchase).values() if a.balance.minor == 0)
            once = len(purchase.ledger) if settled == len(purchase.ledger) else 0
            in_time = sum(
                1 for p in checkouts if p.ok and p.answered_at - p.asked_at < CHECKOUT_TIMEOUT
            )

            # The receipts and the head's notes go out paced, as every message does.
            def receipts() -> int:
                return sum(
                    1 for p in people for m in sandbox.bot_messages(p.id)
                    if "paid in Telegram" in (m.text or "")
                )  # fmt: skip

            await wait_until(lambda: receipts() >= members, timeout=60, poll=0.5)
            await asyncio.sleep(2)
            notes = sum(1 for m in sandbox.bot_messages(head.id) if "in Telegram" in (m.text or ""))
            return Result("bot", members, in_time, latencies_of(checkouts), once, seconds, notes)
    finally:
        await database.dispose()
        await emulator.stop()


async def answer_ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.pre_checkout_query is not None
    await update.pre_checkout_query.answer(ok=True)


async def run_baseline(members: int) -> Result:
    emulator = TelegramSandbox()
    await emulator.start()
    sandbox = Sandbox(emulator)
    people = members_of(sandbox, members)
    payloads = {p.id: f"gb1:1:{p.id}:1250" for p in people}
    application = Application.builder().token(emulator.token).base_url(emulator.base_url).build()
    application.add_handler(PreCheckoutQueryHandler(answer_ok))
    try:
        async with polling(application):
            checkouts = await rush(sandbox, people, payloads, 1250)
        in_time = sum(1 for p in checkouts if p.ok)
        return Result(
            "bare python-telegram-bot", members, in_time, latencies_of(checkouts), None, None
        )
    finally:
        await emulator.stop()


def table(results: list[Result]) -> str:
    lines = [
        f"{'run':<34}{'checkouts':>10}{'in 10 s':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'recorded':>10}{'record s':>10}{'head notes':>12}"
    ]
    for r in results:
        p50, p99 = (percentile(r.latencies, f) * 1000 for f in (0.5, 0.99))
        most = max(r.latencies) * 1000
        recorded = "—" if r.recorded is None else str(r.recorded)
        seconds = "—" if r.record_seconds is None else f"{r.record_seconds:.2f}"
        notes = "—" if r.head_notes is None else str(r.head_notes)
        lines.append(
            f"{r.name:<34}{r.checkouts:>10}{r.answered_in_time:>9}{p50:>8.0f}{p99:>8.0f}"
            f"{most:>8.0f}{recorded:>10}{seconds:>10}{notes:>12}"
        )
    return "\n".join(lines)


async def main(members: int, kinds: list[str]) -> None:
    results = [await run_baseline(members)]
    for kind in kinds:
        async with work_folder() as folder, database_of(kind, folder) as url:
            bot = await run_bot(members, url)
        bot.name = f"bot, {kind}"
        results.append(bot)
    print(f"checkout rush: {members} members tap Pay at once, then each one's payment arrives")
    print(table(results))
    baseline = percentile(results[0].latencies, 0.5)
    for bot in results[1:]:
        print(
            f"{bot.name}: p50 checkout answer {percentile(bot.latencies, 0.5) / baseline:.1f}× "
            f"the baseline's; {bot.answered_in_time}/{bot.checkouts} within Telegram's 10 s; "
            f"{bot.recorded}/{bot.checkouts} payments recorded once"
        )


if __name__ == "__main__":
    parser = benchmark_parser(__doc__)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.members, kinds_chosen(args)))
