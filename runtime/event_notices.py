"""How one purchase's new events become messages: the digest of joins and changes for the
head, and the base every kind of notice builds on (the recipients' languages, every member's
amount and account once per round, enqueueing in the caller's transaction).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from html import escape
from typing import Any, ClassVar

from domain import checkout
from domain.billing import AmountDue, amounts_due
from domain.community import Community
from domain.events import (
    AmountsChanged,
    Event,
    MemberAmounts,
    MemberJoined,
    MemberWithdrew,
    OrderChanged,
    PurchasePublished,
)
from domain.ledger import Account, accounts
from domain.money import Money
from domain.personal_data import is_pseudonym
from domain.purchase import Purchase, PurchaseStatus
from storage.event_log import LoggedEvent
from storage.outbox import Urgency
from storage.unit_of_work import SqlUnitOfWork
from texts import notices
from texts.i18n import Translator, speaking

# Told to the head in one digest a minute, not one by one.
DIGEST_KINDS = frozenset(kind.__name__ for kind in (MemberJoined, OrderChanged, MemberWithdrew))
# Told by something else than a notice: a published purchase is its card in the group.
UNTOLD_KINDS = frozenset(kind.__name__ for kind in (PurchasePublished,))

Reaction = Callable[[Any, LoggedEvent], Awaitable[None]]


def reacts_to(*kinds: type[Event]) -> Callable[[Reaction], Reaction]:
    """Marks a notice method as what one or more kinds of event call for. Named by the event's
    class, not by a string: an event renamed is renamed here too (or nothing imports), and
    `EventNotices` refuses a kind claimed twice; tests/test_event_registry.py checks that every kind
    of event is told exactly one way."""

    def mark(method: Reaction) -> Reaction:
        method.__dict__["reacts_to"] = tuple(kind.__name__ for kind in kinds)
        return method

    return mark


# A Telegram message holds 4096 characters: a digest of a rush names the first people only.
MAX_DIGEST_LINES = 40


# Events one digest covers at most (the rest go in the next): a rush of 150 joins is one.
DIGEST_EVENTS = 2000


@dataclass
class NotifierTiming:
    digest_interval: timedelta = timedelta(minutes=1)
    # A digest waits until the newest change is this old, so a burst lands in one digest.
    digest_settle: timedelta = timedelta(seconds=5)


def digest_text(t: Translator, purchase: Purchase, events: list[LoggedEvent]) -> str:
    """Who did what since the last digest, one line a person, then where the purchase stands."""
    latest: dict[int, tuple[str, dict[str, Any]]] = {}
    joined: set[int] = set()
    for event in events:
        member = int(event.payload["member_id"])
        if event.kind == "MemberJoined":
            joined.add(member)
        latest.setdefault(member, (event.kind, event.payload))
        if event.kind != "MemberJoined":
            latest[member] = (event.kind, event.payload)
    lines = [t.gettext("Changes in <b>{title}</b>:").format(title=escape(purchase.title))]
    shown = list(latest.items())[:MAX_DIGEST_LINES]
    for member_id, (kind, _payload) in shown:
        name = escape(purchase.members[member_id].name) if member_id in purchase.members else "?"
        order = ", ".join(
            f"{quantity} × {escape(purchase.item(item_id).label)}"
            for item_id, (quantity, _tol) in purchase.lines(member_id).items()
        )
        if kind == "MemberWithdrew" or not order:
            lines.append("• " + t.gettext("{name} withdrew").format(name=name))
        elif member_id in joined:
            lines.append("• " + t.gettext("{name} joined: {order}").format(name=name, order=order))
        else:
            lines.append("• " + t.gettext("{name} now has {order}").format(name=name, order=order))
    if len(latest) > len(shown):
        lines.append(
            t.gettext("…and {count} more; /purchases shows everyone.").format(
                count=len(latest) - len(shown)
            )
        )
    members = len(purchase.participant_ids())
    now = t.ngettext("Now {count} member, {units}.", "Now {count} members, {units}.", members)
    lines.append(now.format(count=members, units=t.units(purchase.firm_units())))
    return "\n".join(lines)


AMOUNT_KEYS = (
    "goods_before", "fee_before", "delivery_before", "goods_after", "fee_after", "delivery_after",
    "paid", "refunded",
)  # fmt: skip


def _lines(pairs: Any) -> tuple[tuple[int, int], ...]:
    return tuple((int(item), int(units)) for item, units in pairs)


def impact_from(payload: dict[str, Any], purchase_id: int) -> AmountsChanged:
    """An AmountsChanged event back from its row in the event log (JSON lists and objects)."""
    members = tuple(
        MemberAmounts(
            int(m["member_id"]),
            _lines(m["lines_before"]),
            _lines(m["lines_after"]),
            *(int(m[key]) for key in AMOUNT_KEYS),
        )
        for m in payload["members"]
    )
    return AmountsChanged(
        purchase_id,
        str(payload["cause"]),
        tuple(int(m) for m in payload["members_out"]),
        members,
        tuple((int(i), int(b), int(a)) for i, b, a in payload["prices"]),
        tuple((int(i), int(b), int(a)) for i, b, a in payload["packs"]),
        tuple((int(i), int(b), int(a)) for i, b, a in payload.get("ordered", ())),
    )


class EventNotices:
    """The messages one purchase's new events call for, enqueued in the caller's transaction.
    The notices built on this mark one method per event kind with `@reacts_to`."""

    # Event kind → the method that tells it, gathered from this class and its bases.
    reactions: ClassVar[dict[str, Reaction]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        reactions: dict[str, Reaction] = {}
        for owner in reversed(cls.__mro__):
            for method in vars(owner).values():
                for kind in getattr(method, "reacts_to", ()):
                    if reactions.get(kind, method) is not method:
                        raise TypeError(f"{cls.__name__}: two notices react to {kind}")
                    reactions[kind] = method
        cls.reactions = reactions

    def __init__(
        self,
        timing: NotifierTiming,
        bot_username: str,
        uow: SqlUnitOfWork,
        purchase: Purchase,
        community: Community,
        now: datetime,
        pay_in_telegram: bool = False,
        mini_app_url: str | None = None,
    ) -> None:
        self.timing = timing
        # Where the catalog Mini App is served: a redrawn order editor still offers it.
        self.mini_app_url = mini_app_url
        # A payment provider is set up: prepaid purchases' notices carry a *Pay* button.
        self.pay_in_telegram = pay_in_telegram
        self.bot_username = bot_username
        self.uow = uow
        self.purchase = purchase
        self.community = community
        self.now = now
        self.languages: dict[int, str] = {}
        # Payments made in Telegram this round (event, member, amount): one note to the head.
        self.paid_in_telegram: list[tuple[int, int, Money]] = []

    @cached_property
    def dues(self) -> dict[int, AmountDue]:
        """Every member's amount, once for all the notices of this round: one member's exact
        share is a split over all members."""
        return amounts_due(self.purchase)

    @cached_property
    def accounts(self) -> dict[int, Account]:
        """Every member's money (due, paid, refunded), once for the round, as `dues` is."""
        return accounts(self.purchase)

    def account(self, member_id: int) -> Account:
        zero = Money.zero(self.purchase.currency)
        return self.accounts.get(member_id) or Account(member_id, zero, zero, zero)

    def t(self, user_id: int | None = None) -> Translator:
        """The recipient's language (the community's for the chat)."""
        language = self.languages.get(user_id) if user_id is not None else None
        return speaking(language, self.community.language, timezone=self.community.timezone)

    async def send(
        self,
        key: str,
        chat_id: int,
        text: str,
        markup: dict[str, Any] | None = None,
        urgency: Urgency = Urgency.NORMAL,
    ) -> None:
        payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
        await self.enqueue(key, chat_id, payload, markup, urgency)

    async def enqueue(
        self,
        key: str,
        chat_id: int,
        payload: dict[str, Any],
        markup: dict[str, Any] | None,
        urgency: Urgency,
    ) -> None:
        """Any message (`send`'s text, a photo) to one chat, with its buttons."""
        if is_pseudonym(chat_id):  # someone forgotten: nobody to write to
            return
        if markup is not None:
            payload["reply_markup"] = markup
        # A private message that cannot be delivered is named to the head (not the head's own).
        about = self.purchase.id if 0 < chat_id != self.purchase.head_id else None
        self.uow.outbox.enqueue_soon(
            key, chat_id, payload, self.now, purchase_id=about, urgency=urgency
        )

    async def handle(self, events: list[LoggedEvent]) -> list[int]:
        purchase = self.purchase
        people = {purchase.head_id, *purchase.participant_ids()} | {
            int(e.payload[key])
            for e in events
            for key in ("member_id", "user_id")
            if key in e.payload
        }
        self.languages = await self.uow.telegram.languages(sorted(people))
        handled: list[int] = []
        digest = [e for e in events if e.kind in DIGEST_KINDS]
        if digest and purchase.status is not PurchaseStatus.OPEN:
            handled.extend(e.id for e in digest)  # the stop's summary said where it ended
        elif digest and await self._digest_due(digest):
            # Everything since the last digest, not only the events this round loaded.
            pending = await self.uow.events.unhandled_of(purchase.id, DIGEST_KINDS, DIGEST_EVENTS)
            digest = sorted({e.id: e for e in [*pending, *digest]}.values(), key=lambda e: e.id)
            await self.send(
                f"digest:{purchase.id}:{digest[-1].id}",
                purchase.head_id,
                digest_text(self.t(purchase.head_id), purchase, digest),
                urgency=Urgency.LATER,
            )
            await self.uow.events.set_last_digest(purchase.id, self.now)
            handled.extend(e.id for e in digest)
        for event in events:
            if event.kind in DIGEST_KINDS:
                continue
            handled.append(event.id)
            react = self.reactions.get(event.kind)
            if react is not None:
                await react(self, event)
        await self.finish()
        return handled

    async def finish(self) -> None:
        """After the round's events: what is said once for several of them."""

    async def _digest_due(self, events: list[LoggedEvent]) -> bool:
        timing = self.timing
        if self.now - events[-1].occurred_at < timing.digest_settle:
            return False
        last = await self.uow.events.last_digest(self.purchase.id)
        return last is None or self.now - last >= timing.digest_interval

    async def _unreachable(self, member_ids: list[int]) -> list[int]:
        """Who of these the bot cannot write to. The head's summary names them, so the 403s
        of this round do not bring another message about them."""
        started = await self.uow.telegram.started_among(member_ids)
        unreachable = [m for m in member_ids if m not in started and not is_pseudonym(m)]
        await self.uow.telegram.told_unreachable(self.purchase.id, unreachable, self.now)
        return unreachable

    def _name(self, member_id: int) -> str:
        member = self.purchase.members.get(member_id)
        return member.name if member else str(member_id)

    async def _to_members(
        self,
        event: LoggedEvent,
        kind: str,
        render: Callable[[Translator, int], str],
        members: Iterable[int] | None = None,
        markup: Callable[[Translator, int], dict[str, Any] | None] = lambda _t, _m: None,
        urgency: Urgency = Urgency.NORMAL,
    ) -> None:
        for member in self.purchase.participant_ids() if members is None else members:
            t = self.t(member)
            await self.send(
                f"{kind}:{self.purchase.id}:{member}", member, render(t, member),
                markup(t, member), urgency,
            )  # fmt: skip

    def payable_in_telegram(self, member_id: int) -> bool:
        """Whether the member's notice carries a *Pay* button: what they owe now may be paid
        in Telegram (a prepaid purchase collecting, no "I paid" waiting for the head)."""
        return (
            self.pay_in_telegram or self.community.payment_token is not None
        ) and checkout.payable(self.purchase, self.account(member_id))

    def pay_markup(self, t: Translator, member_id: int) -> dict[str, Any] | None:
        if not self.payable_in_telegram(member_id):
            return None
        return notices.pay_markup(t, self.purchase.id, self.account(member_id).to_pay)
