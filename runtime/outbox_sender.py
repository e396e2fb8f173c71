"""Drains the outbox: sends due messages within Telegram's limits, and records the outcome.

The rate limiter paces sends (30/s overall, per private chat, per group) and retries a 429;
here a network error or 5xx is retried with backoff, a user who blocked the bot or never
started it is recorded and not retried, and after MAX_ATTEMPTS the message is given up with
the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from runtime.background import BackgroundLoop
from storage.outbox import OutboxMessage
from storage.unit_of_work import Database
from texts.pickup_qr import qr_png

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Long enough for a batch to go out at the rate limits, short enough that the rows of a
# crashed sender are sent again soon.
LEASE = timedelta(seconds=20)
BATCH = 20
BATCHES_IN_FLIGHT = 2


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 2**attempts))


class OutboxSender(BackgroundLoop):
    name = "outbox sender"
    stop_timeout = 30.0  # the batch in flight goes out at the rate limits

    def __init__(self, database: Database, bot: Bot, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._database = database
        self._bot = bot
        self._clock = clock
        # Batches claimed and going out: the next one is claimed and prepared while the last
        # waits for its send slots, so no slot goes unused between two batches.
        self._batches: set[asyncio.Task[None]] = set()
        self._drawer: ProcessPoolExecutor | None = None

    async def _draw(self, link: str) -> bytes:
        """A pickup QR code's PNG, drawn in a process of its own: about 11 ms of pure Python
        each, which in the event loop (or a thread, holding the GIL) left the send slots of a
        broadcast of pickup notices a sixth unused."""
        if self._drawer is None:
            self._drawer = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return await asyncio.get_running_loop().run_in_executor(self._drawer, qr_png, link)

    async def _send(self, message: OutboxMessage) -> None:
        payload: dict[str, Any] = message.payload
        if "unpin" in payload:
            await self._bot.unpin_chat_message(message.chat_id, int(payload["unpin"]))
            return
        raw = payload.get("reply_markup")
        markup = InlineKeyboardMarkup.de_json(raw, self._bot) if raw else None
        if "qr" in payload:  # drawn here, so the outbox keeps a link, not an image
            image = await self._draw(str(payload["qr"]))
            await self._bot.send_photo(
                message.chat_id, image, caption=payload.get("caption"),
                parse_mode=payload.get("parse_mode"), reply_markup=markup,
            )  # fmt: skip
            return
        if "photo" in payload:  # a photo Telegram keeps (a receipt), sent again by its file id
            await self._bot.send_photo(
                message.chat_id, str(payload["photo"]), caption=payload.get("caption"),
                parse_mode=payload.get("parse_mode"), reply_markup=markup,
            )  # fmt: skip
            return
        if "edit" in payload:  # a message sent earlier, redrawn (an order editor at the stop)
            try:
                await self._bot.edit_message_text(
                    payload["text"], chat_id=message.chat_id, message_id=int(payload["edit"]),
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                )  # fmt: skip
            except BadRequest as error:
                if "not modified" not in error.message:  # else it shows this already
                    raise
            return
        await self._bot.send_message(
            message.chat_id,
            payload["text"],
            parse_mode=payload.get("parse_mode"),
            reply_markup=markup,
        )

    async def _deliver(self, message: OutboxMessage) -> tuple[str, str, timedelta]:
        """("sent" | "retry" | "give up" | "blocked", reason, delay before a retry)."""
        try:
            await self._send(message)
        except Forbidden as error:
            return "blocked", error.message, timedelta(0)
        except RetryAfter as error:
            delay = error.retry_after
            wait = delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
            return "retry", f"429: {error.message}", wait
        except BadRequest as error:
            return "give up", error.message, timedelta(0)
        except (NetworkError, TelegramError) as error:
            return "retry", error.message, backoff(message.attempts)
        except Exception as error:  # a fault of ours: keep the row, try again later
            log.exception("sending %s failed", message.key)
            return "retry", repr(error), backoff(message.attempts)
        return "sent", "", timedelta(0)

    async def run_once(self) -> int:
        """Claim one batch and start sending it, with at most one other batch still going
        out; returns how many messages it claimed."""
        while len(self._batches) >= BATCHES_IN_FLIGHT:
            await asyncio.wait(set(self._batches), return_when=asyncio.FIRST_COMPLETED)
        async with self._database.unit_of_work() as uow:
            batch = await uow.outbox.claim_due(self._clock(), BATCH, LEASE)
            await uow.commit()
        if batch:
            sending = asyncio.get_running_loop().create_task(self._send_batch(batch))
            self._batches.add(sending)
            sending.add_done_callback(self._batches.discard)
        elif self._batches:  # nothing new: let the last batch finish before idling
            await asyncio.wait(set(self._batches))
        return len(batch)

    async def _send_batch(self, batch: list[OutboxMessage]) -> None:
        results = await asyncio.gather(
            *(self._deliver_and_record(message) for message in batch), return_exceptions=True
        )
        for message, result in zip(batch, results, strict=True):
            if isinstance(result, Exception):  # not recorded: sent again once its lease ends
                log.error("recording message %s failed", message.key, exc_info=result)

    async def stop(self) -> None:
        await super().stop()
        if self._batches:  # what was claimed goes out (within the rate limits) and is recorded
            await asyncio.wait(set(self._batches), timeout=self.stop_timeout)
        if self._drawer is not None:
            self._drawer.shutdown(wait=False, cancel_futures=True)

    async def _deliver_and_record(self, message: OutboxMessage) -> None:
        # Recorded as soon as Telegram answers, not once the whole batch is through: a crash
        # then repeats only the messages whose answer was not yet written down.
        attempted_at = self._clock()
        outcome, reason, delay = await self._deliver(message)
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            if outcome == "sent":
                await uow.outbox.mark_sent(message.id, now)
            elif outcome == "blocked":
                await uow.outbox.give_up(message.id, reason)
                if message.chat_id > 0:
                    await uow.telegram.mark_blocked(message.chat_id, attempted_at, now)
                    if message.purchase_id is not None:
                        await uow.telegram.note_unreachable(
                            message.purchase_id, message.chat_id, now
                        )
            elif outcome == "retry" and message.attempts < MAX_ATTEMPTS:
                await uow.outbox.reschedule(message.id, now + delay, reason)
            else:
                log.warning("gave up message %s: %s", message.key, reason)
                await uow.outbox.give_up(message.id, reason)
            await uow.commit()


async def stop_task(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
