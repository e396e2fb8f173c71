"""Updates to the bot: queued, taken by getUpdates or posted to a webhook as Telegram posts them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.api_params import ApiError, Params, bad_request
from sandbox.emulator_state import EmulatorState

UPDATE_TYPES = (
    "message", "edited_message", "callback_query", "my_chat_member", "chat_member",
    "pre_checkout_query",
)  # fmt: skip
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def sender_of(update: dict[str, Any]) -> int:
    """Whose update it is (its sender, else its chat): the webhook delivers each one's in turn."""
    for kind in UPDATE_TYPES:
        body = update.get(kind)
        if isinstance(body, dict):
            sender = body.get("from") or body.get("chat") or {}
            return int(sender.get("id", 0))
    return 0


class UpdateDelivery(EmulatorState):
    """getUpdates, the webhook's methods, and the updates the driver pushes."""

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self.sent_updates[update_id] = update
        self._pending_updates.append(update)
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again with the same id, as Telegram does after a crash."""
        self._pending_updates.append(self.sent_updates[update_id])
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        asyncio.get_running_loop().create_task(self._notify())

    def _deliverable(self) -> list[dict[str, Any]]:
        if not self._allowed_updates:
            return list(self._pending_updates)
        allowed = set(self._allowed_updates)
        self._pending_updates = [
            u for u in self._pending_updates if allowed & (u.keys() - {"update_id"})
        ]
        return list(self._pending_updates)

    async def api_getupdates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0)
        limit = min(max(params.int("limit", 100), 1), 100)
        timeout = max(params.int("timeout", 0), 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = [kind for kind in allowed if kind in UPDATE_TYPES]
        if offset:
            # Updates are forgotten only once the bot confirms them with a higher offset.
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        # As Telegram: a getUpdates while another one waits ends the waiting one with 409
        # (two processes polling with one token take turns failing).
        self._polls += 1
        this_poll = self._polls
        await self._notify()
        if not self._deliverable() and timeout:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(
                    lambda: self._deliverable() or self._polls != this_poll, timeout
                )
        if self._polls != this_poll:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable()[:limit]

    async def api_setwebhook(self, params: Params) -> bool:
        url = params.get("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
                # The sandbox only ever talks to this machine.
                raise bad_request("bad webhook: the sandbox delivers to 127.0.0.1 only")
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token")
        self.webhook_max_connections = min(max(params.int("max_connections", 40), 1), 100)
        if params.bool("drop_pending_updates"):
            self._pending_updates.clear()
        # One deliverer at a time, as Telegram sends one update after another: a task still
        # running (retrying a bot that died) goes on, to the new address.
        running = self._webhook_task is not None and not self._webhook_task.done()
        if url and self._pending_updates and not running:
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    async def api_deletewebhook(self, params: Params) -> bool:
        self.webhook_url = ""
        if params.bool("drop_pending_updates"):
            self._pending_updates.clear()
        return True

    async def api_getwebhookinfo(self, params: Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }

    async def _deliver_webhook(self) -> None:
        """Post pending updates to the webhook as Telegram does: up to `max_connections` at
        once, each person's one after another (the next waits for the answer to the last),
        and again after a pause until the bot answers 2xx."""
        in_flight: dict[int, asyncio.Task[None]] = {}
        connector = aiohttp.TCPConnector(limit=self.webhook_max_connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while self.webhook_url and (self._pending_updates or in_flight):
                    self._post_next_updates(session, in_flight)
                    if not in_flight:
                        await asyncio.sleep(0.05)
                        continue
                    await asyncio.wait(set(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
                    for update_id in [i for i, task in in_flight.items() if task.done()]:
                        del in_flight[update_id]
            finally:
                for task in in_flight.values():
                    task.cancel()

    def _post_next_updates(
        self, session: aiohttp.ClientSession, in_flight: dict[int, asyncio.Task[None]]
    ) -> None:
        busy = {sender_of(self.sent_updates[update_id]) for update_id in in_flight}
        room = self.webhook_max_connections - len(in_flight)
        for update in list(self._pending_updates):
            who = sender_of(update)
            if room <= 0:
                break
            if update["update_id"] in in_flight or who in busy:
                continue
            busy.add(who)
            room -= 1
            in_flight[update["update_id"]] = asyncio.create_task(self._post_update(session, update))

    async def _post_update(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
        try:
            async with session.post(self.webhook_url, json=update, headers=headers) as response:
                delivered = 200 <= response.status < 300
        except aiohttp.ClientError:
            delivered = False
        if delivered:
            if update in self._pending_updates:  # setWebhook may have dropped it
                self._pending_updates.remove(update)
            await self._notify()
        else:
            await asyncio.sleep(0.2)  # the person's next update waits behind this one
