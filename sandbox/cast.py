"""The sandbox's people and community chats, kept between runs of `make run` beside its
database. The bot's database remembers them (their orders, languages, communities), so a later
run brings the same people back under the same ids instead of handing their ids to newcomers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, NegativeInt, PositiveInt, ValidationError

from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxUser


class SavedPerson(BaseModel):
    id: PositiveInt
    first_name: str
    username: str | None
    language_code: str | None
    started_bot: bool


class SavedGroup(BaseModel):
    id: NegativeInt
    type: Literal["group", "supergroup"]
    title: str
    bot_can_pin: bool
    members: dict[PositiveInt, Literal["creator", "administrator", "member", "left", "kicked"]]


class SavedCast(BaseModel):
    people: list[SavedPerson]
    groups: list[SavedGroup]


class CastUnreadable(Exception):
    """The file is not one this module wrote; the message says why."""


@dataclass(frozen=True)
class Cast:
    path: Path

    def save(self, sandbox: Sandbox) -> None:
        """Write everyone but the bot (its id is new every run), replacing the file whole."""
        emulator = sandbox.emulator
        cast = SavedCast(
            people=[
                SavedPerson(id=u.id, first_name=u.first_name, username=u.username,
                            language_code=u.language_code, started_bot=u.started_bot)
                for u in emulator.users.values() if not u.is_bot
            ],
            groups=[
                SavedGroup(id=c.id, type=c.type, title=c.title,
                           bot_can_pin=c.bot_can_pin,
                           members={k: v for k, v in c.members.items() if k != emulator.bot.id})
                for c in emulator.chats.values() if not c.is_private
            ],
        )  # fmt: skip
        written = self.path.with_name(self.path.name + ".new")
        written.write_text(cast.model_dump_json(indent=1), "utf-8")
        written.replace(self.path)

    def bring_back(self, sandbox: Sandbox) -> int:
        """Recreate the people and groups of earlier runs (those already here keep theirs and
        take back whether they started the bot); the bot is an admin of every group it was in.
        Returns how many people were brought back. A missing file brings back nobody."""
        if not self.path.exists():
            return 0
        try:
            saved = SavedCast.model_validate_json(self.path.read_bytes())
        except (OSError, ValidationError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not a file it wrote"
            raise CastUnreadable(f"cannot read {self.path.name}: {reason}") from None
        emulator = sandbox.emulator
        brought = 0
        for person in saved.people:
            user = emulator.users.get(person.id)
            if user is None:
                user = SandboxUser(person.id, person.first_name, person.username,
                                   person.language_code)  # fmt: skip
                emulator.users[user.id] = user
                emulator.chats[user.id] = SandboxChat(user.id, "private", user.first_name)
                brought += 1
            user.started_bot = person.started_bot
        for group in saved.groups:
            chat = emulator.chats.get(group.id)
            if chat is None:
                chat = SandboxChat(group.id, group.type, group.title)
                chat.bot_can_pin = group.bot_can_pin
                chat.members[emulator.bot.id] = "administrator"
                emulator.chats[chat.id] = chat
            for member, status in group.members.items():
                if member in emulator.users:
                    chat.members.setdefault(member, status)
        sandbox.continue_numbering()
        return brought
