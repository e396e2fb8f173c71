"""Flood control: 429 with retry_after per private chat, per group and overall, and switched off."""

from __future__ import annotations

from sandbox.limits import Limits
from tests.support.raw_api import call, started_user
from tests.support.running import StoppedClock, sandbox_running


async def test_flood_control_per_private_chat_answers_429_with_retry_after() -> None:
    clock = StoppedClock()  # the calls land at one moment, however long each one takes
    async with sandbox_running(Limits(private_per_second=1, private_burst=3), clock) as sandbox:
        alice = started_user(sandbox)
        statuses = [
            (await call(sandbox, "sendMessage", chat_id=alice.id, text=f"n{n}"))[0]
            for n in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        [limited] = sandbox.emulator.rate_limited
        assert limited.retry_after == 1
        _, body = await call(sandbox, "sendMessage", chat_id=alice.id, text="again")
        assert body["parameters"] == {"retry_after": 1}
        clock.advance(1)  # one a second
        assert (await call(sandbox, "sendMessage", chat_id=alice.id, text="later"))[0] == 200


async def test_flood_control_per_group_and_overall() -> None:
    limits = Limits(group_per_minute=20, group_burst=2, overall_per_second=30, overall_burst=4)
    # The calls land at one moment until the test moves the clock: at 30 a second, the bot's
    # bucket refills a send every 33 ms, which six calls on a loaded machine took more than.
    clock = StoppedClock()
    async with sandbox_running(limits, clock) as sandbox:
        head = sandbox.user("Hanna")
        block = sandbox.group("Block 5", admins=[head])
        await sandbox.add_bot(block, by=head)

        async def to_group() -> int:
            return (await call(sandbox, "sendMessage", chat_id=block.id, text="x"))[0]

        assert [await to_group() for _ in range(3)] == [200, 200, 429]
        assert sandbox.emulator.rate_limited[0].retry_after == 3  # 20/min is one every 3 s
        users = [started_user(sandbox, f"U{n}") for n in range(3)]
        overall = [(await call(sandbox, "sendMessage", chat_id=u.id, text="x"))[0] for u in users]
        assert overall == [200, 200, 429]
        clock.advance(0.05)  # more than the 1/30 s a send of the whole bot's takes
        assert (await call(sandbox, "sendMessage", chat_id=users[2].id, text="x"))[0] == 200
        clock.advance(2.45)  # 2.5 s: not yet the group's next slot
        assert await to_group() == 429
        clock.advance(1)
        assert await to_group() == 200


async def test_flood_control_can_be_switched_off() -> None:
    async with sandbox_running(Limits(enabled=False)) as sandbox:
        alice = started_user(sandbox)
        for n in range(20):
            assert (await call(sandbox, "sendMessage", chat_id=alice.id, text=str(n)))[0] == 200
