"""Turns the domain event log into outbox messages, each in its recipient's language.

Joins, changes and withdrawals reach the head as one digest per purchase, at most once every
DIGEST_INTERVAL and only once the burst has settled; a request to withdraw after the stop
reaches the head with Accept / Decline; the member hears the answer. Handling an event and
enqueueing its messages happen in one transaction, so a crash repeats neither.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from runtime.background import BackgroundLoop
from runtime.course_notices import CourseNotices
from runtime.editor_notices import EditorNotices
from runtime.event_notices import DIGEST_KINDS, NotifierTiming
from runtime.money_notices import MoneyNotices
from storage.event_log import LoggedEvent
from storage.unit_of_work import Database, SqlUnitOfWork
from texts import notices
from texts.i18n import speaking

log = logging.getLogger(__name__)


# Purchases whose unreachable members are told to their heads in one round.
UNREACHABLE_PER_ROUND = 20


# Events handled in one transaction. On SQLite the transaction holds the write turn that
# deadlines and taps wait for: a round of 500 stops (5,000 notices) held it for seconds.
EVENTS_PER_ROUND = 10


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
        pay_in_telegram: bool = False,
    ) -> None:
        super().__init__()
        self.pay_in_telegram = pay_in_telegram
        # Known once the Mini App's server has started (bot/app.py sets it).
        self.mini_app_url: str | None = None
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
            # Notices only read their purchases: no row lock, no write, no wait behind taps.
            read = {p.id: p for p in await uow.purchases.read_many(sorted(by_purchase))}
            for purchase_id, purchase_events in by_purchase.items():
                purchase = read.get(purchase_id)
                community = await uow.communities.get(purchase.community_id) if purchase else None
                if purchase is None or community is None:
                    handled.extend(e.id for e in purchase_events)
                    continue
                with purchase.only_read():  # notices change nothing of it
                    done = await PurchaseNotices(
                        self.timing, self.bot_username, uow, purchase, community, now,
                        self.pay_in_telegram, self.mini_app_url,
                    ).handle(purchase_events)  # fmt: skip
                handled.extend(done)
                if any(e.kind not in DIGEST_KINDS for e in purchase_events):
                    changed.add(purchase_id)
            await uow.events.mark_handled(handled, now)
            await uow.outbox.flush()  # the notices queued above count as waiting to go
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
                t = speaking(
                    languages.get(purchase.head_id), community.language, timezone=community.timezone
                )
                # A helper from the group may be no member: named as the head added them.
                names = [
                    purchase.members[u].name if u in purchase.members
                    else purchase.helpers.get(u, str(u))
                    for u in others
                ]  # fmt: skip
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


class PurchaseNotices(CourseNotices, MoneyNotices, EditorNotices):
    """Every kind of notice one purchase's events call for."""
