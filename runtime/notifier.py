"""Turns the domain event log into outbox messages, each in its recipient's language.

Joins, changes and withdrawals reach the head as one digest per purchase, at most once every
DIGEST_INTERVAL and only once the burst has settled; a request to withdraw after the stop
reaches the head with Accept / Decline; the member hears the answer. Handling an event and
enqueueing its messages happen in one transaction, so a crash repeats neither.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from html import escape
from typing import Any

from domain.billing import AmountDue, amounts_due
from domain.community import Community
from domain.events import AmountsChanged, MemberAmounts
from domain.ledger import Account, accounts
from domain.money import Money
from domain.purchase import Purchase, PurchaseStatus
from runtime.background import BackgroundLoop
from storage.event_log import LoggedEvent
from storage.unit_of_work import Database, SqlUnitOfWork
from texts import notices
from texts.callback_data import Action, encode
from texts.i18n import Translator, pick_language
from texts.pickup_qr import pickup_link

log = logging.getLogger(__name__)

DIGEST_KINDS = frozenset({"MemberJoined", "OrderChanged", "MemberWithdrew"})
# A Telegram message holds 4096 characters: a digest of a rush names the first people only.
MAX_DIGEST_LINES = 40
# Purchases whose unreachable members are told to their heads in one round.
UNREACHABLE_PER_ROUND = 20
# Events one digest covers at most (the rest go in the next): a rush of 150 joins is one.
DIGEST_EVENTS = 2000
# Events handled in one transaction. On SQLite the transaction holds the write turn that
# deadlines and taps wait for: a round of 500 stops (5,000 notices) held it for seconds.
EVENTS_PER_ROUND = 10


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
            f"{quantity} × {escape(purchase.item(item_id).name)}"
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
    units = purchase.firm_units()
    if units == 1:  # "1 unit", not "1 units"
        now = t.ngettext("Now {count} member, 1 unit.", "Now {count} members, 1 unit.", members)
    else:
        now = t.ngettext(
            "Now {count} member, {units} units.", "Now {count} members, {units} units.", members
        )
    lines.append(now.format(count=members, units=units))
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


class Notifier(BackgroundLoop):
    name = "notifier"

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        timing: NotifierTiming,
        bot_username: str = "",
        on_change: Callable[[int], None] = lambda _: None,
        yield_to: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__()
        self._database = database
        self._clock = clock
        self.timing = timing
        self.bot_username = bot_username
        # Called with a purchase id after its events are handled: refresh the card, re-plan timers.
        self._on_change = on_change
        # True while deadlines are being reached: their transactions go first, notices wait.
        self._yield_to = yield_to

    async def run_once(self) -> int:
        """Handle what is due in the event log; returns how many events were handled."""
        now = self._clock()
        handled: list[int] = []
        changed: set[int] = set()
        async with self._database.unit_of_work() as uow:
            events = await uow.events.unhandled(EVENTS_PER_ROUND, DIGEST_KINDS)
            by_purchase: dict[int, list[LoggedEvent]] = defaultdict(list)
            for event in events:
                by_purchase[event.purchase_id].append(event)
            for purchase_id, purchase_events in by_purchase.items():
                purchase = await uow.purchases.get(purchase_id)
                community = await uow.communities.get(purchase.community_id) if purchase else None
                if purchase is None or community is None:
                    handled.extend(e.id for e in purchase_events)
                    continue
                done = await _PurchaseNotices(self, uow, purchase, community, now).handle(
                    purchase_events
                )
                handled.extend(done)
                if any(e.kind not in DIGEST_KINDS for e in purchase_events):
                    changed.add(purchase_id)
            await uow.events.mark_handled(handled, now)
            told = await self._tell_heads_who_is_unreachable(uow, now)
            await uow.commit()
        for purchase_id in changed:
            self._on_change(purchase_id)
        return len(handled) + told

    async def _tell_heads_who_is_unreachable(self, uow: SqlUnitOfWork, now: datetime) -> int:
        """Messages that met a 403 (blocked, or never started): one message per purchase to
        its head naming everyone not reached since the last, to tell them in person."""
        notes = await uow.telegram.untold_unreachable(UNREACHABLE_PER_ROUND)
        for purchase_id, user_ids in notes.items():
            purchase, community = await uow.purchase_and_community(purchase_id)
            others = [u for u in user_ids if purchase is not None and u != purchase.head_id]
            if purchase is not None and community is not None and others:
                languages = await uow.telegram.languages([purchase.head_id])
                t = Translator(
                    pick_language(languages.get(purchase.head_id), community.language),
                    community.timezone,
                )
                names = [
                    purchase.members[u].name if u in purchase.members else str(u) for u in others
                ]
                await uow.outbox.enqueue(
                    f"unreachable:{purchase_id}:{int(now.timestamp() * 1_000_000)}",
                    purchase.head_id,
                    {"text": notices.unreachable_about(t, purchase, names), "parse_mode": "HTML"},
                    now,
                )
            await uow.telegram.told_unreachable(purchase_id, user_ids, now)
        return len(notes)

    def paused(self) -> bool:
        # A stop on time matters more than its notice a moment sooner; on SQLite both would
        # queue for the same write turn.
        return self._yield_to()


class _PurchaseNotices:
    """The messages one purchase's new events call for, enqueued in the caller's transaction."""

    def __init__(
        self,
        notifier: Notifier,
        uow: SqlUnitOfWork,
        purchase: Purchase,
        community: Community,
        now: datetime,
    ) -> None:
        self.notifier = notifier
        self.uow = uow
        self.purchase = purchase
        self.community = community
        self.now = now
        self.languages: dict[int, str] = {}

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
        return Translator(pick_language(language, self.community.language), self.community.timezone)

    async def send(
        self, key: str, chat_id: int, text: str, markup: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
        if markup is not None:
            payload["reply_markup"] = markup
        # A private message that cannot be delivered is named to the head (not the head's own).
        about = self.purchase.id if 0 < chat_id != self.purchase.head_id else None
        await self.uow.outbox.enqueue(key, chat_id, payload, self.now, purchase_id=about)

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
            )
            await self.uow.events.set_last_digest(purchase.id, self.now)
            handled.extend(e.id for e in digest)
        for event in events:
            if event.kind in DIGEST_KINDS:
                continue
            handled.append(event.id)
            react = getattr(self, f"on_{event.kind}", None)
            if react is not None:
                await react(event)
        return handled

    async def _digest_due(self, events: list[LoggedEvent]) -> bool:
        timing = self.notifier.timing
        if self.now - events[-1].occurred_at < timing.digest_settle:
            return False
        last = await self.uow.events.last_digest(self.purchase.id)
        return last is None or self.now - last >= timing.digest_interval

    async def _unreachable(self, member_ids: list[int]) -> list[int]:
        """Who of these the bot cannot write to. The head's summary names them, so the 403s
        of this round do not bring another message about them."""
        started = await self.uow.telegram.started_among(member_ids)
        unreachable = [m for m in member_ids if m not in started]
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
    ) -> None:
        for member in self.purchase.participant_ids() if members is None else members:
            await self.send(
                f"{kind}:{self.purchase.id}:{member}", member, render(self.t(member), member)
            )

    # --- one method per event kind ----------------------------------------------------------

    async def on_WithdrawalRequested(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        member = int(event.payload["member_id"])
        t = self.t(purchase.head_id)
        text = t.gettext(
            "{name} asks to be withdrawn from <b>{title}</b> after the stop. Their order: {order}"
        ).format(
            name=escape(self._name(member)),
            title=escape(purchase.title),
            order=notices.lines_text(
                purchase, {i: q for i, (q, _) in purchase.lines(member).items()}
            ),
        )
        number = int(event.payload["number"])
        markup = {
            "inline_keyboard": [
                [
                    {
                        "text": t.gettext("Accept"),
                        "callback_data": encode(
                            Action.WITHDRAWAL_ACCEPT, purchase.id, member, number
                        ),
                    },
                    {
                        "text": t.gettext("Decline"),
                        "callback_data": encode(
                            Action.WITHDRAWAL_DECLINE, purchase.id, member, number
                        ),
                    },
                ]
            ]
        }
        await self.send(f"withdrawal-request:{event.id}", purchase.head_id, text, markup)

    async def on_WithdrawalDeclined(self, event: LoggedEvent) -> None:  # noqa: N802
        member = int(event.payload["member_id"])
        text = (
            self.t(member)
            .gettext(
                "The head declined your request to withdraw from <b>{title}</b>; "
                "your order stays as it is."
            )
            .format(title=escape(self.purchase.title))
        )
        await self.send(f"declined:{event.id}", member, text)

    async def on_PaymentClaimed(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase, member = self.purchase, int(event.payload["member_id"])
        number = int(event.payload["claim"])
        claim = next((c for c in purchase.claims if c.number == number), None)
        if claim is None:
            return
        amount = claim.amount if claim.amount is not None else self.account(member).to_pay
        notice = notices.payment_claimed(
            self.t(purchase.head_id), purchase, member, self._name(member), amount, number
        )
        await self.send(
            f"payment-claimed:{event.id}", purchase.head_id, notice["text"], notice["reply_markup"]
        )

    async def on_PaymentConfirmed(self, event: LoggedEvent) -> None:  # noqa: N802
        member, number = int(event.payload["member_id"]), int(event.payload["entry"])
        entry = next((e for e in self.purchase.ledger if e.number == number), None)
        if entry is None:
            return
        text = notices.payment_confirmed(
            self.t(member), self.purchase, entry.amount, self.account(member), entry.recorded_by
        )
        await self.send(f"payment-confirmed:{event.id}", member, text)

    async def on_PaymentRejected(self, event: LoggedEvent) -> None:  # noqa: N802
        member, number = int(event.payload["member_id"]), int(event.payload["claim"])
        claim = next((c for c in self.purchase.claims if c.number == number), None)
        amount = claim.amount if claim is not None else None
        text = notices.payment_rejected(self.t(member), self.purchase, amount)
        await self.send(f"payment-rejected:{event.id}", member, text)

    async def on_RefundRecorded(self, event: LoggedEvent) -> None:  # noqa: N802
        member, number = int(event.payload["member_id"]), int(event.payload["entry"])
        entry = next((e for e in self.purchase.ledger if e.number == number), None)
        if entry is None:
            return
        text = notices.refund_recorded(
            self.t(member), self.purchase, entry.amount, self.account(member), entry.recorded_by
        )
        await self.send(f"refund:{event.id}", member, text)

    async def on_UnpaidReminded(self, event: LoggedEvent) -> None:  # noqa: N802
        for member in (int(m) for m in event.payload["member_ids"]):
            account = self.account(member)
            if account.to_pay.minor:
                text = notices.unpaid_reminder(self.t(member), self.purchase, account)
                await self.send(f"unpaid:{event.id}:{member}", member, text)

    async def on_PurchaseEdited(self, event: LoggedEvent) -> None:  # noqa: N802
        fields = [str(name) for name in event.payload["fields"]]
        purchase = self.purchase
        if not {"deadline", "pickup", "pay_to", "pay_by"} & set(fields):
            return  # the refreshed card says the rest
        if purchase.accepts_payments() and not {"deadline", "pickup"} & set(fields):
            # New payment details while collecting: for whoever still has to pay.
            told = [m for m, account in self.accounts.items() if account.to_pay.minor]
        else:
            told = purchase.participant_ids()
        for member in told:
            t = self.t(member)
            text = notices.terms_changed(t, purchase, fields, member)
            choice = (
                notices.pickup_choice_markup(t, purchase, member, self.now)
                if "pickup" in fields
                else None
            )  # a slot they chose may be gone, or new ones came
            await self.send(f"edited:{event.id}:{member}", member, text, choice)

    async def on_AmountsChanged(self, event: LoggedEvent) -> None:  # noqa: N802
        """Each member whose lines or amount moved gets one message; the head a summary, and
        the supplier order again when what goes to the supplier changed."""
        purchase = self.purchase
        impact = impact_from(event.payload, purchase.id)
        for change in impact.members:
            text = notices.amounts_changed_to_member(
                self.t(change.member_id), purchase, impact, change
            )
            await self.send(f"amounts:{event.id}:{change.member_id}", change.member_id, text)
        names = {m: self._name(m) for m in purchase.members}
        head = self.t(purchase.head_id)
        await self.send(
            f"amounts:{event.id}:head",
            purchase.head_id,
            notices.amounts_changed_to_head(head, purchase, impact, names),
        )
        if impact.ordered or impact.prices:  # what goes to the supplier changed
            await self.send(
                f"amounts:{event.id}:supplier",
                purchase.head_id,
                notices.supplier_summary(head, purchase, [], updated=True),
            )

    async def on_TransferOffered(self, event: LoggedEvent) -> None:  # noqa: N802
        member = int(event.payload["to_member_id"])
        offer = notices.transfer_offer(self.t(member), self.purchase, int(event.payload["number"]))
        await self.send(f"transfer-offer:{event.id}", member, offer["text"], offer["reply_markup"])

    async def on_TransferDeclined(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase, member = self.purchase, int(event.payload["member_id"])
        text = (
            self.t(purchase.head_id)
            .gettext("{name} would rather not lead {title}; you still lead it.")
            .format(name=escape(self._name(member)), title=notices.title(purchase))
        )
        await self.send(f"transfer-declined:{event.id}", purchase.head_id, text)

    async def on_HeadChanged(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        old, new = int(event.payload["old_head_id"]), int(event.payload["new_head_id"])
        until = datetime.fromisoformat(str(event.payload["withdrawal_window_ends"]))
        name = self._name(new)
        await self.send(
            f"head-changed:{event.id}:chat",
            purchase.community_id,
            notices.new_head_in_chat(self.t(), purchase, name),
        )
        for member in purchase.participant_ids():
            if member != new:
                text = notices.new_head_to_member(
                    self.t(member), purchase, name, until, member in purchase.handed_over
                )
                await self.send(f"head-changed:{event.id}:{member}", member, text)
        to_new = self.t(new).gettext(
            "✅ You lead {title} now. /purchases opens its panel and the list of participants."
        )
        await self.send(
            f"head-changed:{event.id}:new", new, to_new.format(title=notices.title(purchase))
        )
        if old not in purchase.participant_ids():
            to_old = self.t(old).gettext("{name} now leads {title}; you no longer manage it.")
            await self.send(
                f"head-changed:{event.id}:old",
                old,
                to_old.format(name=escape(name), title=notices.title(purchase)),
            )

    async def on_PurchaseStopped(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        bot = self.notifier.bot_username
        await self.send(
            f"stopped:{purchase.id}:chat",
            purchase.community_id,
            notices.stopped_in_chat(self.t(), purchase, bot),
        )
        await self._to_members(
            event, "stopped", lambda t, m: notices.stopped_to_member(t, purchase, m, self.dues)
        )
        unreachable = await self._unreachable(purchase.participant_ids())
        await self.send(
            f"stopped:{purchase.id}:head",
            purchase.head_id,
            notices.supplier_summary(
                self.t(purchase.head_id), purchase, [self._name(m) for m in unreachable]
            ),
        )

    async def on_PurchaseFailed(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        await self.send(
            f"failed:{purchase.id}:chat",
            purchase.community_id,
            notices.failed_text(self.t(), purchase),
        )
        await self._to_members(event, "failed", lambda t, _m: notices.failed_text(t, purchase))
        await self.send(
            f"failed:{purchase.id}:head",
            purchase.head_id,
            notices.failed_text(self.t(purchase.head_id), purchase),
        )

    async def on_PurchaseCancelled(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        reason = str(event.payload.get("reason", ""))
        await self.send(
            f"cancelled:{purchase.id}:chat",
            purchase.community_id,
            notices.cancelled_text(self.t(), purchase, reason),
        )
        await self._to_members(
            event,
            "cancelled",
            lambda t, m: notices.cancelled_to_member(t, purchase, reason, self.accounts.get(m)),
        )

    async def on_DeadlineExtended(self, event: LoggedEvent) -> None:  # noqa: N802
        await self.send(
            f"extended:{event.id}",
            self.purchase.community_id,
            notices.extended_text(self.t(), self.purchase),
        )

    async def on_HeadDecisionNeeded(self, event: LoggedEvent) -> None:  # noqa: N802
        payload = notices.decision_needed(self.t(self.purchase.head_id), self.purchase)
        await self.send(
            f"decide:{event.id}", self.purchase.head_id, payload["text"], payload["reply_markup"]
        )

    async def on_MoqReached(self, event: LoggedEvent) -> None:  # noqa: N802
        await self.send(
            f"moq:{self.purchase.id}",
            self.purchase.head_id,
            notices.moq_reached(self.t(self.purchase.head_id), self.purchase),
        )

    async def on_SoldOut(self, event: LoggedEvent) -> None:  # noqa: N802
        item_id = int(event.payload["item_id"])
        await self.send(
            f"soldout:{self.purchase.id}:{item_id}",
            self.purchase.head_id,
            notices.sold_out(self.t(self.purchase.head_id), self.purchase, item_id),
        )

    async def on_PurchaseOrdered(self, event: LoggedEvent) -> None:  # noqa: N802
        # Only those who get something: a member the supplier's cut left with nothing was
        # told so by the change itself, and "ordered" would say the opposite.
        await self._to_members(
            event, "ordered", lambda t, _m: notices.ordered_text(t, self.purchase),
            members=sorted(self.purchase.final_lines()),
        )  # fmt: skip

    async def on_GoodsArrived(self, event: LoggedEvent) -> None:  # noqa: N802
        purchase = self.purchase
        await self.send(
            f"arrived:{purchase.id}:chat",
            purchase.community_id,
            notices.arrived_in_chat(self.t(), purchase, self.notifier.bot_username),
        )
        receiving = list(purchase.pickup_codes)
        tokens = await self.uow.purchases.pickup_tokens(purchase.id)
        for member in receiving:
            t = self.t(member)
            await self.send(
                f"pickup:{purchase.id}:{member}",
                member,
                notices.pickup_notice(t, purchase, member, self.accounts.get(member)),
                notices.pickup_choice_markup(t, purchase, member, self.now),
            )
            if member in tokens:  # the QR code to show instead of saying the code
                link = pickup_link(self.notifier.bot_username, tokens[member])
                caption = notices.pickup_qr_caption(self.t(member), purchase, member)
                await self.uow.outbox.enqueue(
                    f"pickup-qr:{purchase.id}:{member}", member,
                    {"qr": link, "caption": caption, "parse_mode": "HTML"}, self.now,
                    purchase_id=purchase.id,
                )  # fmt: skip
        unreachable = await self._unreachable(receiving)
        if unreachable:
            await self.send(
                f"arrived:{purchase.id}:unreachable",
                purchase.head_id,
                notices.unreachable_text(
                    self.t(purchase.head_id), [self._name(m) for m in unreachable]
                ),
            )

    async def on_HelperAdded(self, event: LoggedEvent) -> None:  # noqa: N802
        helper = int(event.payload["user_id"])
        await self.send(
            f"helper:{self.purchase.id}:{helper}:{event.id}",
            helper,
            notices.helper_added(self.t(helper), self.purchase),
        )

    async def on_HelperRemoved(self, event: LoggedEvent) -> None:  # noqa: N802
        helper = int(event.payload["user_id"])
        await self.send(
            f"helper-off:{self.purchase.id}:{helper}:{event.id}",
            helper,
            notices.helper_removed(self.t(helper), self.purchase),
        )

    async def on_HandoverUndone(self, event: LoggedEvent) -> None:  # noqa: N802
        member = int(event.payload["member_id"])
        await self.send(
            f"undone:{self.purchase.id}:{member}:{event.id}",
            member,
            notices.handover_undone_text(self.t(member), self.purchase, member),
        )

    async def on_PurchaseCompleted(self, event: LoggedEvent) -> None:  # noqa: N802
        """The head hears what was not collected (the leftovers); those members are told;
        the card, which now says Completed, is unpinned."""
        purchase = self.purchase
        waiting = [m for m in purchase.pickup_codes if m not in purchase.handed_over]
        await self.send(
            f"completed:{purchase.id}:head",
            purchase.head_id,
            notices.completed_to_head(self.t(purchase.head_id), purchase, waiting),
        )
        for member in waiting:
            await self.send(
                f"completed:{purchase.id}:{member}",
                member,
                notices.completed_to_member(self.t(member), purchase, member),
            )
        card = await self.uow.telegram.card(purchase.id)
        if card is not None:
            await self.uow.outbox.enqueue(
                f"unpin:{purchase.id}", card.chat_id, {"unpin": card.message_id}, self.now
            )

    async def on_HandedOver(self, event: LoggedEvent) -> None:  # noqa: N802
        member = int(event.payload["member_id"])
        await self.send(
            f"received:{self.purchase.id}:{member}",
            member,
            notices.handed_over_text(self.t(member), self.purchase, member),
        )
