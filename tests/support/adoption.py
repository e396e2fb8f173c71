"""A head of the sandbox's community adopting the operator's campaign, as two test files do."""

from __future__ import annotations

from sandbox.model import SandboxMessage
from tests.support.scenario import Community
from tests.test_campaigns import campaign_form
from texts.i18n import Translator


async def in_group(c: Community, text: str, answer: str) -> None:
    sent = await c.sandbox.send(c.head, text, chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, answer, after=sent)


def heading(t: Translator) -> str:
    return t.gettext("Preview of the card for {title}:").format(title="Block 5")


async def adopted(c: Community, t: Translator) -> SandboxMessage:
    """The operator's campaign, adopted by the head of North: its preview."""
    await c.say(c.admin, campaign_form(), "Campaign #1 Autumn honey is open")
    saved = t.gettext("Region saved: {region}. Heads here see its campaigns with /campaigns.")
    await in_group(c, "/region North", saved.format(region="North"))
    offer = await c.say(c.head, f"/start c{c.chat.id}", "Autumn honey")
    sell = t.gettext("🤝 Sell {title} in {community}").format(title="Autumn honey",
                                                             community="Block 5")  # fmt: skip
    await c.sandbox.tap(c.head, offer, sell, answer="")
    return await c.sandbox.wait_for_message(c.head.id, heading(t), after=offer)
