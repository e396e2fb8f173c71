"""`make run`'s sandbox keeps its people and groups for the next run, beside its database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import next_update_id
from sandbox.cast import Cast, CastUnreadable
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from storage.unit_of_work import Database
from tests.test_cli_and_settings import groupbuy

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _demo() -> Sandbox:
    """What every run starts with: Hanna, Alice and Bob in Block 5 neighbours."""
    sandbox = Sandbox(TelegramSandbox())
    head, alice, bob = sandbox.user("Hanna"), sandbox.user("Alice"), sandbox.user("Bob")
    group = sandbox.group("Block 5 neighbours", members=[alice, bob], admins=[head])
    group.members[sandbox.emulator.bot.id] = "administrator"
    return sandbox


def test_people_and_groups_come_back_under_their_ids_and_newcomers_get_new_ones(
    tmp_path: Path,
) -> None:
    cast = Cast(tmp_path / "sandbox-people.json")
    first = _demo()
    dana = first.user("Dana", language_code="ru")
    dana.started_bot = True
    riverside = first.group("Riverside", members=[first.emulator.users[10_003]], admins=[dana])
    first.join(first.emulator.chats[-1_000_000_000_001], dana, tell=False)
    cast.save(first)

    second = _demo()
    assert cast.bring_back(second) == 1
    users, chats = second.emulator.users, second.emulator.chats
    assert (users[dana.id].first_name, users[dana.id].language_code) == ("Dana", "ru")
    assert users[dana.id].started_bot
    back = chats[riverside.id]
    assert back.title == "Riverside"
    assert back.members[dana.id] == "creator" and back.members[10_003] == "member"
    assert back.members[second.emulator.bot.id] == "administrator"  # this run's bot
    assert chats[-1_000_000_000_001].members[dana.id] == "member"
    # Nobody new takes an id the bot's database already knows.
    assert second.user("Eve").id == dana.id + 1
    assert second.group("Elm street").id == riverside.id - 1
    assert cast.bring_back(_demo()) == 1  # the file is read, not used up


@pytest.mark.parametrize(
    "written", ["", "{", '{"people": [], "groups": [{"id": 5}]}', '{"people": [{"id": -1}]}']
)
def test_a_file_it_did_not_write_is_refused_whole(tmp_path: Path, written: str) -> None:
    path = tmp_path / "sandbox-people.json"
    path.write_text(written)
    sandbox = _demo()
    before = (dict(sandbox.emulator.users), dict(sandbox.emulator.chats))
    with pytest.raises(CastUnreadable, match=r"cannot read sandbox-people\.json"):
        Cast(path).bring_back(sandbox)
    assert (sandbox.emulator.users, sandbox.emulator.chats) == before


def test_a_second_make_run_brings_back_who_the_first_one_added(tmp_path: Path) -> None:
    first = groupbuy("run", tmp_path=tmp_path, stdin="!as Dana\n/start\n!quit\n",
                     SANDBOX_PAGE_PORT="0")  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = groupbuy("run", tmp_path=tmp_path, stdin="!as Eve\n!who\n!quit\n",
                      SANDBOX_PAGE_PORT="0")  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "Brought back 1 more people from sandbox-people.json." in second.stdout
    assert "Dana, id 10004 (started the bot)" in second.stdout
    assert "Eve, id 10005 (has not started the bot)" in second.stdout
    (tmp_path / "sandbox-people.json").write_text("not json")
    broken = groupbuy("run", tmp_path=tmp_path, stdin="!quit\n", SANDBOX_PAGE_PORT="0")
    assert broken.returncode == 2
    assert "cannot read sandbox-people.json: not a file it wrote; delete it" in broken.stderr


async def test_a_sandbox_run_numbers_its_updates_after_those_of_earlier_runs(
    sqlite_url: str,
) -> None:
    """`make run` again over the sandbox's database: update ids numbered from 1 again were
    taken for ones already done, and the new run's first changes went unanswered."""
    assert await next_update_id(sqlite_url) == 1
    database = Database(sqlite_url)
    try:
        async with database.unit_of_work() as uow:
            await uow.inbox.store([(3, {"update_id": 3}), (7, {"update_id": 7})], NOW)
            await uow.commit()
    finally:
        await database.dispose()
    assert await next_update_id(sqlite_url) == 8
    emulator = TelegramSandbox(first_update_id=8)
    sandbox = Sandbox(emulator)
    person = sandbox.user("Dana")
    await emulator.start()
    try:
        await sandbox.send(person, "/help")
        assert list(emulator.sent_updates) == [8]
    finally:
        await emulator.stop()
