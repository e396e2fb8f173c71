"""Updates from different people run side by side; one person's updates stay in order.

python-telegram-bot's default handles one update at a time, so a rush of taps would queue
behind each other; its plain concurrent mode could reorder one person's messages mid-wizard.

An update waits for its person's turn before it takes one of the slots (so one person's
backlog never holds the slots others need), and a person may have MAX_WAITING updates waiting
at most: beyond that, an update is turned away (`turn_away`: a press is answered saying it
was not taken, and the person gets one note to slow down) and recorded as handled, so that no
restart applies it later. An album counts as one; money and Telegram's news are never turned
away (`EXEMPT_UPDATES`, `EXEMPT_MESSAGES`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from runtime.metrics import UPDATES_REFUSED

if TYPE_CHECKING:
    from runtime.inbox import Inbox

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 256
UNBOUNDED = 1 << 30  # the base class's slots: see do_process_update
# What one person may have waiting (the one being handled counted): far more than a person
# tapping fast sends in the seconds one answer takes, far less than a script's flood.
MAX_WAITING = 20

# Never turned away: a payment Telegram took (it must be recorded), the checkout's question
# (answered within seconds, or the payment fails), and Telegram's news of who is in a chat.
EXEMPT_UPDATES = ("pre_checkout_query", "shipping_query", "chat_member", "my_chat_member")
EXEMPT_MESSAGES = ("successful_payment", "refunded_payment", "new_chat_members", "left_chat_member")
# Presses told "not taken" at once, at most; beyond that a flood's presses are only recorded.
TELLING_AT_ONCE = 4
TELLING_QUEUED = 50

# Told of an update turned away, and whether it is the first of this flood (the note).
TurnAway = Callable[[Update, bool], Awaitable[None]]


def unit_of(update: object) -> str | None:
    """What an update counts as toward its person's cap: itself, its album (one for all its
    photos), or nothing (an update never turned away)."""
    if not isinstance(update, Update):
        return None
    message = update.message
    if any(getattr(update, name, None) for name in EXEMPT_UPDATES) or (
        message is not None and any(getattr(message, name, None) for name in EXEMPT_MESSAGES)
    ):
        return None
    album = message.media_group_id if message is not None else None
    return f"album {album}" if album else f"update {update.update_id}"


def payload_unit(payload: Mapping[str, Any]) -> str | None:
    """`unit_of` for an update as the inbox keeps it (Bot API JSON)."""
    message = payload.get("message") or {}
    if any(payload.get(name) for name in EXEMPT_UPDATES) or any(
        message.get(name) for name in EXEMPT_MESSAGES
    ):
        return None
    album = message.get("media_group_id")
    return f"album {album}" if album else f"update {payload.get('update_id')}"


def beyond_cap(payloads: Sequence[Mapping[str, Any]]) -> list[bool]:
    """For one person's waiting updates, oldest first: which are beyond the cap."""
    counted: set[str] = set()
    beyond = []
    for payload in payloads:
        unit = payload_unit(payload)
        if unit is not None and unit not in counted and len(counted) >= MAX_WAITING:
            beyond.append(True)
            continue
        if unit is not None:
            counted.add(unit)
        beyond.append(False)
    return beyond


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._units: dict[int, Counter[str]] = {}  # person → what counts toward the cap
        self._telling = asyncio.Semaphore(TELLING_AT_ONCE)
        self._queued_tellings = 0
        # Set once the database is open: skips a second delivery, records what was handled.
        self.inbox: Inbox | None = None
        self.turn_away: TurnAway | None = None
        self._told: set[int] = set()  # people told to slow down, until their backlog drains

    @staticmethod
    def _key(update: object) -> int:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The person's turn first, then a slot: waiting holds no slot. (The base class's own
        slots are taken before this runs, so they are made too many to ever run out: a few
        hundred updates of one person filled every one of them.)"""
        inbox = self.inbox
        if inbox is not None and not inbox.begin(update):
            _close(coroutine)  # the same update, delivered again: handled once already
            return
        key, unit = self._key(update), unit_of(update)
        units = self._units.setdefault(key, Counter())
        if key and unit is not None and unit not in units and len(units) >= MAX_WAITING:
            _close(coroutine)
            await self._turn_away(key, update)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        if unit is not None:
            units[unit] += 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            if inbox is not None:
                inbox.handled(update)
            if unit is not None:
                units[unit] -= 1
                if not units[unit]:
                    del units[unit]
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Forget idle people so the table does not grow with every user ever seen.
                del self._waiting[key]
                del self._locks[key]
                self._units.pop(key, None)
                self._told.discard(key)

    async def _turn_away(self, key: int, update: object) -> None:
        UPDATES_REFUSED.inc()
        first = key not in self._told
        self._told.add(key)
        if self.inbox is not None:
            self.inbox.handled(update)
        if self.turn_away is None or not isinstance(update, Update):
            return
        if not first and update.callback_query is None:
            return  # nothing to tell: the note went with the first
        if self._queued_tellings >= TELLING_QUEUED and not first:
            return  # a flood's presses: their answers would crowd out everyone else's
        self._queued_tellings += 1
        try:
            async with self._telling:
                await self.turn_away(update, first)
        except Exception:  # telling them is a courtesy: the update is not taken either way
            log.exception("could not tell a person their update was not taken")
        finally:
            self._queued_tellings -= 1

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _close(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()
