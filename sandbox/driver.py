"""Playing users against the sandbox, in a few readable lines per step.

sandbox = Sandbox(emulator)
head, alice = sandbox.user("Hanna"), sandbox.user("Alice")
block = sandbox.group("Block 5", members=[alice], admins=[head])
await sandbox.add_bot(block, by=head)
sent = await sandbox.send(head, "/new", chat=block)
reply = await sandbox.wait_for_message(block.id, "private chat", after=sent)
await sandbox.tap(alice, card, "+1 Honey", answer="You're in: 1 × Honey")
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sandbox.model import SandboxMessage
from sandbox.paying import Paying
from sandbox.pressing import Pressing
from sandbox.sending import Sending

Match = str | re.Pattern[str] | Callable[[SandboxMessage], bool]


def _matches(message: SandboxMessage, match: Match) -> bool:
    if callable(match) and not isinstance(match, re.Pattern):
        return match(message)
    text = message.text or message.caption or ""
    if isinstance(match, re.Pattern):
        return match.search(text) is not None
    return match in text


class Sandbox(Sending, Pressing, Paying):
    """The test driver: creates people and chats, acts as them, and waits for the bot."""

    # --- waiting and reading ----------------------------------------------------------------

    def bot_messages(self, chat_id: int, after: SandboxMessage | int = 0) -> list[SandboxMessage]:
        since = after.message_id if isinstance(after, SandboxMessage) else after
        return [
            m
            for m in self.emulator.chat_messages(chat_id)
            if m.sender_id == self.emulator.bot.id and m.message_id > since
        ]

    async def wait_for_message(
        self,
        chat_id: int,
        match: Match = "",
        after: SandboxMessage | int = 0,
        timeout: float = 10.0,
    ) -> SandboxMessage:
        """The first message from the bot in `chat_id` after `after` that matches."""

        def found() -> SandboxMessage | None:
            return next((m for m in self.bot_messages(chat_id, after) if _matches(m, match)), None)

        try:
            message: SandboxMessage = await self.emulator.wait_until(found, timeout)
        except TimeoutError:
            seen = [m.text or m.caption for m in self.bot_messages(chat_id, after)]
            raise AssertionError(
                f"no bot message matching {match!r} in chat {chat_id} within {timeout}s; "
                f"the bot sent {seen}"
            ) from None
        return message

    async def wait_for_edit(
        self, message: SandboxMessage, match: Match, timeout: float = 10.0
    ) -> SandboxMessage:
        """Wait until the bot has edited `message` into something that matches."""
        key = (message.chat_id, message.message_id)
        await self.emulator.wait_until(
            lambda: _matches(self.emulator.messages[key], match), timeout
        )
        return self.emulator.messages[key]

    def photos(self, chat_id: int) -> list[tuple[str | None, bytes]]:
        """(caption, image) of every photo the bot sent to `chat_id`."""
        return [
            (message.caption, self.emulator.files[message.photo[-1]["file_id"]].data)
            for message in self.bot_messages(chat_id)
            if message.photo
        ]

    def documents(self, chat_id: int) -> list[tuple[str, bytes]]:
        """(file name, content) of every document the bot sent to `chat_id`."""
        result = []
        for message in self.bot_messages(chat_id):
            if message.document is not None:
                stored = self.emulator.files[message.document["file_id"]]
                result.append((stored.file_name, stored.data))
        return result
