"""The durable inbox: updates are kept before Telegram is told they arrived, so a bot killed
with SIGKILL in the middle of a rush loses none and counts none twice — in polling and in
webhook mode, each a real bot process against the sandbox; and the inbox's storage."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from runtime.inbox import Inbox
from sandbox.driver import Sandbox
from sandbox.model import PendingCallback, SandboxChat, SandboxMessage, SandboxUser
from sandbox.process import BotProcess
from storage.inbox import SqliteInboxWriter
from storage.purchase_tables import OrderRequestRow
from storage.telegram_tables import InboxRow
from storage.unit_of_work import Database
from tests.support.running import eventually, sandbox_running

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
RUSH = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_updates_are_kept_once_and_given_back_until_handled_or_claimed(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        kept = await uow.inbox.store([(1, {"update_id": 1}), (2, {"update_id": 2})], NOW)
        again = await uow.inbox.store([(2, {"update_id": 2, "again": True}), (3, {})], NOW)
        await uow.commit()
    assert (kept, again) == ({1, 2}, {3})
    # Update 2 was claimed by its handler's unit of work: it is done whatever else happened.
    async with database.unit_of_work(update_id=2) as uow:
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [u for u, _ in await uow.inbox.pending(10)] == [1, 3]
        await uow.inbox.mark_handled([1], NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.inbox.pending(10) == [(3, {})]
        assert await uow.prune(NOW + timedelta(days=400)) >= 3  # and the inbox is pruned too


async def test_the_sqlite_writer_keeps_a_batch_in_one_short_transaction(sqlite_url: str) -> None:
    writer = SqliteInboxWriter(sqlite_url)
    try:
        await writer.store([(5, {"update_id": 5, "text": "Мёд"}), (6, {"update_id": 6})], NOW)
        await writer.store([(5, {"update_id": 5, "changed": True})], NOW)  # kept before: as is
    finally:
        await writer.close()
    database = Database(sqlite_url)
    try:
        async with database.unit_of_work() as uow:
            assert await uow.inbox.pending(10) == [
                (5, {"update_id": 5, "text": "Мёд"}),
                (6, {"update_id": 6}),
            ]
        async with database.sessions() as session:
            received = await session.scalar(select(InboxRow.received_at))
        assert received == NOW
    finally:
        await database.dispose()


async def test_the_sqlite_writer_closes_only_after_the_store_under_way(sqlite_url: str) -> None:
    """The bot stopping while a batch is stored on its thread: closing the connection under
    it crashed the whole process (SIGSEGV); now the close waits, and nothing is stored after."""
    writer = SqliteInboxWriter(sqlite_url)
    batch = [(n, {"update_id": n, "text": "+1"}) for n in range(1, 20_001)]
    storing = asyncio.create_task(writer.store(batch, NOW))
    await eventually(lambda: writer._lock.locked(), timeout=10)  # the thread is in its store
    await writer.close()
    await storing
    with pytest.raises(RuntimeError, match="closed"):
        await writer.store([(20_001, {"update_id": 20_001})], NOW)
    database = Database(sqlite_url)
    try:
        async with database.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(InboxRow)) == 20_000
    finally:
        await database.dispose()


async def test_a_second_delivery_of_an_update_is_not_handled_twice(sqlite_url: str) -> None:
    from telegram import Update

    database = Database(sqlite_url)
    inbox = Inbox(database, lambda: NOW)
    try:
        first = Update(7)
        assert inbox.begin(first)
        assert not inbox.begin(Update(7))  # Telegram's redelivery after the inbox gave it back
        assert inbox.begin(Update(8))
        await inbox.keep([first.to_dict()])
        inbox.handled(first)
        await inbox.stop()
        async with database.unit_of_work() as uow:
            assert await uow.inbox.pending(10) == []
    finally:
        await database.dispose()


async def test_a_claimed_update_needs_no_mark_and_the_others_get_one(sqlite_url: str) -> None:
    from telegram import Update

    database = Database(sqlite_url)
    inbox = Inbox(database, lambda: NOW)
    try:
        tap, help_command = Update(11), Update(12)
        await inbox.keep([tap.to_dict(), help_command.to_dict()])
        for update in (tap, help_command):
            assert inbox.begin(update)
        async with database.unit_of_work(update_id=11) as uow:  # the tap changed something
            await uow.commit()
        inbox.handled(tap)
        inbox.handled(help_command)  # /help only answered: its handler claimed nothing
        assert await inbox.run_once() == 1  # one mark written, the /help's
        async with database.unit_of_work() as uow:
            assert await uow.inbox.pending(10) == []
        async with database.sessions() as session:
            marked = await session.scalars(
                select(InboxRow.update_id).where(InboxRow.handled_at.is_not(None))
            )
            assert list(marked) == [12]
    finally:
        await inbox.stop()
        await database.dispose()


def test_a_tap_is_kept_without_the_card_it_was_pressed_on() -> None:
    from runtime.inbox import lighten

    card = {
        "message_id": 5, "date": 1, "chat": {"id": -1, "type": "supergroup"},
        "text": "🛒 Honey " * 300, "reply_markup": {"inline_keyboard": [[{"text": "+1"}]]},
    }  # fmt: skip

    def press(data: str) -> dict[str, object]:
        query = {"id": "q", "from": {"id": 1}, "chat_instance": "c", "data": data}
        return {"update_id": 1, "callback_query": {**query, "message": dict(card)}}

    tap = lighten(press("1:j:7:2"))
    assert tap["callback_query"]["message"] == {  # type: ignore[index]
        "message_id": 5, "date": 1, "chat": {"id": -1, "type": "supergroup"},
        "groupbuy_pressed_on_it": False,  # forged: no button of the card carries it
    }  # fmt: skip
    card["reply_markup"] = {"inline_keyboard": [[{"text": "+1", "callback_data": "1:j:7:2"}]]}
    on_it = lighten(press("1:j:7:2"))["callback_query"]["message"]  # type: ignore[index]
    assert on_it["groupbuy_pressed_on_it"] is True  # type: ignore[index]
    # Any other button keeps its message: the payments view reads its own keyboard.
    for data in ("1:hy:7", "1:j:7", "forged"):
        assert lighten(press(data))["callback_query"]["message"] == card  # type: ignore[index]


# --- a real process, killed mid-rush ------------------------------------------------------


def honey_template() -> str:
    deadline = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    return f"/new\nTitle: Rush honey\nItem: Honey 1 kg | 12.50\nDeadline: {deadline}"


async def units_counted(url: str) -> tuple[int, int, int]:
    """(order log rows, units in all, members with exactly one unit)."""
    database = Database(url)
    try:
        async with database.sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(OrderRequestRow))
            units = await session.scalar(select(func.sum(OrderRequestRow.firm_delta)))
            per_member = await session.execute(
                select(OrderRequestRow.member_id, func.sum(OrderRequestRow.firm_delta)).group_by(
                    OrderRequestRow.member_id
                )
            )
            exactly_one = sum(1 for _member, total in per_member.tuples() if total == 1)
    finally:
        await database.dispose()
    return int(rows or 0), int(units or 0), exactly_one


async def rush_and_kill(
    sandbox: Sandbox,
    url: str,
    log: Path,
    chat: SandboxChat,
    head: SandboxUser,
    **settings: str,
) -> list[PendingCallback]:
    """Publish a card, let RUSH members tap +1 once each, SIGKILL the bot while their taps are
    being handled, start it again; returns the presses."""
    bot = await BotProcess.start(sandbox.emulator, url, log, **settings)
    try:
        sent = await sandbox.send(head, honey_template(), chat=chat)
        card: SandboxMessage = await sandbox.wait_for_message(
            chat.id, "Rush honey", after=sent, timeout=30
        )
        members = [sandbox.user(f"Neighbour {n}") for n in range(RUSH)]
        for member in members:
            sandbox.join(chat, member)
        presses = [await sandbox.press(m, card, "+1 Honey 1 kg") for m in members]

        # Watched through the toasts the emulator got (a tap is answered once its unit of work
        # committed), not by querying the database: a query per poll was slow enough that a
        # fast machine finished the whole rush between two polls.
        deadline = asyncio.get_running_loop().time() + 60
        while sum(p.answer is not None for p in presses) < 60:
            assert asyncio.get_running_loop().time() < deadline, "nothing was counted"
            await asyncio.sleep(0.005)
        await bot.stop(signal.SIGKILL)
        counted_at_kill = (await units_counted(url))[1]
        assert counted_at_kill < RUSH, "the rush was over before the kill; nothing tested"
        bot = await BotProcess.start(sandbox.emulator, url, log, **settings)

        async def all_counted() -> bool:
            return (await units_counted(url))[1] >= RUSH

        deadline = asyncio.get_running_loop().time() + 120
        while not await all_counted():
            assert asyncio.get_running_loop().time() < deadline, await units_counted(url)
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # anything counted twice would show by now
        return presses
    finally:
        await bot.stop()


@pytest.fixture
async def world(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[tuple[Sandbox, str]]:
    copy = tmp_path / "bot.db"
    shutil.copy(sqlite_template, copy)
    async with sandbox_running() as sandbox:
        yield sandbox, f"sqlite+aiosqlite:///{copy}"


async def community(sandbox: Sandbox) -> tuple[SandboxChat, SandboxUser]:
    head = sandbox.user("Hanna")
    chat = sandbox.group("Block 5", admins=[head])
    await sandbox.add_bot(chat, by=head, as_admin=True)
    return chat, head


async def test_sigkill_mid_rush_in_polling_mode_loses_no_tap_and_counts_none_twice(
    world: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, url = world
    chat, head = await community(sandbox)
    await rush_and_kill(sandbox, url, tmp_path / "bot.log", chat, head)
    rows, units, exactly_one = await units_counted(url)
    assert (rows, units, exactly_one) == (RUSH, RUSH, RUSH)


async def test_sigkill_mid_rush_in_webhook_mode_loses_no_tap_and_counts_none_twice(
    world: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, url = world
    chat, head = await community(sandbox)
    port = free_port()
    settings = {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "WEBHOOK_SECRET": "s3cret-from_the-head",
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    await rush_and_kill(sandbox, url, tmp_path / "bot.log", chat, head, **settings)
    rows, units, exactly_one = await units_counted(url)
    assert (rows, units, exactly_one) == (RUSH, RUSH, RUSH)
    assert sandbox.emulator.webhook_url == settings["WEBHOOK_URL"]


async def test_the_webhook_takes_only_signed_updates_and_answers_health(
    world: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, url = world
    chat, head = await community(sandbox)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    bot = await BotProcess.start(
        sandbox.emulator, url, tmp_path / "bot.log", WEBHOOK_URL=hook,
        WEBHOOK_SECRET="right-secret-of-the-bot", WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:
            health = f"http://127.0.0.1:{port}/healthz"
            for _ in range(100):
                try:
                    async with http.get(health) as response:
                        if response.status == 200:
                            assert await response.json() == {"status": "ok"}
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the health endpoint never answered 200")
            await eventually(lambda: sandbox.emulator.webhook_url == hook, 10)
            forged = {
                "update_id": 999_999,
                "message": {
                    "message_id": 1, "date": 0, "text": "/new\nTitle: Forged",
                    "chat": {"id": chat.id, "type": "supergroup", "title": "Block 5"},
                    "from": {"id": head.id, "is_bot": False, "first_name": "Hanna"},
                },
            }  # fmt: skip
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(hook, json=forged, headers=headers) as response:
                    assert response.status == 401
            right = {"X-Telegram-Bot-Api-Secret-Token": "right-secret-of-the-bot"}
            async with http.post(hook, data=b"{not json", headers=right) as response:
                assert response.status == 400
        # Through Telegram (the sandbox signs with the secret it was given), it works.
        sent = await sandbox.send(head, "/help")
        await sandbox.wait_for_message(head.id, "/orders", after=sent, timeout=20)
        database = Database(url)
        try:
            async with database.unit_of_work() as uow:
                assert 999_999 not in [u for u, _ in await uow.inbox.pending(1000)]
        finally:
            await database.dispose()
    finally:
        await bot.stop()
