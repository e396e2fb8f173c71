"""Publishing's use cases through a fake unit of work and a fake chat: what each answer of
Telegram (posted, refused, unanswered) leaves behind, the card a tap came from adopted or
retired, and the sweep's choice of the cards it posts again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from domain import services
from domain.community import Community
from domain.errors import N_, InvalidPurchase, NotFound
from domain.permissions import Actor
from domain.ports import CardLocation
from domain.purchase import Purchase, PurchaseStatus
from domain.services.publishing import (
    UNPOSTED_CARD_AGE,
    CardNotPosted,
    CardPost,
    Refused,
    Unanswered,
)
from tests.support.builders import ADMITTED, HEAD, NOW, purchase
from tests.support.fake_uow import FakeUnitOfWork

CHAT = -100
COMMUNITY = Community(CHAT, "Riverside", "UTC", "EUR", "en")
CARD = CardLocation(CHAT, 50)
TWIN = CardLocation(CHAT, 51)
MEMBER = 1


class FakeCards:
    """Where each purchase's card is: (chat, None) while it is being posted."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[int, int | None]] = {}

    async def card(self, purchase_id: int) -> CardLocation | None:
        chat_id, message_id = self.rows.get(purchase_id, (0, None))
        return None if message_id is None else CardLocation(chat_id, message_id)

    async def card_to_post(self, purchase_id: int, chat_id: int) -> None:
        self.rows[purchase_id] = (chat_id, None)

    async def card_awaited(self, purchase_id: int) -> int | None:
        chat_id, message_id = self.rows.get(purchase_id, (None, 0))
        return chat_id if message_id is None else None

    async def card_posted(self, purchase_id: int, location: CardLocation) -> bool:
        if self.rows.get(purchase_id) != (location.chat_id, None):
            return False
        self.rows[purchase_id] = (location.chat_id, location.message_id)
        return True

    async def forget_awaited_card(self, purchase_id: int) -> bool:
        if await self.card_awaited(purchase_id) is None:
            return False
        del self.rows[purchase_id]
        return True

    async def cards_being_posted(self) -> list[int]:
        return sorted(pid for pid, (_, message_id) in self.rows.items() if message_id is None)


class PublishingUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.telegram = FakeCards()
        self.communities.rows[CHAT] = COMMUNITY

    async def purchase_and_community(
        self, purchase_id: int
    ) -> tuple[Purchase, Community] | tuple[None, None]:
        found = await self.purchases.read(purchase_id)
        if found is None:
            return None, None
        return found, self.communities.rows[found.community_id]


class FakeDatabase:
    """Every unit of work is the one fake, with the update id asked for (or none)."""

    def __init__(self) -> None:
        self.uow = PublishingUnitOfWork()

    def unit_of_work(self, update_id: int | None = None) -> PublishingUnitOfWork:
        self.uow.update_id = update_id
        return self.uow

    def reading(self) -> PublishingUnitOfWork:
        return self.unit_of_work()


@dataclass
class FakeChannel:
    """A chat that answers each post with the next of `answers` (running `meanwhile` first,
    as if it happened while the card was on its way)."""

    answers: list[CardPost | Exception] = field(default_factory=lambda: [CARD])
    meanwhile: Callable[[], Awaitable[None]] | None = None
    posts: list[tuple[int, int, bool]] = field(default_factory=list)
    pinned: list[CardLocation] = field(default_factory=list)
    retired: list[CardLocation] = field(default_factory=list)
    remembered: dict[int, CardLocation] = field(default_factory=dict)
    redrawn: list[int] = field(default_factory=list)
    told: list[tuple[int, CardNotPosted]] = field(default_factory=list)

    async def post(
        self, purchase: Purchase, community: Community, chat_id: int, photos: bool
    ) -> CardPost:
        self.posts.append((purchase.id, chat_id, photos))
        if self.meanwhile is not None:
            await self.meanwhile()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def pin(self, purchase_id: int, location: CardLocation) -> None:
        self.pinned.append(location)

    async def retire(self, location: CardLocation) -> None:
        self.retired.append(location)

    def remember(self, purchase_id: int, location: CardLocation) -> None:
        self.remembered[purchase_id] = location

    def redraw(self, purchase_id: int) -> None:
        self.redrawn.append(purchase_id)

    async def tell_head(self, purchase_id: int, error: CardNotPosted) -> None:
        self.told.append((purchase_id, error))


def draft() -> Purchase:
    return replace(purchase(status=PurchaseStatus.DRAFT), id=0)


async def publish(database: FakeDatabase, channel: FakeChannel, **kwargs: object) -> int:
    return await services.publish_with_card(
        database,
        channel,
        draft(),
        COMMUNITY,
        NOW,
        Decimal(10),
        **kwargs,  # type: ignore[arg-type]
    )


def status(database: FakeDatabase, purchase_id: int) -> PurchaseStatus:
    return database.uow.purchases.committed[purchase_id].status


async def test_a_posted_card_is_recorded_remembered_and_pinned() -> None:
    database, channel = FakeDatabase(), FakeChannel()
    stored_before_the_post: list[bool] = []

    async def saved() -> None:
        stored_before_the_post.append(bool(database.uow.purchases.committed) and not channel.posts)

    purchase_id = await publish(database, channel, update_id=9, saved=saved)
    assert stored_before_the_post == [True]
    assert status(database, purchase_id) is PurchaseStatus.OPEN
    assert 9 in database.uow.processed_updates
    assert channel.posts == [(purchase_id, CHAT, True)]
    assert await database.uow.telegram.card(purchase_id) == CARD
    assert channel.remembered == {purchase_id: CARD}
    assert channel.pinned == [CARD]
    assert channel.redrawn == []  # nobody tapped before it was recorded


async def test_a_refused_card_returns_the_purchase_to_a_draft() -> None:
    database, channel = FakeDatabase(), FakeChannel([Refused("bot was kicked")])
    with pytest.raises(CardNotPosted) as refused:
        await publish(database, channel)
    assert str(refused.value) == (
        "I could not post the card in Riverside (bot was kicked), so nothing was published"
    )
    assert status(database, 1) is PurchaseStatus.DRAFT
    assert database.uow.telegram.rows == {}
    assert channel.pinned == channel.retired == []


async def test_a_refused_card_leaves_open_a_purchase_someone_ordered_by_link() -> None:
    database = FakeDatabase()

    async def ordered_by_link() -> None:
        await services.add_units(database.unit_of_work(), 1, MEMBER, "Ann", 1, 1, NOW, ADMITTED)

    channel = FakeChannel([Refused("not enough rights")], ordered_by_link)
    with pytest.raises(CardNotPosted, match="the purchase stays open, without a card"):
        await publish(database, channel)
    assert status(database, 1) is PurchaseStatus.OPEN
    assert await database.uow.telegram.card_awaited(1) is None


async def test_a_refusal_after_a_tap_adopted_the_card_changes_nothing() -> None:
    database = FakeDatabase()

    async def adopted() -> None:
        await database.uow.telegram.card_posted(1, TWIN)

    channel = FakeChannel([Refused("message is too long")], adopted)
    await publish(database, channel)  # no error: the purchase has its card
    assert status(database, 1) is PurchaseStatus.OPEN
    assert await database.uow.telegram.card(1) == TWIN


async def test_a_refusal_after_the_purchase_stopped_says_nothing() -> None:
    database = FakeDatabase()

    async def stopped() -> None:
        await services.add_units(database.unit_of_work(), 1, MEMBER, "Ann", 1, 1, NOW, ADMITTED)
        await services.stop_now(database.unit_of_work(), 1, Actor(HEAD))

    channel = FakeChannel([Refused("chat not found")], stopped)
    await publish(database, channel)
    assert status(database, 1) is PurchaseStatus.STOPPED


async def test_an_unanswered_card_stays_to_be_posted(caplog: pytest.LogCaptureFixture) -> None:
    database, channel = FakeDatabase(), FakeChannel([Unanswered("Timed out")])
    with caplog.at_level(logging.WARNING):
        purchase_id = await publish(database, channel)
    assert status(database, purchase_id) is PurchaseStatus.OPEN
    assert await database.uow.telegram.cards_being_posted() == [purchase_id]
    assert channel.remembered == {}
    assert "no answer from Telegram (Timed out)" in caplog.text


async def test_a_purchase_that_went_while_its_card_waited_gets_none() -> None:
    database, channel = FakeDatabase(), FakeChannel([Unanswered("Timed out")])
    purchase_id = await publish(database, channel)
    await services.cancel(database.unit_of_work(), purchase_id, Actor(HEAD), "wrong")
    await services.post_card(database, channel, purchase_id)
    assert len(channel.posts) == 1
    assert database.uow.telegram.rows == {}
    await services.post_card(database, channel, 404)  # nothing awaited, nothing to post
    assert len(channel.posts) == 1


async def test_of_two_cards_the_one_recorded_first_stays() -> None:
    database = FakeDatabase()

    async def adopted() -> None:
        await database.uow.telegram.card_posted(1, CARD)

    channel = FakeChannel([TWIN], adopted)
    await publish(database, channel)
    assert channel.retired == [TWIN]
    assert await database.uow.telegram.card(1) == CARD


async def test_a_card_recorded_after_taps_is_redrawn() -> None:
    database = FakeDatabase()

    async def tapped() -> None:
        await services.add_units(database.unit_of_work(), 1, MEMBER, "Ann", 1, 1, NOW, ADMITTED)

    channel = FakeChannel([CARD], tapped)
    await publish(database, channel)
    assert channel.redrawn == [1]


async def unanswered_card() -> tuple[FakeDatabase, FakeChannel, int]:
    database, channel = FakeDatabase(), FakeChannel([Unanswered("Timed out")])
    return database, channel, await publish(database, channel)


async def test_a_tap_on_an_unanswered_card_adopts_it() -> None:
    database, channel, purchase_id = await unanswered_card()
    await services.card_tapped(database, channel, purchase_id, TWIN)
    assert await database.uow.telegram.card(purchase_id) == TWIN
    assert channel.remembered == {purchase_id: TWIN}
    assert channel.retired == []


async def test_a_tap_on_a_card_let_go_retires_it() -> None:
    database, channel, purchase_id = await unanswered_card()
    await database.uow.telegram.forget_awaited_card(purchase_id)
    await services.card_tapped(database, channel, purchase_id, TWIN)
    assert channel.retired == [TWIN]


async def test_a_tap_on_a_card_awaited_in_another_chat_changes_nothing() -> None:
    database, channel, purchase_id = await unanswered_card()
    await services.card_tapped(database, channel, purchase_id, CardLocation(-200, 5))
    assert channel.retired == []
    assert channel.remembered == {}
    assert await database.uow.telegram.card_awaited(purchase_id) == CHAT


async def test_a_tap_on_a_twin_retires_it_and_the_recorded_card_is_remembered() -> None:
    database, channel = FakeDatabase(), FakeChannel()
    purchase_id = await publish(database, channel)
    channel.remembered.clear()
    await services.card_tapped(database, channel, purchase_id, CARD)
    assert channel.retired == []
    await services.card_tapped(database, channel, purchase_id, TWIN)
    await services.card_tapped(database, channel, purchase_id, CardLocation(-200, 5))
    assert channel.retired == [TWIN]  # a copy in another chat is not the bot's to retire
    assert channel.remembered == {purchase_id: CARD}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_the_sweep_posts_again_only_cards_waiting_five_minutes() -> None:
    database, channel, purchase_id = await unanswered_card()
    clock, tried = Clock(), {}
    clock.now = NOW + UNPOSTED_CARD_AGE - timedelta(seconds=1)
    await services.post_waiting_cards(database, channel, tried, clock)
    assert len(channel.posts) == 1  # too young: it may be on its way
    clock.now = NOW + UNPOSTED_CARD_AGE
    channel.answers.append(Unanswered("Timed out"))
    await services.post_waiting_cards(database, channel, tried, clock)
    assert channel.posts[1:] == [(purchase_id, CHAT, False)]  # the photos went the first time
    assert tried == {purchase_id: clock.now}
    clock.now += UNPOSTED_CARD_AGE - timedelta(seconds=1)
    await services.post_waiting_cards(database, channel, tried, clock)
    assert len(channel.posts) == 2  # tried lately: not every half a minute
    clock.now += timedelta(seconds=1)
    channel.answers.append(CARD)
    await services.post_waiting_cards(database, channel, tried, clock)
    assert await database.uow.telegram.card(purchase_id) == CARD
    await services.post_waiting_cards(database, channel, tried, clock)
    assert tried == {}  # posted: nothing left to remember


async def test_the_sweep_tells_the_head_of_a_refusal_and_goes_on_past_a_fault(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = FakeDatabase()
    channel = FakeChannel([Unanswered("Timed out")] * 3)
    for _ in range(3):
        await publish(database, channel)
    channel.answers = [RuntimeError("boom"), Refused("bot was kicked"), CARD]
    clock = Clock()
    clock.now += UNPOSTED_CARD_AGE
    with caplog.at_level(logging.ERROR):
        await services.post_waiting_cards(database, channel, {}, clock)
    assert "the card of purchase 1 was not posted" in caplog.text
    assert [(purchase_id, str(error)) for purchase_id, error in channel.told] == [
        (2, "I could not post the card in Riverside (bot was kicked), so nothing was published")
    ]
    assert await database.uow.telegram.card(3) == CARD


async def test_a_purchase_refused_before_it_is_stored_gets_no_card() -> None:
    database, channel = FakeDatabase(), FakeChannel()

    def too_long(purchase: Purchase) -> None:
        raise InvalidPurchase(N_("the card is too long"))

    with pytest.raises(InvalidPurchase):
        await publish(database, channel, check=too_long)
    with pytest.raises(NotFound, match="no such campaign"):
        await publish(database, channel, campaign_id=5)
    assert database.uow.purchases.committed == {}
    assert database.uow.telegram.rows == {}
    assert channel.posts == []
