"""A community with the bot in it, a head and members, for tests of the main flows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import func, select

from handlers.runtime import Runtime
from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser
from storage.purchase_tables import PurchaseRow
from tests.support.running import ShiftedClock, bot_running, sandbox_running
from texts.callback_data import decode
from texts.i18n import Translator
from texts.step_questions import CONFIRMED_BY

TIMEZONE = "Europe/Berlin"


def local(days: float, hour: int = 18) -> str:
    """A local date and time in the community's timezone, `days` from now."""
    moment = datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE)) + timedelta(days=days)
    return moment.strftime(f"%Y-%m-%d {hour:02d}:00")


def template(**overrides: str) -> str:
    """The issue's example purchase; a key mapped to "" is left out."""
    lines = {
        "Title": "Wildflower honey from Altai",
        "Description": "Raw honey, 2025 harvest",
        "Supplier": "Altai Bee Farm",
        "Item": "Honey 1 kg | 12.50 | pack 6 | max 10",
        "Item2": "Honey 0.5 kg | 7.00",
        "Min order": "30 units",
        "Deadline": local(3),
        "Pickup": f"{local(5)[:10]} 10:00-12:00 | Community hall, 5 Main St",
        "Fee": "5%",
        "Delivery": "20.00 split by amount",
        "Regions": "EU",
        "If short": "extend 24h",
    } | overrides
    return "\n".join(
        f"{key.rstrip('0123456789')}: {value}" for key, value in lines.items() if value
    )


@dataclass
class Community:
    sandbox: Sandbox
    runtime: Runtime
    head: SandboxUser
    alice: SandboxUser
    bob: SandboxUser
    chat: SandboxChat
    admin: SandboxUser  # a platform admin (ADMIN_IDS), not in the chat

    async def publish(self, text: str | None = None) -> SandboxMessage:
        """The head publishes a purchase from the group by template; returns its card."""
        sent = await self.sandbox.send(self.head, "/new\n" + (text or template()), chat=self.chat)
        return await self.sandbox.wait_for_message(self.chat.id, "🛒", after=sent)

    async def panel(self) -> SandboxMessage:
        """The head sends /purchases; the panel is the answer with buttons (a digest may
        arrive in between)."""
        sent = await self.sandbox.send(self.head, "/purchases")
        return await self.sandbox.wait_for_message(
            self.head.id, lambda m: bool(m.buttons()) and "🛒" in (m.text or ""), after=sent
        )

    async def purchases_stored(self) -> int:
        async with self.runtime.database.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(PurchaseRow)) or 0)

    async def cancel(self, command: str, t: Translator | None = None) -> SandboxMessage:
        """The head sends `/cancel_purchase <id> <reason>` and says yes to the question it
        asks (in `t`'s language); returns the question, closed with the outcome."""
        words = t.gettext if t else str
        sent = await self.sandbox.send(self.head, command)
        asked = await self.sandbox.wait_for_message(
            self.head.id, lambda m: _yes_of(m) is not None, after=sent
        )
        yes = _yes_of(asked)
        assert yes is not None
        await self.sandbox.tap(self.head, asked, yes, answer=words("Done."))
        return await self.sandbox.wait_for_edit(
            asked, words("Cancelled. Every member gets your reason.")
        )

    def translator(self) -> Translator:
        """The language everyone here speaks."""
        return Translator(self.head.language_code or "en")

    async def started(self, *people: SandboxUser) -> None:
        """Each of them starts the bot and reads its greeting, so the bot may write to them."""
        for person in people:
            await self.sandbox.wait_for_message(person.id, after=await self.sandbox.start(person))

    async def say(self, user: SandboxUser, text: str, answer: str) -> SandboxMessage:
        """`user` writes in their private chat; wait for the bot's reply containing `answer`."""
        sent = await self.sandbox.send(user, text)
        return await self.sandbox.wait_for_message(user.id, answer, after=sent)


def joined_toast(t: Translator, units: int, item: str) -> str:
    """How a +1 tap is answered in `t`'s language, up to the total (which fees move)."""
    toast = t.gettext("You're in: {quantity} × {item} — {total} in all")
    return toast.format(quantity=units, item=item, total="\0").split("\0")[0]


CONFIRMS = frozenset(CONFIRMED_BY.values())


def _yes_of(message: SandboxMessage) -> str | None:
    """The "yes" of a question asked once before a step, by what it does."""
    return next(
        (b["text"] for b in message.buttons()
         if (pressed := decode(b.get("callback_data"))) and pressed.action in CONFIRMS),
        None,
    )  # fmt: skip


async def tap_and_confirm(
    sandbox: Sandbox,
    user: SandboxUser,
    message: SandboxMessage,
    label: str,
    t: Translator | None = None,
) -> SandboxMessage:
    """Press a control that asks once (Stop now, Mark ordered, Mark arrived, Go ahead anyway)
    and its "yes", answered "Done." (in `t`'s language); returns the message, as it stands
    after the answer."""
    await sandbox.tap(user, message, label, answer="")
    asked = await sandbox.wait_for_edit(message, lambda m: _yes_of(m) is not None)
    yes = _yes_of(asked)
    assert yes is not None
    await sandbox.tap(user, asked, yes, answer=t.gettext("Done.") if t else "Done.")
    return await sandbox.wait_for_edit(message, lambda m: _yes_of(m) is None)


@asynccontextmanager
async def community_running(
    database_url: str, clock: ShiftedClock | None = None, language: str = "en",
    payments: bool = False, **settings: object,
) -> AsyncIterator[Community]:  # fmt: skip
    """Hanna (head, chat admin), Alice Zebra and Bob in "Block 5", the bot an admin there;
    Olga is a platform admin. Everyone's Telegram app, and the community, speak `language`.
    With `payments`, the bot has the sandbox's payment provider token (Telegram Payments)."""
    async with sandbox_running() as sandbox:
        if payments:
            settings["payment_provider_token"] = SecretStr(sandbox.emulator.payment_provider_token)
        head, alice, bob = (
            sandbox.user(name, language_code=language) for name in ("Hanna", "Alice Zebra", "Bob")
        )
        admin = sandbox.user("Olga")
        chat = sandbox.group("Block 5", members=[alice, bob], admins=[head])
        async with bot_running(
            sandbox,
            database_url,
            clock,
            default_timezone=TIMEZONE,
            admin_ids=(admin.id,),
            **settings,
        ) as runtime:
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            greeting = await sandbox.wait_for_message(chat.id)
            if language != "en":
                sent = await sandbox.send(head, f"/settings language {language}", chat=chat)
                await sandbox.wait_for_message(chat.id, after=sent)
            assert greeting.text
            yield Community(sandbox, runtime, head, alice, bob, chat, admin)
        limited = sandbox.emulator.rate_limited
        assert limited == [], [(c.method, c.params.get("chat_id"), c.description) for c in limited]
