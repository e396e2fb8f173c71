"""`make run` without a token: the sandbox, a demo community and the bot, played from a console.

Lines you type are sent by the current person into the current chat; lines starting with "!"
steer the console. What the bot sends, edits and answers is printed as it happens.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.lifecycle import polling
from bot.process import BotApplication
from sandbox.cast import Cast, CastUnreadable
from sandbox.chat_page import ChatPage
from sandbox.driver import Sandbox
from sandbox.emulator import TelegramSandbox
from sandbox.model import PendingCallback, SandboxChat, SandboxMessage, SandboxUser

PAGE_HELP = """\
Open {url} in a browser: a chat page where you pick who you are (Hanna runs purchases;
Alice and Bob are neighbours; add more, or a second community), write in the group or the
private chat, press buttons and download what the bot sends. The console below does the same
from the keyboard. Ctrl-C stops the sandbox.
People's ids: {ids}.
To play a platform admin (operators, /admin), start it with `ADMIN_IDS={first_id} make run`.
"""
HELP = """\
GroupBuy sandbox: a local stand-in for Telegram, with the bot running against it.
People: {people}. Group: "{group}" (the bot is an admin there).
You are {user}, typing in {chat}.
  any text          send it as the current person in the current chat (try /start or /help)
  !as NAME          act as another person (a new name creates them)
  !in group         type in the group chat      !in private   type in your private chat
  !press N          press button N of the last message with buttons in this chat
  !who              list people and chats       !help         this text
  !quit             stop (Ctrl-D works too)
"""


@dataclass
class Console:
    sandbox: Sandbox
    group: SandboxChat
    user: SandboxUser
    chat: SandboxChat
    write: Callable[[str], None]
    seen: dict[tuple[int, int], int] = field(default_factory=dict)
    presses: list[PendingCallback] = field(default_factory=list)

    def people(self) -> dict[str, SandboxUser]:
        return {user.first_name.lower(): user for user in self.sandbox.emulator.users.values()}

    def where(self, chat: SandboxChat) -> str:
        return f'group "{chat.title}"' if not chat.is_private else f"{chat.title}'s private chat"

    def help(self) -> str:
        names = ", ".join(user.first_name for user in self.people().values())
        return HELP.format(
            people=names,
            group=self.group.title,
            user=self.user.first_name,
            chat=self.where(self.chat),
        )

    def show(self, message: SandboxMessage, edited: bool) -> None:
        chat = self.sandbox.emulator.chats[message.chat_id]
        label = "bot (edited)" if edited else "bot"
        body = message.text or message.caption or ""
        if message.document:
            body = f"[document {message.document['file_name']}] {body}"
        self.write(f"[{self.where(chat)}] {label}: {body}")
        buttons = message.buttons()
        if buttons:
            self.write("    " + "  ".join(f"[{n}] {b['text']}" for n, b in enumerate(buttons, 1)))

    def report_changes(self) -> None:
        for key, message in sorted(self.sandbox.emulator.messages.items()):
            if message.sender_id != self.sandbox.emulator.bot.id or message.deleted:
                continue
            if key not in self.seen:
                self.show(message, edited=False)
            elif self.seen[key] != message.edits:
                self.show(message, edited=True)
            self.seen[key] = message.edits
        for pending in [p for p in self.presses if p.answer is not None]:
            assert pending.answer is not None
            self.write(f"    (toast) {pending.answer.text or '(no text)'}")
            if pending.answer.url:
                self.write(f"    (the app opens {pending.answer.url})")
            self.presses.remove(pending)

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the console should stop."""
        text = line.strip()
        if not text:
            return True
        if not text.startswith("!"):
            if not self.chat.is_private and self.chat.members.get(self.user.id) is None:
                self.sandbox.join(self.chat, self.user)
            await self.sandbox.send(self.user, text, chat=self.chat)
            return True
        command, _, argument = text[1:].partition(" ")
        argument = argument.strip()
        if command == "quit":
            return False
        if command == "help":
            self.write(self.help())
        elif command == "as" and argument:
            self.user = self.people().get(argument.lower()) or self.sandbox.user(argument)
            self.sandbox.join(self.group, self.user)
            self.chat = self.group if not self.chat.is_private else self.own_chat()
            self.write(f"you are {self.user.first_name}, in {self.where(self.chat)}")
        elif command == "in" and argument in ("group", "private"):
            self.chat = self.group if argument == "group" else self.own_chat()
            self.write(f"typing in {self.where(self.chat)}")
        elif command == "press" and argument.isdigit():
            await self.press(int(argument))
        elif command == "who":
            for user in self.people().values():
                started = "started the bot" if user.started_bot else "has not started the bot"
                self.write(f"  {user.first_name}, id {user.id} ({started})")
        else:
            self.write("unknown console command; !help lists them")
        return True

    def own_chat(self) -> SandboxChat:
        return self.sandbox.emulator.chats[self.user.id]

    async def press(self, number: int) -> None:
        with_buttons = [m for m in self.sandbox.bot_messages(self.chat.id) if m.buttons()]
        if not with_buttons or not 1 <= number <= len(with_buttons[-1].buttons()):
            self.write("no such button in this chat")
            return
        message = with_buttons[-1]
        button = message.buttons()[number - 1]
        if "url" in button:
            self.write(f"(opening {button['url']})")
            await self.sandbox.open_link(self.user, button["url"])
            self.chat = self.own_chat()
            return
        self.presses.append(await self.sandbox.press(self.user, message, button["text"]))


def _stdin_can_be_watched() -> bool:
    """A terminal, a pipe or a socket; not /dev/null or a regular file."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return sys.stdin.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


class SandboxCannotStart(Exception):
    """The chat page cannot listen on its port, or the people of earlier runs cannot be read;
    the message says what to do."""


async def run_console(
    build: Callable[[TelegramSandbox], BotApplication],
    port: int = 0,
    page_port: int = 8080,
    cast: Cast | None = None,
    first_update_id: int = 1,
) -> None:
    """Start the sandbox, the bot and the chat page, create a demo community (and bring back
    the people and groups of earlier runs kept in `cast`), and play it from the web page and
    from stdin (the console ends at the end of input)."""
    emulator = TelegramSandbox(first_update_id=first_update_id)
    await emulator.start(port)
    sandbox = Sandbox(emulator)
    head, alice, bob = sandbox.user("Hanna"), sandbox.user("Alice"), sandbox.user("Bob")
    group = sandbox.group("Block 5 neighbours", members=[alice, bob], admins=[head])
    if cast is not None:
        try:
            brought = cast.bring_back(sandbox)
        except CastUnreadable as error:
            await emulator.stop()
            message = f"{error}; delete it to start with the demo people only"
            raise SandboxCannotStart(message) from None
        if brought:
            print(f"Brought back {brought} more people from {cast.path.name}.", flush=True)
    page = ChatPage(sandbox, group, on_change=None if cast is None else lambda: cast.save(sandbox))
    try:
        await page.start(page_port)
    except OSError as error:
        await emulator.stop()
        raise SandboxCannotStart(
            f"cannot serve the chat page on 127.0.0.1:{page_port} "
            f"({os.strerror(error.errno or 0).lower()}); "
            "set SANDBOX_PAGE_PORT to a free port (0 picks one)"
        ) from None
    try:
        async with polling(build(emulator), poll_timeout=10):
            await sandbox.add_bot(group, by=head, as_admin=True, can_pin=True)
            ids = ", ".join(f"{user.first_name} {user.id}" for user in (head, alice, bob))
            print(PAGE_HELP.format(url=page.url, ids=ids, first_id=head.id), flush=True)
            await _play(sandbox, group, head)
    finally:
        await page.stop()
        await emulator.stop()
        if cast is not None:
            cast.save(sandbox)
    print("sandbox stopped", flush=True)


async def _play(sandbox: Sandbox, group: SandboxChat, head: SandboxUser) -> None:
    emulator = sandbox.emulator

    def write(text: str) -> None:
        print(text, flush=True)

    console = Console(sandbox, group, head, emulator.chats[head.id], write)
    write(f"The sandbox Bot API listens on {emulator.base_url} (127.0.0.1 only).")
    write(console.help())
    if not _stdin_can_be_watched():
        # stdin is /dev/null or a file (nohup, a service): the event loop cannot watch it, and
        # that is not an end of input; the chat page keeps running until the process stops.
        write("No console input here; the chat page keeps running until you stop it.")
        await asyncio.Event().wait()
    reader = await _lines()
    while True:
        try:
            line = await asyncio.wait_for(reader.readline(), 0.2)
        except TimeoutError:
            console.report_changes()
            continue
        if not line or not await console.handle(line.decode(errors="replace")):
            break
        await asyncio.sleep(0.3)  # give the bot a moment, so its answer prints next
        console.report_changes()
