"""A receipt photo reaches the head through the outbox, written with the claim: a restart
before it went out, a failing Telegram or a 429 delays it, and it still arrives exactly once
(docs/checks.md, "Receipts sent twice")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

from sandbox.api_params import ApiError
from sandbox.driver import Sandbox
from sandbox.model import SandboxMessage
from tests.support.running import ShiftedClock, bot_running, sandbox_running
from tests.support.scenario import TIMEZONE, Community
from tests.test_head_panel import stopped_purchase
from tests.test_receipts import bank_screen

RECEIVED = ("✅ Received", "Recorded; the member is told.")


def block_5(sandbox: Sandbox) -> Community:
    """Hanna (head), Alice Zebra and Bob of "Block 5", the bot not yet running."""
    head, alice, bob = (sandbox.user(name) for name in ("Hanna", "Alice Zebra", "Bob"))
    chat = sandbox.group("Block 5", members=[alice, bob], admins=[head])
    return Community(sandbox, None, head, alice, bob, chat, sandbox.user("Olga"))  # type: ignore[arg-type]


@asynccontextmanager
async def bot_started(
    c: Community, url: str, clock: ShiftedClock, first: bool
) -> AsyncIterator[Community]:
    """The bot running for `c`; the `first` time, it is added to the chat. Unlike
    community_running, it may be answered a 429."""
    async with bot_running(c.sandbox, url, clock, default_timezone=TIMEZONE) as runtime:
        if first:
            await c.sandbox.add_bot(c.chat, by=c.head, as_admin=True, can_pin=True)
            await c.sandbox.wait_for_message(c.chat.id)
        yield replace(c, runtime=runtime)


def head_photos(c: Community) -> list[SandboxMessage]:
    return [m for m in c.sandbox.bot_messages(c.head.id) if m.photo]


def update_of(c: Community, sent: SandboxMessage) -> int:
    """The id of the update that brought the member's message `sent` to the bot."""
    return next(
        update_id
        for update_id, update in c.sandbox.emulator.sent_updates.items()
        if (update.get("message") or {}).get("message_id") == sent.message_id
        and update["message"]["chat"]["id"] == sent.chat_id
    )


async def test_a_receipt_claimed_before_a_restart_reaches_the_head_once(sqlite_url: str) -> None:
    clock = ShiftedClock()
    async with sandbox_running() as sandbox:
        emulator = sandbox.emulator
        people = block_5(sandbox)
        async with bot_started(people, sqlite_url, clock, first=True) as c:
            await stopped_purchase(c)
            # Telegram takes no photo until this process stops: the claim is committed, its
            # photo to the head never sent.
            emulator.refusals["sendphoto"] = [ApiError(502, "Bad Gateway")] * 1000
            sent = await sandbox.send_photo(c.bob, bank_screen("13.65 EUR", "Hanna"))
            await sandbox.wait_for_message(c.bob.id, "The receipt went", after=sent)
        assert head_photos(c) == []
        emulator.refusals.clear()
        clock.advance(timedelta(minutes=5))  # past the outbox's wait before another attempt
        async with bot_started(people, sqlite_url, clock, first=False) as c:
            photo = await sandbox.wait_for_message(c.head.id, lambda m: m.photo is not None)
            assert (photo.caption or "").startswith("🧾 Receipt from Bob for")
            # Telegram delivers the photo's update again: it was handled, nothing is sent again.
            emulator.redeliver(update_of(c, sent))
            asked = await sandbox.send(c.bob, "/orders")  # Bob's updates are handled in order
            await sandbox.wait_for_message(c.bob.id, after=asked)
            await sandbox.tap(c.head, photo, RECEIVED[0], answer=RECEIVED[1])
            assert head_photos(c) == [photo]


async def test_a_receipt_photo_answered_429_is_sent_again_once(sqlite_url: str) -> None:
    async with sandbox_running() as sandbox:
        emulator = sandbox.emulator
        async with bot_started(block_5(sandbox), sqlite_url, ShiftedClock(), first=True) as c:
            await stopped_purchase(c)
            # More 429s than the rate limiter waits out: the outbox sends it again later.
            emulator.refusals["sendphoto"] = [
                ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            ] * 5
            sent = await sandbox.send_photo(c.bob, bank_screen("13.65 EUR", "Hanna"))
            await sandbox.wait_for_message(c.bob.id, "The receipt went", after=sent)
            photo = await sandbox.wait_for_message(
                c.head.id, lambda m: m.photo is not None, timeout=30
            )
            assert emulator.refusals["sendphoto"] == []
            assert len(emulator.rate_limited) == 5
            await sandbox.tap(c.head, photo, RECEIVED[0], answer=RECEIVED[1])
            assert head_photos(c) == [photo]
