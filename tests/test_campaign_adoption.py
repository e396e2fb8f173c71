"""A head adopting a campaign in the wizard, through the sandbox: the campaign's rules are
checked where items and prices are typed (not first at Publish), Pay to is the head's details
of last time (with *As last time* at its question), and a Publish the campaign refuses keeps
the purchase to mend and publish — in the head's language."""

from __future__ import annotations

import pytest

from domain.money import Money
from tests.support.adoption import adopted, heading, in_group
from tests.support.scenario import Community, template


@pytest.fixture
async def community(bilingual: Community) -> Community:
    await bilingual.started(bilingual.head, bilingual.admin)
    return bilingual


async def test_campaign_rules_are_checked_as_typed_and_a_refused_publish_keeps_the_draft(
    community: Community,
) -> None:
    c = community
    t = c.translator()
    # Hanna ran a purchase before: where members pay her is known.
    await c.publish(template(**{"Pay to": "IBAN DE12 3456"}))
    preview = await adopted(c, t)
    saved = t.gettext("Region saved: {region}. Heads here see its campaigns with /campaigns.")
    assert "IBAN DE12 3456" in (preview.text or "")  # as last time

    # The items entered again: the campaign's rules answer each line as it is typed.
    await c.sandbox.tap(c.head, preview, t.gettext("Edit"), answer="")
    fields = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()), after=preview)
    await c.sandbox.tap(c.head, fields, t.gettext("Items (enter again)"), answer="")
    first = t.gettext(
        "item {number} of the campaign is {item}, not {offered}: enter the campaign's items in "
        "its order"
    ).format(number=1, item="Honey 0.5 kg", offered="Beeswax candle")
    await c.say(c.head, "Beeswax candle | 3.00", first)
    bounds = t.gettext("{item}: the campaign lets you sell it for {low} to {high}").format(
        item="Honey 0.5 kg", low=t.money(Money.parse("7.00", "EUR")),
        high=t.money(Money.parse("9.00", "EUR")),
    )  # fmt: skip
    await c.say(c.head, "Honey 0.5 kg | 12.00 | pack 6", bounds)
    await c.say(c.head, "Honey 0.5 kg | 8.50 | pack 6", "Honey 0.5 kg")
    added = await c.say(c.head, "Beeswax candle | 3.00", "Beeswax candle")
    await c.sandbox.tap(c.head, added, t.gettext("Done with items"), answer="")
    preview = await c.sandbox.wait_for_message(c.head.id, heading(t), after=added)

    # Pay to offers the details of last time.
    await c.sandbox.tap(c.head, preview, t.gettext("Edit"), answer="")
    fields = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()), after=preview)
    await c.sandbox.tap(c.head, fields, t.gettext("Pay to"), answer="")
    asked = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()), after=fields)
    last = t.gettext("As last time: {details}").format(details="IBAN DE12 3456")
    await c.sandbox.tap(c.head, asked, last, answer="")
    preview = await c.sandbox.wait_for_message(c.head.id, heading(t), after=asked)

    # The community leaves the campaign's regions before Publish: refused, and kept.
    await in_group(c, "/region South", saved.format(region="South"))
    await c.sandbox.tap(c.head, preview, t.gettext("Publish"), answer="")
    refused = await c.sandbox.wait_for_message(
        c.head.id,
        t.gettext(
            "Not published: {reason}.\nYour purchase is kept as it is: press Edit to change it."
        ).split("\n")[1],
        after=preview,
    )  # fmt: skip
    assert "South" in (refused.text or "")
    assert await c.purchases_stored() == 1
    await in_group(c, "/region North", saved.format(region="North"))
    await c.sandbox.tap(c.head, refused, t.gettext("Publish"), answer="")
    published = t.gettext("Published in {title}. Members can join from the card there.")
    await c.sandbox.wait_for_message(c.head.id, published.format(title="Block 5"), after=refused)
    async with c.runtime.database.unit_of_work() as uow:
        part = await uow.purchases.get(2)
    assert part is not None and part.campaign_id == 1 and part.pay_to == "IBAN DE12 3456"
    assert [(i.label, i.unit_price) for i in part.items] == [
        ("Honey 0.5 kg", Money.parse("8.50", "EUR")),
        ("Beeswax candle", Money.parse("3.00", "EUR")),
    ]
