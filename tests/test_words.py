"""Words for the person who reads them, through the sandbox in two languages: a size lost
because its row broke is told as a row (and the head sees the row break before accepting),
/orders typed in the group points to the private chat."""

from __future__ import annotations

import pytest

from domain import services
from domain.billing import AmountDue
from domain.permissions import Actor
from domain.reports import MemberLine
from sandbox.model import SandboxMessage, SandboxUser
from tests.support.builders import eur, item, purchase
from tests.support.scenario import Community, community_running, joined_toast, template
from texts.callback_data import Action, decode
from texts.i18n import Translator, pick_language
from texts.notices import lines_label

MEMBER = 5

ROWS = template(
    Item="T-shirt | 9.90 | row S, M, L",
    Item2="",
    **{"Min order": "", "Fee": "", "Delivery": "", "If short": ""},
)


def labels(message: SandboxMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


def label_of(message: SandboxMessage, action: Action) -> str:
    return next(
        b["text"]
        for b in message.buttons()
        if (pressed := decode(b.get("callback_data"))) and pressed.action is action
    )


async def editor(c: Community, card: SandboxMessage, person: SandboxUser, t: Translator
                 ) -> SandboxMessage:  # fmt: skip
    link = next(b["url"] for b in card.buttons() if b["text"] == t.gettext("My order"))
    opened = await c.sandbox.open_link(person, link)
    return await c.sandbox.wait_for_message(person.id, lambda m: bool(m.buttons()), after=opened)


ROW_BREAKS = {
    "en": "• T-shirt: 0 full rows of sizes instead of 1",
    "ru": "• T-shirt: 0 полных рядов вместо 1",
}
SIZE_LOST = {
    "en": "• T-shirt, S: you get 0 instead of 1 — without the sizes that left, its row of sizes "
    "is no longer full",
    "ru": "• T-shirt, S: вы получаете 0 вместо 1 — без вышедших размеров его ряд больше не собран",
}
PACK = {"en": "pack", "ru": "упаков"}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_size_lost_when_its_row_breaks_is_told_as_a_row_and_shown_to_the_head_first(
    sqlite_url: str, language: str
) -> None:
    t = Translator(language)
    async with community_running(sqlite_url, language=language) as c:
        for person in (c.head, c.alice, c.bob):
            sent = await c.sandbox.start(person)
            await c.sandbox.wait_for_message(person.id, after=sent)
        card = await c.publish(ROWS)
        # Row 1 is Alice's S and M with Bob's L; Bob's S waits in row 2, which never fills.
        alice = await editor(c, card, c.alice, t)
        for label in ("+1 T-shirt, S", "+1 T-shirt, M"):
            await c.sandbox.tap(c.alice, alice, label, answer=t.gettext("Updated."))
        bob = await editor(c, card, c.bob, t)
        for label in ("+1 T-shirt, L", "+1 T-shirt, S"):
            await c.sandbox.tap(c.bob, bob, label, answer=t.gettext("Updated."))
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        ask = t.gettext("Ask the head to withdraw me")
        await c.sandbox.tap(c.bob, bob, t.gettext("Refresh"), answer="")
        bob = await c.sandbox.wait_for_edit(bob, lambda m: ask in labels(m))
        await c.sandbox.tap(c.bob, bob, ask, answer=t.gettext("Asked. The head will answer."))

        request = await c.sandbox.wait_for_message(
            c.head.id, lambda m: t.gettext("Accept") in labels(m)
        )
        # What Bob gets, not what he asked: his S was never his.
        assert (request.text or "").endswith(": 1 × T-shirt, L"), request.text
        await c.sandbox.tap(c.head, request, t.gettext("Accept"), answer="")
        preview = await c.sandbox.wait_for_edit(
            request,
            lambda m: any(
                (p := decode(b.get("callback_data"))) and p.action is Action.WITHDRAWAL_CONFIRM
                for b in m.buttons()
            ),
        )
        assert ROW_BREAKS[language] in (preview.text or ""), preview.text
        confirm = label_of(preview, Action.WITHDRAWAL_CONFIRM)
        await c.sandbox.tap(c.head, preview, confirm, answer=t.gettext("Accepted."))

        told = await c.sandbox.wait_for_message(c.alice.id, SIZE_LOST[language])
        assert PACK[language] not in (told.text or "").lower()
        summary = await c.sandbox.wait_for_message(c.head.id, "💶")
        assert ROW_BREAKS[language] in (summary.text or "")


@pytest.mark.parametrize(("language", "hers"), [("en", "zh-hans"), ("ru", "en")])
async def test_orders_typed_in_the_group_point_to_the_private_chat(
    sqlite_url: str, language: str, hers: str
) -> None:
    """The group reads the answer in the community's language, whatever the language of the
    member who asked; the private chat it leads to speaks hers."""
    group_t, t = Translator(language), Translator(pick_language(hers))
    async with community_running(sqlite_url, language=language) as c:
        mei = c.sandbox.user("Mei", language_code=hers)
        c.sandbox.join(c.chat, mei)
        card = await c.publish()
        sent = await c.sandbox.send(mei, "/orders", chat=c.chat)
        pointer = await c.sandbox.wait_for_message(c.chat.id, after=sent)
        assert pointer.text == group_t.gettext(
            "Your orders are in our private chat, where only you see them."
        )
        (button,) = pointer.buttons()
        assert button["text"] == group_t.gettext("Open my orders")
        opened = await c.sandbox.open_link(mei, button["url"])
        await c.sandbox.wait_for_message(
            mei.id,
            t.gettext(
                "You are not in any purchase yet. "
                "Tap +1 under a purchase card in your community chat."
            ),
            after=opened,
        )
        # With an order, the same button opens it.
        plus = next(label for label in labels(card) if label.startswith("+1"))
        await c.sandbox.tap(mei, card, plus, answer=joined_toast(t, 1, plus[3:]))
        opened = await c.sandbox.open_link(mei, button["url"])
        listed = await c.sandbox.wait_for_message(mei.id, plus[3:], after=opened)
        assert listed.buttons()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "2 × Cheese (1.104 kg), 1 × Brie (about 0.5 kg), 3 × Honey"),
        ("ru", "2 × Cheese (1,104 кг), 1 × Brie (около 0,5 кг), 3 × Honey"),
    ],
)
def test_the_packing_list_gives_goods_sold_by_weight_their_kilograms(
    language: str, said: str
) -> None:
    """What the head weighs out and charges: kilograms (about, until weighed), not pieces."""
    cheese = item(1, "18.00", name="Cheese", estimate_grams=500)
    brie = item(2, "20.00", name="Brie", estimate_grams=500)
    p = purchase([cheese, brie, item(3, "12.50", name="Honey")])
    p.weights[(MEMBER, 1)] = 1104
    member = MemberLine(
        MEMBER,
        "Alice",
        {1: 2, 2: 1, 3: 3},
        AmountDue(eur("0"), eur("0"), eur("0"), False),
        "",
        False,
    )
    assert lines_label(Translator(language), p, member.lines, member.member_id) == said
