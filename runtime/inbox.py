"""The durable inbox: every update is written to the database before Telegram is told that it
arrived, and handled from there.

Telegram delivers at least once: it forgets an update when the bot confirms it — with the offset
of the next getUpdates, or by answering the webhook's request. python-telegram-bot confirms
before it handles what it fetched, so a crash used to lose whatever was fetched and not yet
handled. Now `InboxBot.get_updates` (polling) and the webhook server (bot/webhook.py) keep
every update here first; an update is done when its handler's unit of work claimed it (the
processed-update claim, in the same transaction as its change) or once its handler returned;
at start-up the ones left are handled first, in the order they came. A tap whose change was
committed is never counted twice: its claim is there, so it is not handled again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cachetools import LRUCache
from telegram import Update
from telegram.ext import ExtBot

from runtime.background import BackgroundLoop
from runtime.metrics import UPDATES_HANDLED
from storage.inbox import SqliteInboxWriter
from storage.unit_of_work import Database
from texts.callback_data import Action, decode

log = logging.getLogger(__name__)

# Updates a start-up hands back to the handlers, oldest first, at most.
REPLAYED_AT_START = 10_000
# Update ids this process has begun handling, so a second delivery of one (Telegram's, after
# a crash, of an update the inbox handed back already) is not handled twice. A second delivery
# comes within minutes of the first, well inside the last 100,000 updates (the oldest go).
REMEMBERED_UPDATES = 100_000
RETRY_SECONDS = 1.0


# What a +1 on a card needs of the card's message: where it is, and whose it is (the bot's own
# card, not a forwarded copy: `check_card`). Telegram sends the whole card (its text, entities
# and keyboard) with every press, and parsing that was about a tenth of a tap's cost in a rush.
TAP_MESSAGE_FIELDS = frozenset(
    {"message_id", "date", "chat", "message_thread_id", "from", "forward_origin"}
)
# Kept instead of the keyboard: whether the button pressed is one of the message's own (a
# modified client can send any callback data from any message; Telegram sets the message).
PRESSED_ON_IT = "groupbuy_pressed_on_it"


def lighten(update: dict[str, Any]) -> dict[str, Any]:
    """Drop, in place, the card a +1 press carries (nothing handling a +1 reads it), noting
    whether the data pressed is on its keyboard."""
    query = update.get("callback_query")
    if not isinstance(query, dict) or not isinstance(query.get("message"), dict):
        return update
    data = query.get("data")
    pressed = decode(data) if isinstance(data, str) else None
    if pressed is not None and pressed.action is Action.JOIN:
        message = query["message"]
        query["message"] = {k: v for k, v in message.items() if k in TAP_MESSAGE_FIELDS}
        query["message"][PRESSED_ON_IT] = data in _callback_data(message.get("reply_markup"))
    return update


def _callback_data(markup: object) -> set[object]:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        return set()
    return {b.get("callback_data") for row in rows if isinstance(row, list)
            for b in row if isinstance(b, dict)}  # fmt: skip


class Inbox(BackgroundLoop):
    """Keeps updates before they are confirmed; records them handled, in batches."""

    name = "inbox"
    # Recording updates handled is bookkeeping (a handler that changed something claimed its
    # update already): a write a second, not one after every batch of taps, which would take
    # SQLite's write turn from them.
    rest_after_work = 1.0

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._database = database
        self._clock = clock
        # Group commit: updates arriving while the last batch is written go in the next one.
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._handled: list[int] = []
        self._started: LRUCache[int, None] = LRUCache(REMEMBERED_UPDATES)
        # Updates whose handler claimed them in its own transaction: done without a mark. A
        # claim is taken as its handler returns; those made outside the handlers never are, and
        # the oldest go first (the worst is a mark more).
        self._claimed: LRUCache[int, None] = LRUCache(REMEMBERED_UPDATES)
        database.on_claimed = self._note_claimed
        self._sqlite = SqliteInboxWriter(database.url) if database.is_sqlite else None

    def keep(self, updates: Sequence[dict[str, Any]]) -> asyncio.Future[list[None]]:
        """Write these updates (as Telegram sent them) to the database; the future is done
        once they are there (those kept before are left as they are)."""
        loop = asyncio.get_running_loop()
        futures = []
        for update in updates:
            future: asyncio.Future[None] = loop.create_future()
            self._waiting.append((update, future))
            futures.append(future)
        if self._waiting and (self._writer is None or self._writer.done()):
            self._writer = loop.create_task(self._write())
        return asyncio.gather(*futures)

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            kept = ((int(update["update_id"]), update) for update, _ in batch)
            try:
                if self._sqlite is not None:
                    assert self._database.write_turn is not None
                    async with self._database.write_turn.urgent():
                        await self._sqlite.store(kept, self._clock())
                else:
                    async with self._database.unit_of_work() as uow:
                        await uow.inbox.store(kept, self._clock())
                        await uow.commit()
            except Exception as error:  # every waiter hears of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def written(self) -> None:
        """Return once every update handed to `keep` so far is in the database."""
        writer = self._writer
        if writer is not None and not writer.done():
            await asyncio.shield(writer)

    def begin(self, update: object) -> bool:
        """Whether to handle this update now: not when this process began it already."""
        if not isinstance(update, Update):
            return True
        if update.update_id in self._started:
            return False
        self._started[update.update_id] = None
        return True

    def _note_claimed(self, update_ids: list[int]) -> None:
        self._claimed.update(dict.fromkeys(update_ids))

    def take_claim(self, update_id: int) -> bool:
        """Whether the update's handler claimed it in its unit of work (forgetting it here)."""
        if update_id in self._claimed:
            del self._claimed[update_id]
            return True
        return False

    def handled(self, update: object) -> None:
        """The handler returned: the update is done. Most handlers claimed it in the
        transaction of their change, which marks it done already (a tap in a rush costs no
        second write); the others' are written with the next batch."""
        UPDATES_HANDLED.inc()
        if isinstance(update, Update) and not self.take_claim(update.update_id):
            self._handled.append(update.update_id)

    async def run_once(self) -> int:
        if not self._handled:
            return 0
        # An update is handled only after its batch was handed to `keep`: once that write is
        # through, every row these ids name exists.
        await self.written()
        done, self._handled = self._handled, []
        try:
            async with self._database.unit_of_work() as uow:
                await uow.inbox.mark_handled(done, self._clock())
                await uow.commit()
        except Exception:
            self._handled[:0] = done  # the next round writes them
            raise
        return len(done)

    async def stop(self) -> None:
        await super().stop()
        if self._handled:  # what the last round did not write
            await self.run_once()
        if self._sqlite is not None:
            await self._sqlite.close()

    async def left_over(self, bot: ExtBot[Any]) -> list[Update]:
        """The updates a previous run kept but did not finish, oldest first."""
        async with self._database.unit_of_work() as uow:
            pending = await uow.inbox.pending(REPLAYED_AT_START)
        updates = []
        for update_id, payload in pending:
            try:
                updates.append(Update.de_json(payload, bot))
            except Exception:  # an update we cannot read is logged, not retried forever
                log.exception("update %s in the inbox cannot be read; skipped", update_id)
        return updates


class InboxBot(ExtBot[Any]):
    """The bot, whose getUpdates keeps what it fetched in the inbox. Telegram forgets updates
    when the next getUpdates confirms them with its offset, so that next call waits until the
    updates before it are written: they are handled meanwhile, the long poll waits."""

    inbox: Inbox | None = None
    # Whether a getUpdates has succeeded: a 409 before that means another process polls.
    has_polled = False
    # The last batch fetched, and its write: the next getUpdates confirms it.
    _unconfirmed: list[dict[str, Any]] = []  # noqa: RUF012 - replaced, never changed in place
    _writing: asyncio.Future[list[None]] | None = None

    def use_inbox(self, inbox: Inbox) -> None:
        self._set(inbox=inbox)

    def _set(self, **values: object) -> None:
        with self._unfrozen():  # python-telegram-bot freezes its objects after __init__
            for name, value in values.items():
                setattr(self, name, value)

    async def _post(self, endpoint: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        inbox = self.inbox
        if endpoint != "getUpdates" or inbox is None:
            return await super()._post(endpoint, data, **kwargs)
        while self._writing is not None:
            try:
                # Shielded: when polling stops, the call waiting here is cancelled, and the
                # write must not be; the clean-up getUpdates that follows waits for it too.
                await asyncio.shield(self._writing)
                self._set(_writing=None, _unconfirmed=[])
            except Exception:  # the database is away: confirm nothing until they are kept
                log.exception("updates could not be kept in the inbox; trying again")
                await asyncio.sleep(RETRY_SECONDS)
                self._set(_writing=inbox.keep(self._unconfirmed))
        result = await super()._post(endpoint, data, **kwargs)
        if not self.has_polled:
            self._set(has_polled=True)
        if result:
            for update in result:
                lighten(update)
            self._set(_unconfirmed=list(result), _writing=inbox.keep(result))
        return result
