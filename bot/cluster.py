"""The bot as one of several processes on one PostgreSQL (docs/deploy.md).

Every process handles updates (in webhook mode each takes its people's lanes, runtime/lanes.py)
and paces its sends through the database (runtime/rate_limiter.py with storage/cluster.py's
SendPace). One of them leads (runtime/leadership.py): it runs the timeline, the notifier, the
outbox sender and every card edit. The others hand the leader what it must do: card edits
(kept in the database, so none is lost while the leader changes) and timers to re-plan (a
notification; a new leader plans every timer from the database anyway). A person's language
chosen on one process reaches the others' caches by notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from handlers.runtime import Runtime
from runtime.lanes import LaneDispatcher
from runtime.leadership import Leadership
from runtime.metrics import LEADER
from runtime.rate_limiter import TelegramRateLimiter
from storage.cluster import LEADER as LEADER_LOCK
from storage.cluster import CardRequests, LaneLocks, SendPace, SingletonLock

log = logging.getLogger(__name__)

CARDS_CHANNEL = "groupbuy_cards"
PLANS_CHANNEL = "groupbuy_plans"
LANGUAGES_CHANNEL = "groupbuy_languages"
MEMBERS_CHANNEL = "groupbuy_members"  # chat:person:1 (in) or 0 (out), as Telegram told one
# Requests to the leader made within this long go together.
FORWARD_DELAY_SECONDS = 0.1


class HandOn:
    """Purchase ids asked for within FORWARD_DELAY_SECONDS of each other, handed on to the
    leader together (a rush of taps on a worker that does not lead makes one request)."""

    def __init__(
        self,
        spawn: Callable[[Awaitable[Any]], None],
        what: str,
        send: Callable[[list[int]], Awaitable[None]],
    ) -> None:
        self._spawn, self._what, self._send = spawn, what, send
        self._asked: set[int] = set()

    def __call__(self, purchase_id: int) -> None:
        if not self._asked:
            self._spawn(self._flush())
        self._asked.add(purchase_id)

    async def _flush(self) -> None:
        await asyncio.sleep(FORWARD_DELAY_SECONDS)
        asked, self._asked = sorted(self._asked), set()
        try:
            await self._send(asked)
        except Exception:  # a lost request only delays: see each sender
            log.exception("could not hand the leader %s for %s", self._what, asked)


class Cluster:
    def __init__(
        self,
        url: str,
        rt: Runtime,
        limiter: TelegramRateLimiter,
        lead: Callable[[], Awaitable[None]],
        lost: Callable[[], None],
        lanes: bool,
    ) -> None:
        """`lanes`: whether this process takes updates from the inbox's lanes (webhook mode);
        a poller uses one connection of theirs only to hand requests to the leader."""
        self._rt = rt
        self._limiter = limiter
        self.lanes = LaneLocks(url, connections=4 if lanes else 1)
        self.pace = SendPace(url)
        self._cards = CardRequests(self.lanes)
        self._lead = lead
        self.leadership = Leadership(
            SingletonLock(url, LEADER_LOCK), self._start_leading, lost,
            listen={
                CARDS_CHANNEL: lambda _payload: self._spawn(self._edit_requested_cards()),
                PLANS_CHANNEL: self._plans_heard,
                LANGUAGES_CHANNEL: self._language_heard,
                MEMBERS_CHANNEL: self._membership_heard,
            },
        )  # fmt: skip
        self.dispatcher: LaneDispatcher | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ask_card = HandOn(self._spawn, "card edits", self._send_card_requests)
        self._ask_plan = HandOn(self._spawn, "timer plans", self._send_plan_requests)

    @property
    def leading(self) -> bool:
        return self.leadership.leading

    async def start(self, dispatcher: LaneDispatcher | None) -> None:
        """Connect, take the lead if nobody has it (a process alone leads at once), and keep
        trying for it in the background."""
        self.dispatcher = dispatcher
        await self.lanes.open()
        await self.pace.open()
        self._limiter.use(self.pace)
        self._rt.cards.forward = self._ask_card
        self._rt.timeline.forward = self._ask_plan
        self._rt.language_chosen = self._tell_language
        self._rt.members.told = self._tell_membership
        await self.leadership.open()
        await self.leadership.run_once()
        self._spawn(self.leadership.run_forever(idle_seconds=1.0))
        if dispatcher is not None:
            self._spawn(dispatcher.run_forever(idle_seconds=0.5))

    async def _start_leading(self) -> None:
        self._rt.cards.forward = None
        self._rt.timeline.forward = None
        LEADER.set(1)
        await self._lead()
        await self._edit_requested_cards()

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- what the others hand the leader --------------------------------------------------

    async def _send_card_requests(self, purchase_ids: list[int]) -> None:
        # Kept, then the leader is woken: the card shows the change with its next edit at worst.
        await self._cards.ask(purchase_ids, self._rt.clock(), CARDS_CHANNEL)

    async def _send_plan_requests(self, purchase_ids: list[int]) -> None:
        # A notification only: the leader's sweep re-plans from the database anyway.
        await self.lanes.notify(PLANS_CHANNEL, ",".join(map(str, purchase_ids)))

    async def _edit_requested_cards(self) -> None:
        if self.leading:
            for purchase_id in await self._cards.take_all():
                self._rt.cards.request(purchase_id)

    def _plans_heard(self, payload: str) -> None:
        if self.leading:
            for purchase_id in payload.split(","):
                with contextlib.suppress(ValueError):
                    self._rt.timeline.plan(int(purchase_id))

    def _tell_language(self, user_id: int, language: str | None) -> None:
        self._spawn(self.lanes.notify(LANGUAGES_CHANNEL, f"{user_id}:{language or ''}"))

    def _language_heard(self, payload: str) -> None:
        user, _, language = payload.partition(":")
        with contextlib.suppress(ValueError):
            if language:
                self._rt.chosen_languages[int(user)] = language
            else:
                self._rt.chosen_languages.pop(int(user), None)

    def _tell_membership(self, chat_id: int, user_id: int, is_in: bool) -> None:
        self._spawn(self.lanes.notify(MEMBERS_CHANNEL, f"{chat_id}:{user_id}:{int(is_in)}"))

    def _membership_heard(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            chat_id, user_id, is_in = (int(part) for part in payload.split(":"))
            self._rt.members.note(chat_id, user_id, bool(is_in))

    async def stop(self) -> None:
        """After the lanes and the leader's work stopped: let the locks and connections go."""
        await self.leadership.stop()
        if self._tasks:  # requests still being handed on go out
            await asyncio.wait(set(self._tasks), timeout=1.0)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        LEADER.set(0)
        await self.pace.close()
        await self.lanes.close()
