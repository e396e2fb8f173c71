"""Turns the domain event log into outbox messages, each in its recipient's language.

Joins, changes and withdrawals reach the head as one digest per purchase, at most once every
DIGEST_INTERVAL and only once the burst has settled; a request to withdraw after the stop
reaches the head with Accept / Decline; the member hears the answer. Handling an event and
enqueueing its messages happen in one transaction, so a crash repeats neither.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from bot.i18n import Translator, pick_language
from domain.community import Community
from domain.purchase import Purchase
from handlers.callback_data import Action, encode
from storage.event_log import LoggedEvent
from storage.unit_of_work import Database, SqlUnitOfWork

log = logging.getLogger(__name__)

DIGEST_KINDS = {"MemberJoined", "OrderChanged", "MemberWithdrew"}


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
    for member_id, (kind, _payload) in latest.items():
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
    members = len(purchase.participant_ids())
    lines.append(
        t.ngettext(
            "Now {count} member, {units} units.", "Now {count} members, {units} units.", members
        ).format(count=members, units=purchase.firm_units())
    )
    return "\n".join(lines)


class Notifier:
    def __init__(
        self, database: Database, clock: Callable[[], datetime], timing: NotifierTiming
    ) -> None:
        self._database = database
        self._clock = clock
        self.timing = timing

    async def _translators(
        self, uow: SqlUnitOfWork, user_ids: list[int], community: Community
    ) -> dict[int, Translator]:
        languages = await uow.telegram.languages(user_ids)
        return {
            user_id: Translator(pick_language(languages.get(user_id), community.language),
                                community.timezone)
            for user_id in user_ids
        }  # fmt: skip

    async def run_once(self) -> int:
        """Handle what is due in the event log; returns how many events were handled."""
        now = self._clock()
        handled: list[int] = []
        async with self._database.unit_of_work() as uow:
            events = await uow.events.unhandled(limit=500)
            by_purchase: dict[int, list[LoggedEvent]] = defaultdict(list)
            for event in events:
                by_purchase[event.purchase_id].append(event)
            for purchase_id, purchase_events in by_purchase.items():
                purchase = await uow.purchases.get(purchase_id)
                community = await uow.communities.get(purchase.community_id) if purchase else None
                if purchase is None or community is None:
                    handled.extend(e.id for e in purchase_events)
                    continue
                handled.extend(await self._purchase(uow, purchase, community, purchase_events, now))
            await uow.events.mark_handled(handled, now)
            await uow.commit()
        return len(handled)

    async def _purchase(
        self,
        uow: SqlUnitOfWork,
        purchase: Purchase,
        community: Community,
        events: list[LoggedEvent],
        now: datetime,
    ) -> list[int]:
        handled: list[int] = []
        people = {purchase.head_id} | {
            int(e.payload["member_id"]) for e in events if "member_id" in e.payload
        }
        t = await self._translators(uow, sorted(people), community)
        digest = [e for e in events if e.kind in DIGEST_KINDS]
        if digest and await self._digest_due(uow, purchase.id, digest, now):
            text = digest_text(t[purchase.head_id], purchase, digest)
            await uow.outbox.enqueue(
                f"digest:{purchase.id}:{digest[-1].id}", purchase.head_id,
                {"text": text, "parse_mode": "HTML"}, now,
            )  # fmt: skip
            await uow.events.set_last_digest(purchase.id, now)
            handled.extend(e.id for e in digest)
        for event in events:
            if event.kind in DIGEST_KINDS:
                continue
            handled.append(event.id)
            if event.kind == "WithdrawalRequested":
                await self._withdrawal_request(uow, purchase, event, t[purchase.head_id], now)
            elif event.kind == "WithdrawalDeclined":
                member = int(event.payload["member_id"])
                text = (
                    t[member]
                    .gettext(
                        "The head declined your request to withdraw from <b>{title}</b>; "
                        "your order stays as it is."
                    )
                    .format(title=escape(purchase.title))
                )
                await uow.outbox.enqueue(
                    f"declined:{event.id}", member, {"text": text, "parse_mode": "HTML"}, now
                )
        withdrawn_after_stop = [
            e for e in digest if e.kind == "MemberWithdrew" and not purchase.accepts_orders(now)
        ]
        for event in withdrawn_after_stop:
            member = int(event.payload["member_id"])
            text = (
                t[member]
                .gettext("You are no longer in <b>{title}</b>; nothing is due from you.")
                .format(title=escape(purchase.title))
            )
            await uow.outbox.enqueue(
                f"withdrawn:{event.id}", member, {"text": text, "parse_mode": "HTML"}, now
            )
        return handled

    async def _digest_due(
        self, uow: SqlUnitOfWork, purchase_id: int, events: list[LoggedEvent], now: datetime
    ) -> bool:
        if now - events[-1].occurred_at < self.timing.digest_settle:
            return False
        last = await uow.events.last_digest(purchase_id)
        return last is None or now - last >= self.timing.digest_interval

    async def _withdrawal_request(
        self,
        uow: SqlUnitOfWork,
        purchase: Purchase,
        event: LoggedEvent,
        t: Translator,
        now: datetime,
    ) -> None:
        member = int(event.payload["member_id"])
        name = escape(purchase.members[member].name) if member in purchase.members else "?"
        order = ", ".join(
            f"{quantity} × {escape(purchase.item(item_id).name)}"
            for item_id, (quantity, _tol) in purchase.lines(member).items()
        )
        text = t.gettext(
            "{name} asks to be withdrawn from <b>{title}</b> after the stop. Their order: {order}"
        ).format(name=name, title=escape(purchase.title), order=order)
        markup = {
            "inline_keyboard": [[
                {"text": t.gettext("Accept"),
                 "callback_data": encode(Action.WITHDRAWAL_ACCEPT, purchase.id, member)},
                {"text": t.gettext("Decline"),
                 "callback_data": encode(Action.WITHDRAWAL_DECLINE, purchase.id, member)},
            ]]
        }  # fmt: skip
        await uow.outbox.enqueue(
            f"withdrawal-request:{event.id}", purchase.head_id,
            {"text": text, "parse_mode": "HTML", "reply_markup": markup}, now,
        )  # fmt: skip

    async def run_forever(self, idle_seconds: float = 0.5) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the events stay in the log; try again next round
                log.exception("notifier failed; retrying")
            await asyncio.sleep(idle_seconds)
