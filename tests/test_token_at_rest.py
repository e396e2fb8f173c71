"""A community's payment token through the real handlers: after it is saved, neither the
inbox's copy of the message that carried it (in private, or posted in the group) nor a backup
holds it; the bot killed mid-save saves it once after the restart, and members pay with it;
without SECRETS_KEY the admin is told and nothing is stored."""

from __future__ import annotations

import json
import shutil
import signal
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser
from sandbox.process import BotProcess
from storage.backup import backup_sqlite
from storage.telegram_tables import InboxRow
from storage.unit_of_work import Database
from tests.support.running import SECRETS_KEY, ShiftedClock, bot_running, sandbox_running
from tests.support.scenario import TIMEZONE, Community, community_running
from tests.test_head_panel import stopped_purchase
from tests.test_telegram_payments import invoice_of


async def raw_token(url: str, chat_id: int) -> str | None:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return await connection.scalar(
                text("SELECT payment_token_encrypted FROM communities WHERE chat_id = :chat"),
                {"chat": chat_id},
            )
    finally:
        await database.dispose()


async def inbox_text(url: str) -> str:
    """Every update the inbox keeps, as one JSON text."""
    database = Database(url)
    try:
        async with database.sessions() as session:
            return json.dumps(list(await session.scalars(select(InboxRow.payload))))
    finally:
        await database.dispose()


async def asked_for_the_token(sandbox: Sandbox, head: SandboxUser, chat: SandboxChat) -> None:
    """The head sends /paytoken in the group and follows its link: the bot waits for the token."""
    sent = await sandbox.send(head, "/paytoken", chat=chat)
    shown = await sandbox.wait_for_message(chat.id, "Paying in Telegram", after=sent)
    [link] = [b["url"] for b in shown.buttons()]
    asked = await sandbox.open_link(head, link)
    await sandbox.wait_for_message(head.id, "Send me the payment provider token", after=asked)


async def test_a_saved_token_is_in_no_inbox_copy_and_no_backup(database_url: str) -> None:
    async with community_running(database_url) as c:
        sandbox, emulator = c.sandbox, c.sandbox.emulator
        posted = emulator.connect_provider()
        leaked = await sandbox.send(c.head, f"/paytoken {posted}", chat=c.chat)
        await sandbox.wait_for_message(c.chat.id, "Never post a payment token", after=leaked)
        await asked_for_the_token(sandbox, c.head, c.chat)
        token = emulator.connect_provider()
        given = await sandbox.send(c.head, token)
        await sandbox.wait_for_message(c.head.id, "Saved for Block 5", after=given)
        await c.runtime.inbox.written()
        kept = await inbox_text(database_url)
        assert str(given.message_id) in kept  # the update is kept, for a restart ...
        assert token not in kept and posted not in kept  # ... without the token
        raw = await raw_token(database_url, c.chat.id)
        assert raw is not None and token not in raw
        if database_url.startswith("sqlite"):
            copy = Path(database_url.removeprefix("sqlite+aiosqlite:///")).with_name("copy.db")
            backup_sqlite(database_url, copy)
            held = copy.read_bytes()
            assert token.encode() not in held and posted.encode() not in held
            assert raw.encode() in held  # the backup holds it, as ciphertext only


async def test_without_a_key_the_admin_is_told_and_nothing_is_stored(sqlite_url: str) -> None:
    async with community_running(sqlite_url, secrets_key=None) as c:
        sandbox = c.sandbox
        sent = await sandbox.send(c.head, "/paytoken", chat=c.chat)
        told = await sandbox.wait_for_message(c.chat.id, "SECRETS_KEY", after=sent)
        assert told.buttons() == []
        assert "the bot's operator has to set SECRETS_KEY" in (told.text or "")
        assert "button" not in (told.text or "")  # none is offered, so none is spoken of
        # A link kept from before the key was gone: refused there too.
        asked = await sandbox.start(c.head, f"t{c.chat.id}")
        await sandbox.wait_for_message(c.head.id, "operator has to set SECRETS_KEY", after=asked)
        async with c.runtime.database.unit_of_work() as uow:
            assert await uow.telegram.conversation(c.head.id) is None  # no token is awaited
        assert await raw_token(sqlite_url, c.chat.id) is None


async def test_a_bot_killed_mid_save_saves_the_token_once_and_members_pay_with_it(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database_file = tmp_path / "bot.db"
    shutil.copy(sqlite_template, database_file)
    url = f"sqlite+aiosqlite:///{database_file}"
    async with sandbox_running() as sandbox:
        emulator = sandbox.emulator
        head, alice, bob = (sandbox.user(name) for name in ("Hanna", "Alice Zebra", "Bob"))
        admin = sandbox.user("Olga")
        chat = sandbox.group("Block 5", members=[alice, bob], admins=[head])
        log = tmp_path / "bot.log"
        settings = {"SECRETS_KEY": SECRETS_KEY, "DEFAULT_TIMEZONE": TIMEZONE}
        bot = await BotProcess.start(emulator, url, log, **settings)
        try:
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id, timeout=30)
            await asked_for_the_token(sandbox, head, chat)
            token = emulator.connect_provider()
            # Killed while it asks Telegram whether the sender is still a chat admin, just
            # before the transaction that saves the token.
            emulator.late_answers["getchatmember"] = 60.0
            checks = sum(call.method == "getChatMember" for call in emulator.calls)
            given = await sandbox.send(head, token)
            await emulator.wait_until(
                lambda: sum(call.method == "getChatMember" for call in emulator.calls) > checks
            )
            await bot.stop(signal.SIGKILL)
            del emulator.late_answers["getchatmember"]
            assert await raw_token(url, chat.id) is None
            assert token in await inbox_text(url)  # kept, as the inbox promises: not lost

            bot = await BotProcess.start(emulator, url, log, **settings)
            await sandbox.wait_for_message(head.id, "Saved for Block 5", after=given, timeout=30)
        finally:
            await bot.stop()
        saved = [m for m in sandbox.bot_messages(head.id) if "Saved for" in (m.text or "")]
        assert len(saved) == 1
        assert emulator.messages[(head.id, given.message_id)].deleted
        assert token not in await inbox_text(url)
        raw = await raw_token(url, chat.id)
        assert raw is not None and token not in raw

        # Started again (in this process, to read its runtime): the members pay with it.
        async with bot_running(sandbox, url, default_timezone=TIMEZONE) as runtime:
            c = Community(sandbox, runtime, head, alice, bob, chat, admin)
            await stopped_purchase(c)
            notice: SandboxMessage = await sandbox.wait_for_message(alice.id, "has stopped")
            invoice = await invoice_of(c, notice)
            [call] = [call for call in emulator.calls if call.method == "sendInvoice"]
            assert call.params["provider_token"] == token
            assert (await sandbox.pay(alice, invoice)).ok
            await sandbox.wait_for_message(alice.id, "is received (paid in Telegram)")


async def test_a_token_sent_unasked_or_too_late_is_deleted_and_kept_nowhere(
    database_url: str,
) -> None:
    clock = ShiftedClock()
    async with community_running(database_url, clock) as c:
        sandbox, emulator = c.sandbox, c.sandbox.emulator
        sent = await sandbox.start(c.head)
        await sandbox.wait_for_message(c.head.id, "Hello", after=sent)
        unasked = emulator.connect_provider()
        first = await sandbox.send(c.head, unasked)
        told = await sandbox.wait_for_message(c.head.id, "I was not waiting for one", after=first)
        await asked_for_the_token(sandbox, c.head, c.chat)
        clock.advance(timedelta(minutes=16))  # the link's quarter of an hour is over
        late = emulator.connect_provider()
        given = await sandbox.send(c.head, late)
        await sandbox.wait_for_message(c.head.id, "I was not waiting for one", after=told)
        await c.runtime.inbox.written()
        kept = await inbox_text(database_url)
        assert unasked not in kept and late not in kept
        assert str(given.message_id) in kept  # kept for a restart, without its text
        assert await raw_token(database_url, c.chat.id) is None
        for sent_token in (first, given):  # deleted from the chat too
            assert emulator.messages[(c.head.id, sent_token.message_id)].deleted
