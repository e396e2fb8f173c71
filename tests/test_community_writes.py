"""A community is written by column, never whole: a copy read before an `await` (/settings
waiting on Telegram) cannot undo what was changed meanwhile (/paytoken off)."""

from __future__ import annotations

from dataclasses import replace

from domain import services
from domain.community import Community, OpenRule, changes_between
from storage.secrets import Secrets
from storage.unit_of_work import Database
from tests.support.running import SECRETS_KEY
from tests.support.scenario import community_running
from tests.test_token_at_rest import asked_for_the_token, raw_token

TOKEN = "381764678:TEST:secret-of-block-5"
BLOCK_5 = Community(-100, "Block 5", "UTC", "EUR", "en")


async def test_a_stale_copy_written_after_a_revocation_leaves_the_token_removed(
    database_url: str,
) -> None:
    """/settings read the community (token and all) before an await; /paytoken off removed
    the token meanwhile; the settings change written afterwards leaves it removed."""
    database = Database(database_url, Secrets((SECRETS_KEY,)))
    try:
        await services.register_community(database.unit_of_work(), BLOCK_5)
        async with database.unit_of_work() as uow:
            await uow.communities.change(BLOCK_5.chat_id, {"payment_token": TOKEN})
            await uow.commit()
        async with database.unit_of_work() as uow:
            stale = await uow.communities.get(BLOCK_5.chat_id)
        assert stale is not None and stale.payment_token == TOKEN
        async with database.unit_of_work() as uow:
            await uow.communities.change(BLOCK_5.chat_id, {"payment_token": None})
            await uow.commit()
        wanted = replace(stale, currency="USD", open_rule=OpenRule.ADMINS)
        assert changes_between(stale, wanted) == {"currency": "USD", "open_rule": "admins"}
        async with database.unit_of_work() as uow:
            await uow.communities.change(BLOCK_5.chat_id, changes_between(stale, wanted))
            await uow.commit()
        async with database.unit_of_work() as uow:
            now = await uow.communities.get(BLOCK_5.chat_id)
        assert now == replace(wanted, payment_token=None)
    finally:
        await database.dispose()
    assert await raw_token(database_url, BLOCK_5.chat_id) is None


async def test_settings_in_flight_do_not_bring_back_a_removed_token(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        sandbox, emulator = c.sandbox, c.sandbox.emulator
        await asked_for_the_token(sandbox, c.head, c.chat)
        given = await sandbox.send(c.head, emulator.connect_provider())
        await sandbox.wait_for_message(c.head.id, "Saved for Block 5", after=given)
        c.chat.members[c.bob.id] = "administrator"

        def admin_checks() -> int:
            return sum(call.method == "getChatMember" for call in emulator.calls)

        # The head's /settings reads the community (with its token), then waits on Telegram
        # to say she is an admin; meanwhile Bob removes the token.
        checks = admin_checks()
        emulator.late_answers["getchatmember"] = 3.0
        settings = await sandbox.send(c.head, "/settings currency USD", chat=c.chat)
        await emulator.wait_until(lambda: admin_checks() > checks)
        del emulator.late_answers["getchatmember"]
        off = await sandbox.send(c.bob, "/paytoken off", chat=c.chat)
        removed = await sandbox.wait_for_message(c.chat.id, "Removed", after=off)
        saved = await sandbox.wait_for_message(c.chat.id, "Saved.", after=settings)
        assert saved.message_id > removed.message_id, "the settings were written first"
        async with c.runtime.database.unit_of_work() as uow:
            community = await uow.communities.get(c.chat.id)
        assert community is not None
        assert (community.currency, community.payment_token) == ("USD", None)
        assert await raw_token(sqlite_url, c.chat.id) is None
