"""A head adopting a campaign, through the sandbox, where the wizard used to let slips through:
Done with items missing a campaign item, an item typed without its pack, /back while changing
one field, the pickup's example before the deadline and the saved pickup point not offered —
in English and Russian."""

from __future__ import annotations

import re

import pytest

from sandbox.model import SandboxMessage
from tests.support.adoption import adopted, heading
from tests.support.scenario import Community, local
from texts.i18n import Translator


@pytest.fixture
async def community(bilingual: Community) -> Community:
    await bilingual.started(bilingual.head, bilingual.admin)
    return bilingual


async def field(c: Community, t: Translator, preview: SandboxMessage, label: str) -> SandboxMessage:
    """Edit → `label` on the preview: the field's question."""
    await c.sandbox.tap(c.head, preview, t.gettext("Edit"), answer="")
    fields = await c.sandbox.wait_for_message(c.head.id, lambda m: bool(m.buttons()), after=preview)
    await c.sandbox.tap(c.head, fields, t.gettext(label), answer="")
    return await c.sandbox.wait_for_message(c.head.id, after=fields)


async def test_done_with_items_names_the_campaign_items_missing_and_an_item_s_pack_is_asked_for(
    community: Community,
) -> None:
    c = community
    t = Translator(c.head.language_code or "en")
    preview = await adopted(c, t)
    await field(c, t, preview, "Items (enter again)")
    # Without its pack: the refusal says the pack the campaign sells it in.
    pack = t.gettext("{item}: the campaign sells it in packs of {pack}: add | pack {pack}")
    await c.say(c.head, "Honey 0.5 kg | 8.50", pack.format(item="Honey 0.5 kg", pack=6))
    candle = t.gettext("{item}: the campaign sells it one by one, not in packs: leave out the pack")
    added = await c.say(c.head, "Honey 0.5 kg | 8.50 | pack 6", "Honey 0.5 kg")
    # Done with one of the two: refused where it is pressed, naming the one to add.
    await c.sandbox.tap(c.head, added, t.gettext("Done with items"), answer="")
    refused = await c.sandbox.wait_for_message(c.head.id, "Beeswax candle | 3.00", after=added)
    missing = t.gettext(
        "a campaign's purchase sells every item of the campaign; still to add: {missing}"
    ).format(missing="Beeswax candle | 3.00")
    assert missing in (refused.text or "")
    assert t.gettext("Done with items") in [b["text"] for b in refused.buttons()]
    await c.say(c.head, "Beeswax candle | 3.00 | pack 10", candle.format(item="Beeswax candle"))

    # /back while changing the items: the preview, with what was typed; Publish still refuses,
    # and its two sentences are two.
    sent = await c.sandbox.send(c.head, "/back")
    preview = await c.sandbox.wait_for_message(c.head.id, heading(t), after=sent)
    assert "Beeswax" not in (preview.text or "")
    await c.sandbox.tap(c.head, preview, t.gettext("Publish"), answer="")
    kept = await c.sandbox.wait_for_message(c.head.id, missing, after=preview)
    said = t.gettext(
        "Not published: {reason}.\nYour purchase is kept as it is: press Edit to change it."
    ).format(reason=missing)
    assert kept.text == said
    assert await c.purchases_stored() == 0

    # Entered again, whole: Done takes it.
    await field(c, t, kept, "Items (enter again)")
    await c.say(c.head, "Honey 0.5 kg | 8.50 | pack 6", "Honey 0.5 kg")
    added = await c.say(c.head, "Beeswax candle | 3.00", "Beeswax candle")
    await c.sandbox.tap(c.head, added, t.gettext("Done with items"), answer="")
    preview = await c.sandbox.wait_for_message(c.head.id, heading(t), after=added)
    assert "Beeswax candle" in (preview.text or "")


async def test_one_field_s_back_returns_to_the_preview_and_the_pickup_offers_the_saved_point(
    community: Community,
) -> None:
    c = community
    t = Translator(c.head.language_code or "en")
    saved = await c.sandbox.send(c.head, "/point 52.5310, 13.3847 Riverside library", chat=c.chat)
    await c.sandbox.wait_for_message(c.chat.id, "Riverside library", after=saved)
    preview = await adopted(c, t)
    # A pickup may come later, with /arrived: the intro says so.
    assert any("/arrived" in (m.text or "") for m in c.sandbox.bot_messages(c.head.id))

    # Edit → Deadline, then /back: the preview again, not the question before it.
    await field(c, t, preview, "Deadline")
    sent = await c.sandbox.send(c.head, "/back")
    back = await c.sandbox.wait_for_message(c.head.id, after=sent)
    assert heading(t) in (back.text or "")

    # The pickup's example comes after the deadline (the cut-off, two days ahead), and the
    # community's saved point is a button.
    asked = await field(c, t, back, "Pickup")
    cut_off_day = local(2)[:10]
    found = re.search(r"\d{4}-\d{2}-\d{2}", asked.text or "")
    assert found is not None, asked.text
    example = found[0]
    assert example > cut_off_day, asked.text
    assert "Riverside library" in (asked.text or "")
    point = next(b["text"] for b in asked.buttons() if b["text"].startswith("📍"))
    assert "Riverside library" in point and example in point
    await c.sandbox.tap(c.head, asked, point, answer="")
    preview = await c.sandbox.wait_for_message(c.head.id, heading(t), after=asked)
    assert "Riverside library" in (preview.text or "")
