"""What the use cases need from storage, as protocols; storage/ implements them. The last
ones are what handlers read besides: the read models and the bot's own notes on people and
chats, so that handlers reach storage only through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from domain.campaign import Campaign, CampaignStatus
from domain.community import Community, CommunityChange
from domain.events import Event
from domain.geo import GeoPoint
from domain.price_list import PriceList
from domain.purchase import RUNNING, Purchase, PurchaseStatus
from domain.receipts import Receipt, ReceiptPicture
from domain.routes import RoutePlan
from domain.scorecard import Rating


class Conflict(Exception):
    """Someone else changed the same data at the same moment; the use case is run again."""


class AlreadyProcessed(Exception):
    """This Telegram update was handled before (a redelivery): do nothing, answer nothing new."""


class NoSecretsKey(Exception):
    """A secret (a community's payment token) was to be stored, and the operator set no
    SECRETS_KEY to encrypt it with: it is refused, never stored in plain text."""


class PurchaseRepository(Protocol):
    async def add(self, purchase: Purchase) -> None:
        """Store a new purchase and give it its id."""

    async def get(self, purchase_id: int) -> Purchase | None:
        """Load a purchase for change; concurrent changers of the same purchase wait or retry."""

    async def get_many(self, purchase_ids: list[int]) -> list[Purchase]:
        """Load several purchases for change at once (those that exist, in the order asked)."""

    async def read(self, purchase_id: int) -> Purchase | None:
        """Load a purchase to show it: no lock, nobody waits. Changed after all, it is still
        written under its version (a Conflict if it changed meanwhile)."""

    async def read_many(self, purchase_ids: list[int]) -> list[Purchase]:
        """Load several purchases to show them (those that exist, in the order asked)."""

    async def list_for_head(self, head_id: int) -> list[Purchase]: ...

    async def last_pay_to(self, head_id: int) -> str:
        """The payment details of the head's latest purchase that had some ("" for none)."""

    async def last_community_id(self, head_id: int) -> int | None:
        """The community of the head's latest purchase, if they led one."""

    async def list_for_member(self, member_id: int) -> list[Purchase]: ...

    async def of_campaign(self, campaign_id: int) -> list[Purchase]:
        """The purchases heads adopted from a campaign (not drafts)."""
        ...

    async def taken_out(self, purchase_id: int) -> frozenset[int]:
        """The members the head took out for not paying (domain.adjustments.drop_unpaid)."""
        ...

    async def ids_due(self, now: datetime) -> list[int]:
        """Open purchases whose deadline is at or before `now`."""

    async def awaiting_delivery(self) -> list[Purchase]:
        """Stopped or ordered purchases: their goods are still on the way."""
        ...

    async def heads_between(self, starts: datetime, ends: datetime) -> list[int]:
        """Heads who ran a purchase with its deadline in [starts, ends)."""
        ...


class CommunityRepository(Protocol):
    async def get(self, chat_id: int) -> Community | None: ...

    async def add(self, community: Community) -> None: ...

    async def change(self, chat_id: int, changes: CommunityChange) -> None:
        """Write these settings only: what someone else changed meanwhile (a token removed
        while /settings was answered) is not undone by a copy read before."""


class Campaigns(Protocol):
    async def add(self, campaign: Campaign) -> None: ...

    async def get(self, campaign_id: int) -> Campaign | None: ...

    async def save(self, campaign: Campaign) -> None: ...

    async def listed(self, status: CampaignStatus | None = None) -> list[Campaign]: ...

    async def due(self, now: datetime) -> list[int]: ...

    async def is_operator(self, user_id: int) -> bool: ...

    async def grant_operator(self, user_id: int, granted_by: int, now: datetime) -> bool: ...


class Logistics(Protocol):
    """After selling: route plans and their drivers, members' ratings, KPI thresholds."""

    async def add_plan(self, plan: RoutePlan) -> None: ...

    async def get_plan(self, plan_id: int) -> RoutePlan | None: ...

    async def save_plan(self, plan: RoutePlan) -> None: ...

    async def recent_plans(self, limit: int) -> list[RoutePlan]: ...

    async def latest_plan_id(self, day: date, campaign_id: int | None) -> int | None:
        """The newest plan of the day: a plan made again replaces the one before."""

    async def set_board(self, plan_id: int, chat_id: int, message_id: int) -> None:
        """Where the operator's live view of the plan is."""

    async def board(self, plan_id: int) -> tuple[int, int] | None: ...

    async def is_driver(self, user_id: int) -> bool: ...

    async def drivers_of(self, operator_id: int) -> list[int]:
        """The drivers this operator made so, the earliest first."""

    async def last_depot(self, operator_id: int) -> GeoPoint | None:
        """The depot of this operator's latest plan, if she made one."""

    async def grant_driver(self, user_id: int, granted_by: int, now: datetime) -> bool: ...

    async def rate(self, rating: Rating) -> bool:
        """Keep a rating; False when the member rated the purchase before."""
        ...

    async def comment(self, purchase_id: int, member_id: int, comment: str) -> bool: ...

    async def ratings_of_heads(self, head_ids: list[int]) -> list[Rating]: ...

    async def thresholds(self) -> dict[str, Decimal]: ...

    async def set_threshold(self, measure: str, value: Decimal, by: int, now: datetime) -> None: ...

    async def stopped_at(self, purchase_ids: list[int]) -> dict[int, datetime]:
        """When each purchase stopped, from the events recorded (kept for the scorecards)."""
        ...


class Receipts(Protocol):
    """The receipt photos members sent, recognisable again (domain/receipts.py)."""

    async def add(self, purchase_id: int, member_id: int, member_name: str,
                  picture: ReceiptPicture, sent_at: datetime) -> None: ...  # fmt: skip

    async def of_head(self, head_id: int, since: datetime, limit: int) -> list[Receipt]:
        """The receipts sent for the purchases `head_id` leads now, since then, latest first."""

    async def of_purchase(self, purchase_id: int, since: datetime, limit: int) -> list[Receipt]:
        """The receipts sent for one purchase, since then, latest first."""


class PersonalData(Protocol):
    """What the bot holds about one person, across every table: to show her, and to forget
    her (domain/personal_data.py says how)."""

    async def purchases_of(self, user_id: int) -> list[int]:
        """Every purchase whose records name her: as member, head, helper, payer or rater."""

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything stored about her, as plain JSON-ready data."""

    async def pseudonymise(self, purchase_id: int, user_id: int) -> int | None:
        """Replace her name and id in one purchase's records by its next pseudonym; returns
        it, or None when nothing there named her. A purchase loaded in this unit of work
        before must be loaded again."""

    async def forget_at_end(self, purchase_id: int, user_id: int, now: datetime) -> None:
        """Remember to pseudonymise her when the purchase ends."""

    async def waiting_in(self, purchase_id: int) -> list[int]:
        """Who asked to be forgotten when this purchase ends."""

    async def still_waiting(self, user_id: int) -> bool:
        """Whether a purchase she is bound to has yet to end before she is forgotten."""

    async def ended_waiting(self) -> list[int]:
        """Purchases that ended with someone still waiting there to be forgotten."""

    async def forget_person(self, user_id: int) -> None:
        """Her profile, conversation, notes and messages kept, outside any purchase."""


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit` was called.

    A unit of work made for a Telegram update records the update id in the same transaction as
    the change, and raises AlreadyProcessed on entry when that update was committed before.
    """

    @property
    def purchases(self) -> PurchaseRepository: ...

    @property
    def communities(self) -> CommunityRepository: ...

    @property
    def campaigns(self) -> Campaigns: ...

    @property
    def logistics(self) -> Logistics: ...

    @property
    def personal_data(self) -> PersonalData: ...

    @property
    def receipts(self) -> Receipts: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit of work durable, with the events it raised."""

    async def rollback(self) -> None: ...

    async def already_processed(self, update_ids: list[int]) -> set[int]:
        """Which of these Telegram updates were committed before (for a unit of work that
        handles several updates together)."""

    async def mark_processed(self, update_ids: list[int]) -> None:
        """Record these updates as handled, in this transaction; raises Conflict when another
        process recorded one of them meanwhile."""

    async def keep_update_without_text(self, update: dict[str, Any]) -> None:
        """This unit of work's update (as Telegram sent it) carried a secret: from this
        transaction on, the inbox keeps it without its text."""

    def collected_events(self) -> list[Event]:
        """The events raised by the aggregates committed in this unit of work."""


@dataclass(frozen=True)
class PurchaseHeadline:
    """One line of a list of purchases (the head's /purchases, the admin's overview)."""

    id: int
    title: str
    head_id: int
    status: PurchaseStatus
    members: int  # with at least one unit


@dataclass(frozen=True)
class CardLocation:
    chat_id: int
    message_id: int


class PurchaseReads(PurchaseRepository, Protocol):
    """The purchases as handlers read them, besides loading them for a change."""

    async def headlines(
        self,
        limit: int,
        head_id: int | None = None,
        statuses: tuple[PurchaseStatus, ...] = RUNNING,
    ) -> list[PurchaseHeadline]: ...

    async def ids_with_status(self, *statuses: PurchaseStatus) -> list[int]: ...

    async def helped(self, user_id: int, status: PurchaseStatus) -> list[int]: ...

    async def pickup_tokens(self, purchase_id: int) -> dict[int, str]: ...

    async def pickup_by_token(self, token: str) -> tuple[int, int] | None: ...


class TelegramState(Protocol):
    """What the bot keeps about people and chats: who started it, their language and
    reminders, where a purchase's card is, and where a person is in a conversation."""

    async def card(self, purchase_id: int) -> CardLocation | None:
        """Where the card is; None while it is being posted."""

    async def card_to_post(self, purchase_id: int, chat_id: int) -> None:
        """The purchase's card is about to be posted in `chat_id` (no message yet)."""

    async def card_awaited(self, purchase_id: int) -> int | None:
        """The chat the purchase's card is being posted in, while none is recorded."""

    async def card_posted(self, purchase_id: int, location: CardLocation) -> bool:
        """Record the card, if it is still awaited in that chat; False when another card
        was recorded first (or none is awaited there)."""

    async def forget_awaited_card(self, purchase_id: int) -> bool:
        """No card is awaited any more; False when none was (a card was recorded meanwhile)."""

    async def cards_being_posted(self) -> list[int]:
        """Purchases whose card was to be posted and was not recorded as posted."""

    async def mark_started(self, user_id: int, now: datetime, language: str | None) -> bool: ...

    async def set_reminders(self, user_id: int, on: bool) -> None: ...

    async def languages(self, user_ids: list[int]) -> dict[int, str]: ...

    async def choose_language(self, user_id: int, language: str | None, now: datetime) -> None: ...

    async def started_among(self, user_ids: list[int]) -> set[int]: ...

    async def told_unreachable(
        self, purchase_id: int, user_ids: list[int], now: datetime
    ) -> None: ...

    async def editor_shown(self, user_id: int, purchase_id: int, message_id: int) -> None:
        """The member's latest order editor of the purchase is this message (the stop
        redraws it)."""

    async def conversation(self, user_id: int) -> tuple[str, dict[str, Any]] | None: ...

    async def save_conversation(
        self, user_id: int, kind: str, state: dict[str, Any], now: datetime
    ) -> None: ...


class Outbox(Protocol):
    async def enqueue(
        self, key: str, chat_id: int, payload: dict[str, Any], now: datetime, *,
        purchase_id: int | None = None,
    ) -> bool:  # fmt: skip
        """A message to send, once: one with the same key is never sent again (with
        `purchase_id`, a recipient it cannot reach is named to that purchase's head)."""


class PriceLists(Protocol):
    """The price lists heads imported, one per head and supplier."""

    async def save(
        self, head_id: int, supplier: str, currency: str, lines: tuple[str, ...], now: datetime
    ) -> int: ...

    async def get(self, price_list_id: int, head_id: int) -> PriceList | None: ...

    async def of_head(self, head_id: int, limit: int) -> list[PriceList]: ...


class HandlerUnitOfWork(UnitOfWork, Protocol):
    """The unit of work as handlers use it: the use cases' ports, the read models, the bot's
    notes on people and chats, and the outbox."""

    @property
    def purchases(self) -> PurchaseReads: ...

    @property
    def telegram(self) -> TelegramState: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def price_lists(self) -> PriceLists: ...

    async def purchase_and_community(
        self, purchase_id: int
    ) -> tuple[Purchase, Community] | tuple[None, None]: ...


class Database(Protocol):
    """Where units of work come from: one per update (`update_id` makes a redelivery a no-op)
    or per job."""

    def unit_of_work(self, update_id: int | None = None) -> HandlerUnitOfWork: ...

    def reading(self) -> HandlerUnitOfWork:
        """A unit of work that only reads: it waits for no writer and cannot commit."""
        ...

    @property
    def keeps_secrets(self) -> bool:
        """Whether secrets (a community's payment token) can be stored: SECRETS_KEY is set."""
        ...
