"""An item listed twice is caught wherever items come in, through the sandbox: the template,
the wizard, a supplier's price list (its button pressed twice), Open again of an old purchase
that had twins, an edit and a campaign's form; each message names the item (and both prices),
in the head's language. Open a purchase with these items keeps what the head typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain import services
from domain.money import Money
from domain.purchase import PurchaseStatus
from handlers.wizard_steps import WIZARD, Step, Wizard
from sandbox.model import SandboxMessage
from tests.support.builders import item, purchase
from tests.support.scenario import Community, community_running, template
from tests.test_campaigns import campaign_form
from texts.callback_data import Action, encode
from texts.i18n import Translator

PRICE_TWICE = (
    "{item} is in the list already at {first}, and this line says {second}: which price is "
    "right? List it once, at that price"
)
LISTED = "{item} is in the list already"
# Two lines of a supplier's price list, as a CSV file.
PRICE_LIST = b"name,price\nHoney 1 kg,12.50\nWax,3.00\n"


def price_twice(t: Translator, name: str, first: str, second: str) -> str:
    return t.gettext(PRICE_TWICE).format(
        item=name, first=t.money(Money.parse(first, "EUR")),
        second=t.money(Money.parse(second, "EUR")),
    )  # fmt: skip


def has(text: str) -> object:
    return lambda message: text in (message.text or "")


async def wizard_of(c: Community) -> Wizard:
    """The head's purchase in the making, as stored."""
    async with c.runtime.database.unit_of_work() as uow:
        found = await uow.telegram.conversation(c.head.id)
        assert found is not None and found[0] == WIZARD
        community = await uow.communities.get(c.chat.id)
    assert community is not None
    return Wizard.restored(found[1], community, c.runtime.clock(), Decimal(10))


async def to_items(c: Community, t: Translator, title: str) -> SandboxMessage:
    """The head opens the wizard from the group and answers up to the items question."""
    sent = await c.sandbox.send(c.head, "/new", chat=c.chat)
    offer = await c.sandbox.wait_for_message(c.chat.id, lambda m: bool(m.buttons()), after=sent)
    opened = await c.sandbox.open_link(c.head, offer.buttons()[0]["url"])
    asked = t.gettext("What are you buying? Send a short title, e.g. Wildflower honey from Altai")
    await c.sandbox.wait_for_message(c.head.id, asked[:12], after=opened)
    await c.say(c.head, title, t.gettext("Describe it in a few lines for your neighbours."))
    await c.say(c.head, "Raw honey", t.gettext("Who is the supplier? e.g. Altai Bee Farm")[:15])
    items = t.gettext(
        "Send the items one message each, as: name | price\n"
        "e.g. Honey 1 kg | 12.50 | pack 6 | max 10\n"
        "Options: pack N, min N, max N, stock N, moq N. "
        "Cheaper from a quantity: 12.50; 11.90 from 60"
    )
    return await c.say(c.head, "Altai Bee Farm", items[:20])


@pytest.fixture
async def community(bilingual: Community) -> Community:
    await bilingual.started(bilingual.head, bilingual.alice)
    return bilingual


async def test_a_template_with_an_item_twice_is_refused_naming_it(community: Community) -> None:
    c, t = community, community.translator()
    twice = template(Item2="honey  1 KG | 13.00")
    sent = await c.sandbox.send(c.head, "/new\n" + twice, chat=c.chat)
    reply = await c.sandbox.wait_for_message(c.chat.id, has("Honey 1 kg"), after=sent)
    assert price_twice(t, "Honey 1 kg", "12.50", "13.00") in (reply.text or "")
    same = template(Item2="Honey 1 kg | 12.50 | pack 6 | max 10")
    sent = await c.sandbox.send(c.head, "/new\n" + same, chat=c.chat)
    reply = await c.sandbox.wait_for_message(c.chat.id, has("Honey 1 kg"), after=sent)
    assert t.gettext(LISTED).format(item="Honey 1 kg") in (reply.text or "")
    assert await c.purchases_stored() == 0
    if t.language == "ru":
        assert "уже есть в списке" in (reply.text or "")


async def test_the_wizard_refuses_an_item_typed_again(community: Community) -> None:
    c, t = community, community.translator()
    await to_items(c, t, "Winter honey")
    added = t.gettext("Added item {number}: {name}. Send another, or press Done.")
    await c.say(c.head, "Honey 1 kg | 12.50", added.format(number=1, name="Honey 1 kg"))
    again = await c.say(c.head, "ＨＯＮＥＹ  1 kg | 12.50", "Honey 1 kg")
    assert t.gettext(LISTED).format(item="Honey 1 kg") in (again.text or "")
    other = await c.say(c.head, "honey 1 kg | 13", "Honey 1 kg")
    assert price_twice(t, "Honey 1 kg", "12.50", "13.00") in (other.text or "")
    assert [i.label for i in (await wizard_of(c)).form.items] == ["Honey 1 kg"]


async def test_a_price_list_adds_its_items_once_and_keeps_what_was_typed(
    community: Community,
) -> None:
    c, t = community, community.translator()
    await to_items(c, t, "Winter honey")
    await c.say(c.head, "Honey 1 kg | 13.00", "Honey 1 kg")
    sent = await c.sandbox.send_document(c.head, "altai.csv", PRICE_LIST, caption="Altai Farm")
    preview = await c.sandbox.wait_for_message(
        c.head.id, lambda m: bool(m.buttons()) and "Altai Farm" in (m.text or ""), after=sent
    )
    use = t.gettext("Open a purchase with these items")
    # The list says 12.50 where the head typed 13.00: both named, nothing added, nothing lost.
    await c.sandbox.tap(c.head, preview, use, answer="")
    refused = await c.sandbox.wait_for_message(c.head.id, has("Honey 1 kg"), after=preview)
    assert price_twice(t, "Honey 1 kg", "13.00", "12.50") in (refused.text or "")
    kept = await wizard_of(c)
    assert kept.form.title == "Winter honey" and len(kept.form.items) == 1

    # A new purchase: the list from the items question, pressed twice, adds its items once.
    items = await to_items(c, t, "Spring honey")
    listed = t.gettext("📋 Items of {supplier}").format(supplier="Altai Farm")
    await c.sandbox.tap(c.head, items, listed, answer="")
    two = t.ngettext(
        "{count} item now. Send another, or press Done.",
        "{count} items now. Send another, or press Done.",
        2,
    ).format(count=2)
    added = await c.sandbox.wait_for_message(c.head.id, two, after=items)
    await c.sandbox.tap(c.head, items, listed, answer="")  # the same button, again
    note = t.ngettext(
        "{count} item was in the list already, as it is, and is not added again: {items}.",
        "{count} items were in the list already, as they are, and are not added again: {items}.",
        2,
    ).format(count=2, items="Honey 1 kg, Wax")
    again = await c.sandbox.wait_for_message(c.head.id, note, after=added)
    assert two in (again.text or "")
    # Open a purchase with these items, pressed now, keeps the title and description typed
    # and the items, and asks the question the head was on.
    await c.sandbox.tap(c.head, preview, use, answer="")
    intro = t.gettext(
        "The items of {supplier} are in. Now the rest of the purchase in {title}."
    ).format(supplier="Altai Farm", title="Block 5")
    back = await c.sandbox.wait_for_message(c.head.id, intro, after=again)
    assert note in (back.text or "") and "| " in (back.text or "")
    kept = await wizard_of(c)
    assert (kept.form.title, kept.form.description) == ("Spring honey", "Raw honey")
    assert [i.label for i in kept.form.items] == ["Honey 1 kg", "Wax"]


async def test_open_with_these_items_at_the_preview_shows_the_preview_with_them(
    community: Community,
) -> None:
    c, t = community, community.translator()
    sent = await c.sandbox.send(c.head, "/new", chat=c.chat)
    offer = await c.sandbox.wait_for_message(c.chat.id, lambda m: bool(m.buttons()), after=sent)
    await c.sandbox.wait_for_message(
        c.head.id, after=await c.sandbox.open_link(c.head, offer.buttons()[0]["url"])
    )

    def is_preview(m: SandboxMessage) -> bool:
        return t.gettext("Publish") in [b["text"] for b in m.buttons()]

    body = template(Item="Honey 0.5 kg | 7.00", Item2="")
    await c.sandbox.wait_for_message(
        c.head.id, is_preview, after=await c.sandbox.send(c.head, "/new\n" + body)
    )
    sent = await c.sandbox.send_document(c.head, "altai.csv", PRICE_LIST, caption="Altai Farm")
    listed = await c.sandbox.wait_for_message(
        c.head.id, lambda m: bool(m.buttons()) and "Altai Farm" in (m.text or ""), after=sent
    )
    await c.sandbox.tap(c.head, listed, t.gettext("Open a purchase with these items"), answer="")
    intro = t.gettext("The items of {supplier} are in. Here is your purchase in {title} now.")
    said = await c.sandbox.wait_for_message(
        c.head.id, intro.format(supplier="Altai Farm", title="Block 5"), after=listed
    )
    preview = await c.sandbox.wait_for_message(c.head.id, is_preview, after=said)
    assert "Wax" in (preview.text or "")
    kept = await wizard_of(c)
    assert kept.step is Step.PREVIEW
    assert [i.label for i in kept.form.items] == ["Honey 0.5 kg", "Honey 1 kg", "Wax"]

    # Changing one answer from the preview, she goes on with that answer.
    fee = c.sandbox.press_forged(c.head, preview, encode(Action.WIZARD_FIELD, Step.FEE))
    assert (await c.sandbox.answer_of(fee)).text in ("", None)
    asked = await c.sandbox.wait_for_message(c.head.id, after=preview)
    await c.sandbox.tap(c.head, listed, t.gettext("Open a purchase with these items"), answer="")
    changing = t.gettext(
        "The items of {supplier} are in. Go on with the answer you were changing in "
        "{title}; the preview follows."
    ).format(supplier="Altai Farm", title="Block 5")
    await c.sandbox.wait_for_message(c.head.id, changing, after=asked)
    assert (await wizard_of(c)).step is Step.FEE


async def test_an_edit_naming_an_item_twice_is_refused(community: Community) -> None:
    c, t = community, community.translator()
    await c.publish()
    edit = "/edit 1\nItem: Honey 1 kg | 13.00\nItem: honey 1 kg | 14.00"
    reply = await c.say(c.head, edit, "Honey 1 kg")
    assert price_twice(t, "Honey 1 kg", "13.00", "14.00") in (reply.text or "")
    async with c.runtime.database.unit_of_work() as uow:
        stored = await uow.purchases.get(1)
    assert stored is not None and stored.items[0].unit_price == Money.parse("12.50", "EUR")


async def open_again_of_twins(c: Community, second_price: str) -> SandboxMessage:
    """An old purchase that had Honey twice (before this check), cancelled; the head presses
    Open again; returns the bot's first answer after."""
    now = datetime.now(UTC)
    twins = [
        item(1, "12.50", name="Honey 1 kg"),
        item(2, second_price, name="honey 1 KG"),
        item(3, "3.00", name="Wax"),
    ]
    draft = replace(
        purchase(twins, status=PurchaseStatus.DRAFT), id=0, community_id=c.chat.id,
        head_id=c.head.id, deadline=now + timedelta(days=2),
    )  # fmt: skip
    await services.publish_purchase(c.runtime.database.unit_of_work(), draft, now, Decimal(10))
    t = c.translator()
    await c.cancel("/cancel_purchase 1 the farm closed", t)
    panel = await c.panel()
    await c.sandbox.tap(c.head, panel, t.gettext("🔁 Open again"), answer="")
    return await c.sandbox.wait_for_message(c.head.id, has("1 kg"), after=panel)


async def test_open_again_lists_an_old_purchase_s_twins_once(community: Community) -> None:
    c, t = community, community.translator()
    await open_again_of_twins(c, "12.50")
    said = t.ngettext(
        "{count} item was in the list already, as it is, and is not added again: {items}.",
        "{count} items were in the list already, as they are, and are not added again: {items}.",
        1,
    ).format(count=1, items="honey 1 KG")
    note = await c.sandbox.wait_for_message(c.head.id, said)
    preview = await c.sandbox.wait_for_message(
        c.head.id, t.gettext("Preview of the card for {title}:").format(title="Block 5"), after=note
    )
    assert (preview.text or "").count("Honey 1 kg") == 1
    assert [i.label for i in (await wizard_of(c)).form.items] == ["Honey 1 kg", "Wax"]


async def test_open_again_of_twins_at_two_prices_asks_which(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await c.sandbox.start(c.head)
        refused = await open_again_of_twins(c, "13.00")
        assert "It cannot be opened again as it was:" in (refused.text or "")
        assert price_twice(c.translator(), "Honey 1 kg", "12.50", "13.00") in (refused.text or "")


async def test_a_campaign_with_an_item_twice_is_refused(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c:
        await c.sandbox.start(c.admin)
        form = campaign_form() + "\nItem: honey 0.5 kg | 8.50 | supply 5.00"
        reply = await c.say(c.admin, form, "Not done")
        assert price_twice(c.translator(), "Honey 0.5 kg", "8.00", "8.50") in (reply.text or "")
        assert "line 10 (Item)" in (reply.text or "")
        async with c.runtime.database.unit_of_work() as uow:
            assert await uow.campaigns.listed() == []
