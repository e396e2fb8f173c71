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
from collections.abc import Callable
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

    async def _send(self, message: OutboxMessage) -> None:
        payload: dict[str, Any] = message.payload
        if "unpin" in payload:
            await self._bot.unpin_chat_message(message.chat_id, int(payload["unpin"]))
            return
        if "qr" in payload:  # drawn here, so the outbox keeps a link, not an image
            await self._bot.send_photo(
                message.chat_id,
                qr_png(str(payload["qr"])),
                caption=payload.get("caption"),
                parse_mode=payload.get("parse_mode"),
            )
            return
        markup = payload.get("reply_markup")
        await self._bot.send_message(
            message.chat_id,
            payload["text"],
            parse_mode=payload.get("parse_mode"),
            reply_markup=InlineKeyboardMarkup.de_json(markup, self._bot) if markup else None,
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
        """Claim and send one batch; returns how many messages it handled."""
        async with self._database.unit_of_work() as uow:
            batch = await uow.outbox.claim_due(self._clock(), BATCH, LEASE)
            await uow.commit()
        await asyncio.gather(*(self._deliver_and_record(message) for message in batch))
        return len(batch)

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
