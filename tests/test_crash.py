"""A crash mid-broadcast loses no notice and repeats only what was in flight; a graceful
stop repeats nothing. The bot runs as a real process, killed with SIGKILL."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

from runtime.outbox_sender import BATCH
from sandbox.driver import Sandbox
from sandbox.model import SandboxUser
from sandbox.process import BotProcess
from tests.support.running import eventually, sandbox_running
from tests.support.seeding import purchase_stopping_soon

MEMBERS = 200


def notices_per_member(sandbox: Sandbox, members: list[SandboxUser], title: str) -> list[int]:
    return [
        sum(f"{title} has stopped" in (m.text or "") for m in sandbox.bot_messages(member.id))
        for member in members
    ]


async def broadcast_interrupted(
    sandbox: Sandbox, url: str, tmp_path: Path, title: str, how: signal.Signals
) -> list[int]:
    """Stop notices to MEMBERS members; the bot is stopped with `how` midway and restarted."""
    head = sandbox.user(f"Head {title}")
    members = [sandbox.user(f"{title} member {n}") for n in range(MEMBERS)]
    for person in (head, *members):
        person.started_bot = True
    chat = sandbox.group(f"{title} chat", members=members, admins=[head])
    await sandbox.add_bot(chat, by=head, as_admin=True)
    await purchase_stopping_soon(url, title, chat.id, head, members)
    log = tmp_path / "bot.log"
    bot = await BotProcess.start(sandbox.emulator, url, log)
    try:
        await eventually(lambda: sum(notices_per_member(sandbox, members, title)) >= 60, 60)
        await bot.stop(how)
        delivered_before = sum(notices_per_member(sandbox, members, title))
        assert delivered_before < MEMBERS, "the broadcast ended before the stop; nothing tested"
        bot = await BotProcess.start(sandbox.emulator, url, log)
        await eventually(lambda: all(notices_per_member(sandbox, members, title)), 90)
    finally:
        await bot.stop()
    await asyncio.sleep(0.5)
    return notices_per_member(sandbox, members, title)


async def test_sigkill_mid_broadcast_loses_nothing_and_repeats_only_what_was_in_flight(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database_file = tmp_path / "bot.db"
    shutil.copy(sqlite_template, database_file)
    url = f"sqlite+aiosqlite:///{database_file}"
    async with sandbox_running() as sandbox:
        killed = await broadcast_interrupted(sandbox, url, tmp_path, "Honey", signal.SIGKILL)
        graceful = await broadcast_interrupted(sandbox, url, tmp_path, "Tea", signal.SIGINT)
        assert sandbox.emulator.rate_limited == []
    duplicates_after_kill = sum(count - 1 for count in killed)
    duplicates_after_graceful_stop = sum(count - 1 for count in graceful)
    print(
        f"\nafter SIGKILL: {duplicates_after_kill} duplicate notices of {MEMBERS}; "
        f"after a graceful stop: {duplicates_after_graceful_stop}"
    )
    assert min(killed) == 1  # nobody lost
    assert duplicates_after_kill <= BATCH  # only the batch in flight at the kill
    assert min(graceful) == 1
    assert duplicates_after_graceful_stop == 0
