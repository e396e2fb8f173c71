"""No person, file or chat stalls the bot for everyone else: one person's flood of several
hundred updates while another member is answered before it drains (and what was not taken is
answered so and never applied later); crafted spreadsheets and CSV files refused with the limit
named while another member is answered first; several cards and their edits in one group
without a 429. The times these take are measured in bench/ (flood_isolation, file_limits)."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from sqlalchemy import select

from bench.file_limits import repeated_shared_string, rewritten, sheet
from runtime import rate_limiter, update_processor
from sandbox.model import SandboxMessage
from sandbox.update_delivery import sender_of
from storage.telegram_tables import InboxRow, ProcessedUpdateRow
from tests.support.held_pace import HeldPace
from tests.support.running import eventually
from tests.support.scenario import Community, community_running, local, template
from texts.callback_data import Action, encode

NOT_TAKEN = "Too many at once: this press was not taken."
SLOW_DOWN = "You are sending faster than I can answer"
HELP = "/help: this list"


async def done(c: Community, update_ids: list[int]) -> bool:
    """Every one of these updates is recorded as handled (or claimed by its change)."""
    async with c.runtime.database.sessions() as session:
        handled = set(
            await session.scalars(
                select(InboxRow.update_id).where(
                    InboxRow.update_id.in_(update_ids), InboxRow.handled_at.is_not(None)
                )
            )
        )
        claimed = set(
            await session.scalars(
                select(ProcessedUpdateRow.update_id).where(
                    ProcessedUpdateRow.update_id.in_(update_ids)
                )
            )
        )
    return handled | claimed == set(update_ids)


async def test_one_persons_flood_holds_up_nobody_else(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fewer taken, so that the replies to what was taken drain within the test.
    monkeypatch.setattr(update_processor, "MAX_WAITING", 5)
    # Bob's replies are held until his whole flood is in and Alice was answered. Going out a
    # second apart, they drained his five taken updates in the seconds a loaded machine took to
    # take in the 300, and then more of his were taken, a press among them ("You're in").
    pace = HeldPace()
    monkeypatch.setattr(rate_limiter, "LocalPace", lambda: pace)
    async with community_running(sqlite_url) as c:
        card = await c.publish()
        sent = await c.sandbox.start(c.alice)
        await c.sandbox.wait_for_message(c.alice.id, after=sent)
        # Bob's flood is the first he writes: a /start of his, answered but not yet done,
        # would be one of his five, and let a press in once done.

        def bobs(words: str) -> list[SandboxMessage]:
            return [m for m in c.sandbox.bot_messages(c.bob.id) if words in (m.text or "")]

        with pace.holding(c.bob.id):
            for _ in range(300):
                await c.sandbox.send(c.bob, "/help")
            presses = [
                c.sandbox.press_forged(c.bob, card, encode(Action.JOIN, 1, 1)) for _ in range(3)
            ]
            # Another member taps meanwhile: answered while nothing of Bob's can go out.
            await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in: 1 × Honey 1 kg")
            for pressed in presses:  # beyond what he may have waiting: told, not counted
                assert (await c.sandbox.answer_of(pressed)).text.startswith(NOT_TAKEN)
            assert bobs(HELP) == []
        await eventually(lambda: len(bobs(HELP)) == 5 and bobs(SLOW_DOWN), timeout=15)
        async with c.runtime.database.unit_of_work() as uow:
            purchase = await uow.purchases.get(1)
        assert purchase is not None and purchase.quantity(c.bob.id, 1) == 0
        ids = [
            update_id for update_id, update in c.sandbox.emulator.sent_updates.items()
            if sender_of(update) == c.bob.id
        ]  # fmt: skip
        await eventually(lambda: done(c, ids), timeout=10)
        # All handled: exactly the five taken were answered, and one note went with them.
        assert (len(bobs(HELP)), len(bobs(SLOW_DOWN))) == (5, 1)


def crafted() -> dict[str, tuple[bytes, str]]:
    """Each crafted file and the limit its refusal names; built when a test needs them."""
    return {
        # A few kilobytes declaring a sheet of every row and column Excel has.
        "declared.xlsx": (
            rewritten(sheet(), lambda xml: re.sub(
                rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', xml)),
            "the sheet has more than 10,000 rows",
        ),
        # A cell of 40 MB of text, packed into a few tens of kilobytes.
        "bomb.xlsx": (
            rewritten(sheet(), lambda xml: xml.replace(
                b"</sheetData>",
                b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"A" * 40_000_000
                + b"</t></is></c></row></sheetData>")),
            "the file unpacks to more than 30 MB",
        ),
        "repeated.xlsx": (repeated_shared_string(), "the file holds more than 5 MB of text"),
        # Rows and rows of a CSV, within the size a price list may have.
        "long.csv": (b"Name,Price\n" + b"a,1\n" * 400_000, "the sheet has more than 10,000 rows"),
        "wide.csv": (b"Name,Price" + b",x" * 300 + b"\n" + b"a,1" + b",y" * 300 + b"\n",
                     "the sheet has more than 60 columns"),
    }  # fmt: skip


def first_call_after(c: Community, method: str, sent_at: float, chat_id: int) -> float:
    return min(
        call.at for call in c.sandbox.emulator.calls
        if call.method == method and call.at > sent_at
        and str(call.params.get("chat_id", chat_id)) == str(chat_id)
    )  # fmt: skip


async def test_crafted_files_are_refused_with_the_limit_named_and_others_answered_first(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url) as c:
        card = await c.publish()  # the head's community, where a price list is for
        for name, (data, limit) in crafted().items():
            sent_at = time.monotonic()
            # The file is still being fetched when Alice taps (the sandbox holds its download):
            # her tap is answered while the head's file waits, not after it. (A file refused
            # from its zip's directory is refused faster than a tap, so without the hold the
            # order would be a race, not what is tested.)
            held = c.sandbox.emulator.downloads_held = asyncio.Event()
            sent = await c.sandbox.send_document(c.head, name, data)
            await c.sandbox.tap(c.alice, card, "+1 Honey 0.5 kg", answer="You're in:")
            held.set()
            answered = await c.sandbox.wait_for_message(
                c.head.id, "The price list was not saved", after=sent, timeout=20
            )
            assert limit in (answered.text or ""), (name, answered.text)
            tapped = first_call_after(c, "answerCallbackQuery", sent_at, c.alice.id)
            refused = first_call_after(c, "sendMessage", sent_at, c.head.id)
            assert tapped < refused, name
        async with c.runtime.database.unit_of_work() as uow:
            assert await uow.price_lists.of_head(c.head.id, 5) == []


async def test_cards_and_their_edits_in_one_group_share_one_pace(sqlite_url: str) -> None:
    """Three cards posted at once and tapped: every post and edit in the group paced, no
    429 (community_running fails on any)."""
    async with community_running(sqlite_url) as c:
        cards: list[SandboxMessage] = []
        for title in ("Honey", "Cheese", "Apples"):
            cards.append(await c.publish(template(Title=title, Deadline=local(2 + len(cards)))))
        for card in cards:
            await c.sandbox.tap(c.alice, card, "+1 Honey 1 kg", answer="You're in:")
            await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer="You're in:")
        for card in cards:
            await c.sandbox.wait_for_edit(card, lambda m: "2 members" in (m.text or ""), timeout=20)
        assert c.sandbox.emulator.rate_limited == []


def test_the_cap_counts_an_album_once_and_never_turns_away_money_or_news() -> None:
    """What the processor and the lanes turn away of one person's waiting updates."""
    cap = update_processor.MAX_WAITING

    def text(n: int) -> dict[str, object]:
        return {"update_id": n, "message": {"message_id": n, "text": "hi"}}

    def photo(n: int, album: str) -> dict[str, object]:
        return {"update_id": n, "message": {"message_id": n, "media_group_id": album}}

    paid = {"update_id": 900, "message": {"message_id": 900, "successful_payment": {"x": 1}}}
    news = {"update_id": 901, "chat_member": {"chat": {"id": -1}}}
    asked = {"update_id": 902, "pre_checkout_query": {"id": "q"}}
    flood = [text(n) for n in range(cap)] + [text(100), paid, news, asked, text(101)]
    assert update_processor.beyond_cap(flood) == [False] * cap + [True, False, False, False, True]
    albums = [photo(n, f"album {n // 10}") for n in range(30)]  # three albums of ten
    assert not any(update_processor.beyond_cap([text(n) for n in range(cap - 3)] + albums))
    assert update_processor.beyond_cap([text(n) for n in range(cap - 2)] + albums)[-1]
