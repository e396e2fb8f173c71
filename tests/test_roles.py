"""Platform roles given by a user id, through the sandbox and the real Application: the one
who typed the id hears whose it is, and the person granted is told, in her own language,
what she may do now and how to start — or, when she never opened the bot, whoever granted
it hears so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from sandbox.driver import Sandbox
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.running import bot_running, sandbox_running
from texts.i18n import Translator

OPERATOR_WELCOME = (
    "{by} made you an operator: you may now run campaigns, which heads in many communities "
    "sell as their own purchases. To start one, send /newcampaign here."
)
DRIVER_WELCOME = (
    "{by} made you a driver. When they plan a delivery day with you on it, I send you your "
    "line here: its stops in order, with a button to mark each delivered. /myline shows it "
    "again."
)
TOLD = "I told them in a private message."
NOT_STARTED = (
    "They have not started the bot yet, so I could not tell them: ask them to open @{bot} "
    "and press Start."
)
EN, RU, ZH = Translator("en"), Translator("ru"), Translator("zh_Hans")


@dataclass
class Platform:
    sandbox: Sandbox
    admin: SandboxUser  # Telegram in English
    oleg: SandboxUser  # in Russian
    mei: SandboxUser  # in Chinese
    jun: SandboxUser  # never opened the bot

    async def say(self, user: SandboxUser, text: str, about: str) -> str:
        """The answer to `text` that names `about` (the welcome of a grant, sent through the
        outbox, may come to the same chat between)."""
        sent = await self.sandbox.send(user, text)
        return (await self.sandbox.wait_for_message(user.id, about, after=sent)).text or ""

    def bot_name(self) -> str:
        return self.sandbox.emulator.bot.username or ""


@pytest.fixture
async def platform(sqlite_url: str) -> AsyncIterator[Platform]:
    async with sandbox_running() as sandbox:
        admin = sandbox.user("Olga", language_code="en")
        oleg = sandbox.user("Oleg", language_code="ru")
        mei = sandbox.user("Mei", language_code="zh-hans")
        jun = sandbox.user("Jun", language_code="zh-hans")
        async with bot_running(sandbox, sqlite_url, admin_ids=(admin.id,)):
            for person in (admin, oleg, mei):
                await sandbox.start(person)
                await sandbox.wait_for_message(person.id)
            yield Platform(sandbox, admin, oleg, mei, jun)


def welcomes(p: Platform, user: SandboxUser, t: Translator, text: str, by: str) -> list[str]:
    said = t.gettext(text).format(by=by)
    return [m.text or "" for m in p.sandbox.bot_messages(user.id) if m.text == said]


async def welcome_of(
    p: Platform, user: SandboxUser, t: Translator, text: str, by: str
) -> SandboxMessage:
    return await p.sandbox.wait_for_message(user.id, t.gettext(text).format(by=by))


async def test_an_operator_made_by_id_is_named_to_the_admin_and_told_in_her_language(
    platform: Platform,
) -> None:
    p = platform
    answer = await p.say(p.admin, f"/operator {p.oleg.id}", "Oleg (")
    assert answer == f"Oleg ({p.oleg.id}) runs campaigns now. {TOLD}"
    told = await welcome_of(p, p.oleg, RU, OPERATOR_WELCOME, "Olga")
    assert "/newcampaign" in (told.text or "")
    answer = await p.say(p.admin, f"/operator {p.oleg.id}", "Oleg (")
    assert answer == f"Oleg ({p.oleg.id}) runs campaigns already."
    # The welcome went once, with the grant: the second /operator wrote nothing to the outbox.
    assert len(welcomes(p, p.oleg, RU, OPERATOR_WELCOME, "Olga")) == 1
    # Someone who never opened the bot cannot be written to first: the admin hears so.
    answer = await p.say(p.admin, f"/operator {p.jun.id}", "Jun (")
    not_started = NOT_STARTED.format(bot=p.bot_name())
    assert answer == f"Jun ({p.jun.id}) runs campaigns now. {not_started}"
    # An id Telegram shows no one for stays an id.
    answer = await p.say(p.admin, "/operator 987654321", "987654321")
    assert answer == f"987654321 runs campaigns now. {not_started}"


async def test_a_driver_made_by_id_is_named_to_the_operator_in_hers_and_told_in_his(
    platform: Platform,
) -> None:
    p = platform
    await p.say(p.admin, f"/operator {p.oleg.id}", "Oleg (")
    await welcome_of(p, p.oleg, RU, OPERATOR_WELCOME, "Olga")
    granted = RU.gettext("{person} drives now: name them under Drivers in /routes.")
    answer = await p.say(p.oleg, f"/driver {p.mei.id}", "Mei (")
    assert answer == granted.format(person=f"Mei ({p.mei.id})") + " " + RU.gettext(TOLD)
    told = await welcome_of(p, p.mei, ZH, DRIVER_WELCOME, "Oleg")
    assert "/myline" in (told.text or "")
    answer = await p.say(p.oleg, f"/driver {p.jun.id}", "Jun (")
    not_started = RU.gettext(NOT_STARTED).format(bot=p.bot_name())
    assert answer == granted.format(person=f"Jun ({p.jun.id})") + " " + not_started
    answer = await p.say(p.oleg, f"/driver {p.mei.id}", "Mei (")
    assert answer == RU.gettext("{person} drives already.").format(person=f"Mei ({p.mei.id})")
