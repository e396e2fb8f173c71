"""The driver's people and chats: who exists, who is in which group, and the bot added to one."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable

from sandbox.emulator import TelegramSandbox
from sandbox.model import (
    SandboxChat,
    SandboxUser,
)


class People:
    """Creates people and groups in the emulator, and moves them in and out of groups."""

    def __init__(self, emulator: TelegramSandbox) -> None:
        self.emulator = emulator
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    def continue_numbering(self) -> None:
        """New people and groups get ids after those here already (brought back from a file)."""
        users = [u.id for u in self.emulator.users.values() if not u.is_bot]
        groups = [
            -chat.id - (1_000_000_000_000 if chat.type == "supergroup" else 0)
            for chat in self.emulator.chats.values()
            if not chat.is_private
        ]
        self._user_ids = itertools.count(max([10_000, *users]) + 1)
        self._group_ids = itertools.count(max([0, *groups]) + 1)

    def user(
        self, first_name: str, username: str | None = None, language_code: str | None = "en"
    ) -> SandboxUser:
        user = SandboxUser(next(self._user_ids), first_name, username, language_code)
        self.emulator.users[user.id] = user
        self.emulator.chats[user.id] = SandboxChat(user.id, "private", first_name)
        return user

    def group(
        self,
        title: str,
        members: Iterable[SandboxUser] = (),
        admins: Iterable[SandboxUser] = (),
        supergroup: bool = True,
    ) -> SandboxChat:
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat = SandboxChat(chat_id, "supergroup" if supergroup else "group", title)
        for index, admin in enumerate(admins):
            chat.members[admin.id] = "creator" if index == 0 else "administrator"
        for member in members:
            chat.members.setdefault(member.id, "member")
        self.emulator.chats[chat_id] = chat
        return chat

    def join(self, chat: SandboxChat, user: SandboxUser, tell: bool = True) -> int | None:
        """The user joins the group; Telegram tells a bot that administers it (chat_member),
        unless `tell` is off (a member since before the bot heard of anything). Returns that
        update's id, when one was sent."""
        old = chat.members.get(user.id, "left")
        chat.members.setdefault(user.id, "member")
        return self._member_changed(chat, user, old) if tell else None

    def leave(self, chat: SandboxChat, user: SandboxUser, banned: bool = False) -> int | None:
        """The user leaves the group (or is banned from it): as `join`, the other way."""
        old = chat.members.get(user.id, "left")
        chat.members[user.id] = "kicked" if banned else "left"
        return self._member_changed(chat, user, old)

    def _member_changed(self, chat: SandboxChat, user: SandboxUser, old: str) -> int | None:
        new = chat.members[user.id]
        bot_is_admin = chat.members.get(self.emulator.bot.id) == "administrator"
        if old == new or not bot_is_admin:
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # set up before anything runs: nobody to tell
            return None
        return self.emulator.push_update(
            "chat_member",
            {
                "chat": chat.to_api(self.emulator.users),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": user.to_api()},
                "new_chat_member": self.emulator._member(chat, user.id),
            },
        )

    async def add_bot(
        self, chat: SandboxChat, by: SandboxUser, as_admin: bool = False, can_pin: bool = False
    ) -> int:
        """`by` adds the bot to the group; the bot gets a my_chat_member update."""
        self._require_member(chat, by)
        chat.members[self.emulator.bot.id] = "administrator" if as_admin else "member"
        chat.bot_can_pin = can_pin
        return self.emulator.push_update(
            "my_chat_member",
            {
                "chat": chat.to_api(self.emulator.users),
                "from": by.to_api(),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": self.emulator.bot.to_api()},
                "new_chat_member": self.emulator._member(chat, self.emulator.bot.id),
            },
        )

    def block(self, user: SandboxUser) -> None:
        """The user blocks the bot: every later message to them gets 403."""
        user.blocked_bot = True

    def _require_member(self, chat: SandboxChat, user: SandboxUser) -> None:
        if not chat.is_private and chat.members.get(user.id) not in (
            "creator",
            "administrator",
            "member",
        ):
            raise ValueError(f"{user.first_name} is not a member of {chat.title}")
