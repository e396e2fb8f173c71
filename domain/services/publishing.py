"""Publishing a purchase: store and open it with its card to be posted, post the card, settle
what Telegram answered (recorded, refused, unanswered), adopt or retire the card a tap came
from, and the sweep that posts again the cards left waiting. The chat is reached through
`CardChannel` (handlers/card_channel.py renders the card and talks to Telegram).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from domain.community import Community
from domain.errors import N_, DomainError, IllegalTransition
from domain.ports import CardLocation, Database, HandlerUnitOfWork, UnitOfWork
from domain.purchase import Purchase, PurchaseStatus
from domain.services.campaigns import check_adoption
from domain.services.unit import load, retried

log = logging.getLogger(__name__)


class CardNotPosted(DomainError):
    """Telegram refused the card (the bot left the chat, may not write there...)."""


@dataclass(frozen=True)
class Refused:
    """Telegram said no: the card is not in the chat. `reason` is Telegram's own words."""

    reason: str


@dataclass(frozen=True)
class Unanswered:
    """No answer (the card may be in the chat) or "not now" (flood control): the card is still
    to be posted. `why` is what Telegram (or the network) said, for the log."""

    why: str


CardPost = CardLocation | Refused | Unanswered


class CardChannel(Protocol):
    """The community chat as publishing needs it, and this process's notes on the cards."""

    async def post(
        self, purchase: Purchase, community: Community, chat_id: int, photos: bool
    ) -> CardPost:
        """Send the purchase's card to `chat_id` (its photos before it, with `photos`): where
        it went, or Telegram's refusal, or no answer."""

    async def pin(self, purchase_id: int, location: CardLocation) -> None:
        """Pin the card without a notification; a refusal costs the pin, not the card."""

    async def retire(self, location: CardLocation) -> None:
        """Take a second card of a purchase away (or at least its buttons)."""

    def remember(self, purchase_id: int, location: CardLocation) -> None:
        """This process knows the purchase's card: a tap on it costs no query."""

    def redraw(self, purchase_id: int) -> None:
        """Draw the card again from the purchase as committed (taps it does not show yet)."""

    async def tell_head(self, purchase_id: int, error: CardNotPosted) -> None:
        """Tell the head their card was refused, when nobody is answering them right now."""


async def publish_purchase(
    uow: UnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    reuse_pay_to: bool = True,
) -> int:
    """Validate a head's new purchase, store it and open it at once; returns its id. (The bot
    itself also notes where its card goes, in the same unit of work: `open_with_card`.)"""
    async with uow:
        await _store_open(uow, purchase, now, max_fee_percent, reuse_pay_to)
        await uow.commit()
    return purchase.id


async def open_with_card(
    uow: HandlerUnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    chat_id: int,
    reuse_pay_to: bool = True,
) -> int:
    """Store and open a head's new purchase and note that its card is to be posted in
    `chat_id`, in one unit of work: a tap on the card the moment it appears counts, and a
    process that stops before the card is recorded leaves a trace to finish from."""
    async with uow:
        await _store_open(uow, purchase, now, max_fee_percent, reuse_pay_to)
        await uow.telegram.card_to_post(purchase.id, chat_id)
        await uow.commit()
    return purchase.id


async def _store_open(
    uow: UnitOfWork,
    purchase: Purchase,
    now: datetime,
    max_fee_percent: Decimal,
    reuse_pay_to: bool,
) -> None:
    """Without payment details of its own a purchase takes the head's from their last one
    (unless the head said there are none: `reuse_pay_to` False)."""
    purchase.validate(now, max_fee_percent)
    if not purchase.pay_to and reuse_pay_to:
        purchase.pay_to = await uow.purchases.last_pay_to(purchase.head_id)
    await uow.purchases.add(purchase)
    purchase.publish(now)


async def publish_with_card(
    database: Database,
    channel: CardChannel,
    purchase: Purchase,
    community: Community,
    now: datetime,
    max_fee_percent: Decimal,
    update_id: int | None = None,
    reuse_pay_to: bool = True,
    saved: Callable[[], Awaitable[None]] | None = None,
    campaign_id: int | None = None,
    check: Callable[[Purchase], None] = lambda _: None,
) -> int:
    """Open the purchase noting that its card is to be posted (one transaction, under the
    head's update), then post the card in the community chat and record where it is. Taps on
    the card count from the moment it appears; a card Telegram refuses returns the purchase to
    a draft nobody sees (`CardNotPosted` says why). With `campaign_id` it becomes that
    campaign's part in the community, or is refused first. `check` may refuse the purchase
    (a card too long) before anything is stored; `saved` runs once it is stored (the wizard
    ends there: pressing Publish again makes no twin)."""
    if campaign_id is not None:
        await check_adoption(database.unit_of_work(), campaign_id, purchase, community, now)
    check(purchase)
    purchase_id = await open_with_card(
        database.unit_of_work(update_id), purchase, now, max_fee_percent, community.chat_id,
        reuse_pay_to,
    )  # fmt: skip
    if saved is not None:
        await saved()
    await post_card(database, channel, purchase_id)
    return purchase_id


async def post_card(
    database: Database, channel: CardChannel, purchase_id: int, photos: bool = True
) -> None:
    """Post the card of a purchase opened for it and record where it is. Refused, the purchase
    goes back to a draft and `CardNotPosted` says why. Unanswered (a time-out: the card may or
    may not be in the chat), it stays to be posted: a tap on the card adopts it, else the
    sweep (`post_waiting_cards`) posts it again. A purchase that stopped or went meanwhile
    gets no card."""
    async with database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
        chat_id = await uow.telegram.card_awaited(purchase_id)
        if chat_id is not None and (purchase is None or purchase.status is not PurchaseStatus.OPEN):
            await uow.telegram.forget_awaited_card(purchase_id)
            await uow.commit()
            return
    if purchase is None or community is None or chat_id is None:
        return
    posted = await channel.post(purchase, community, chat_id, photos)
    if isinstance(posted, Unanswered):
        log.warning("card of purchase %s: no answer from Telegram (%s)", purchase_id, posted.why)
        return
    if isinstance(posted, Refused):
        now = await card_refused(database.unit_of_work(), purchase_id)
        if now is PurchaseStatus.DRAFT:
            raise CardNotPosted(
                N_("I could not post the card in {chat} ({reason}), so nothing was published"),
                chat=community.title, reason=posted.reason,
            )  # fmt: skip
        if now is not PurchaseStatus.OPEN:  # a card was recorded meanwhile, or it stopped
            return
        raise CardNotPosted(
            N_("I could not post the card in {chat} ({reason}); the purchase stays open, "
               "without a card, for those who already ordered by its link"),
            chat=community.title, reason=posted.reason,
        )  # fmt: skip
    await record_card(database, channel, purchase_id, posted)


async def card_refused(uow: HandlerUnitOfWork, purchase_id: int) -> PurchaseStatus | None:
    """Telegram refused the card: no card is awaited any more, and the open purchase nobody
    saw goes back to a draft. Returns its status now: open when someone ordered meanwhile (by
    a link), so it stays open without a card; None when a card was recorded meanwhile (a tap
    adopted one whose send went unanswered): then nothing changes."""

    async def work() -> PurchaseStatus | None:
        async with uow:
            purchase = await load(uow, purchase_id)
            if not await uow.telegram.forget_awaited_card(purchase_id):
                return None
            if purchase.status is PurchaseStatus.OPEN:
                with contextlib.suppress(IllegalTransition):  # someone ordered: it stays open
                    purchase.return_to_draft()
            await uow.commit()
        return purchase.status

    return await retried(work)


async def record_card(
    database: Database, channel: CardChannel, purchase_id: int, location: CardLocation
) -> None:
    """Note where the card went, if its card is still awaited there. Of two cards (a tap
    adopted one whose send went unanswered, another process posted it again) the one recorded
    first stays, pinned, and redrawn when taps came before it was recorded; the other goes."""
    async with database.unit_of_work() as uow:
        first = await uow.telegram.card_posted(purchase_id, location)
        await uow.commit()
    if not first:
        async with database.unit_of_work() as uow:
            recorded = await uow.telegram.card(purchase_id)
        if recorded != location:  # another card won, or none is awaited any more
            await channel.retire(location)
        return
    channel.remember(purchase_id, location)
    async with database.unit_of_work() as uow:  # read after the card is recorded: no tap
        purchase = await uow.purchases.read(purchase_id)  # before it goes without a redraw
    if purchase is not None and purchase.participant_ids():
        channel.redraw(purchase_id)
    await channel.pin(purchase_id, location)


async def card_tapped(
    database: Database, channel: CardChannel, purchase_id: int, location: CardLocation
) -> None:
    """A tap came from the bot's own card of this purchase at `location`, in a group. While
    the purchase's card awaits recording there, that is the card (its send went unanswered: it
    is adopted); a card other than the one recorded is a twin (retired), and so is one whose
    posting was let go (the purchase stopped while it waited)."""
    async with database.reading() as uow:
        recorded = await uow.telegram.card(purchase_id)
        awaited_in = await uow.telegram.card_awaited(purchase_id)
    if recorded is None:
        if awaited_in == location.chat_id:
            await record_card(database, channel, purchase_id, location)
        elif awaited_in is None:
            await channel.retire(location)
        return
    if recorded != location and recorded.chat_id == location.chat_id:
        await channel.retire(location)
    channel.remember(purchase_id, recorded)


# A card still to be posted this long after its purchase opened was left by a process that
# stopped (or got no answer) between posting and recording it; younger ones may be under way
# (a send waits its turn under a busy group's 20 messages a minute).
UNPOSTED_CARD_AGE = timedelta(minutes=5)


async def post_waiting_cards(
    database: Database,
    channel: CardChannel,
    tried: dict[int, datetime],
    clock: Callable[[], datetime],
) -> None:
    """One pass of the sweep: each card waiting five minutes since its purchase opened, or
    since this sweep last posted it (`tried`: a card Telegram keeps not answering is not
    posted every half a minute), is posted again without the photos, which went before the
    first try. A refusal is told to the head, who was told "Published" (or nothing) before.
    `clock` is read at each card: a send may wait its turn for a while."""
    async with database.unit_of_work() as uow:
        waiting = await uow.purchases.get_many(await uow.telegram.cards_being_posted())
    for purchase in waiting:
        since = max(purchase.created_at, tried.get(purchase.id, purchase.created_at))
        if clock() - since < UNPOSTED_CARD_AGE:
            continue
        tried[purchase.id] = clock()
        try:
            await post_card(database, channel, purchase.id, photos=False)
        except CardNotPosted as error:
            await channel.tell_head(purchase.id, error)
        except Exception:  # one purchase's fault holds up none of the others
            log.exception("the card of purchase %s was not posted", purchase.id)
    still = {purchase.id: tried[purchase.id] for purchase in waiting if purchase.id in tried}
    tried.clear()  # forget the cards posted since: only those still waiting are remembered
    tried.update(still)
