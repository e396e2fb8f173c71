"""The driver's people paying an invoice in Telegram: the pre-checkout query, then the payment."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from typing import Any

from sandbox.model import (
    PendingCheckout,
    SandboxMessage,
    SandboxUser,
)
from sandbox.payment_methods import CHECKOUT_TIMEOUT
from sandbox.people import People


class Paying(People):
    """Pay taps on invoices, the bot's answer awaited, and the provider's payment delivered."""

    def checkout(
        self,
        user: SandboxUser,
        invoice: SandboxMessage | None = None,
        *,
        payload: str | None = None,
        currency: str | None = None,
        total_amount: int | None = None,
    ) -> PendingCheckout:
        """`user` taps Pay on `invoice` (or, with the keywords, on an invoice as Telegram
        would show one that says so): Telegram asks the bot with a pre-checkout query."""
        if invoice is not None:
            current = self.emulator.messages[(invoice.chat_id, invoice.message_id)]
            if current.invoice is None or current.invoice_payload is None:
                raise ValueError("that message is no invoice")
            payload = current.invoice_payload if payload is None else payload
            currency = current.invoice["currency"] if currency is None else currency
            total_amount = current.invoice["total_amount"] if total_amount is None else total_amount
        if payload is None or currency is None or total_amount is None:
            raise ValueError("an invoice, or its payload, currency and total amount")
        pending = PendingCheckout(
            str(next(self._callback_ids)), user.id, payload, currency, total_amount
        )
        pending.asked_at = time.perf_counter()
        self.emulator.checkouts[pending.id] = pending
        self.emulator.push_update(
            "pre_checkout_query",
            {
                "id": pending.id,
                "from": user.to_api(),
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
            },
        )
        return pending

    async def pay(
        self, user: SandboxUser, invoice: SandboxMessage, **changed: Any
    ) -> PendingCheckout:
        """Pay on `invoice`: the pre-checkout query, and when the bot answers ok within
        Telegram's 10 seconds, the payment as a service message in `user`'s chat."""
        pending = await self.checked(self.checkout(user, invoice, **changed))
        if pending.ok:
            self.paid(user, pending)
            self.emulator.messages[(invoice.chat_id, invoice.message_id)].invoice_paid = True
        return pending

    async def checked(self, pending: PendingCheckout) -> PendingCheckout:
        """The checkout once the bot answered it, or Telegram's 10 seconds passed (then its
        `ok` is still None: Telegram tells the person the bot did not answer)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pending.answered.wait(), CHECKOUT_TIMEOUT)
        return pending

    def paid(self, user: SandboxUser, pending: PendingCheckout) -> SandboxMessage:
        """The provider charged `user`: Telegram's service message with the payment, whose
        charge ids are new for every payment (`redeliver` sends the same update again)."""
        message = self.emulator._new_message(self.emulator.chats[user.id], user.id)
        message.successful_payment = {
            "currency": pending.currency,
            "total_amount": pending.total_amount,
            "invoice_payload": pending.payload,
            "telegram_payment_charge_id": f"tg_{secrets.token_hex(12)}",
            "provider_payment_charge_id": f"ch_{secrets.token_hex(12)}",
        }
        pending.payment = message
        pending.payment_update_id = self.emulator.push_update(
            "message", self.emulator.message_to_api(message)
        )
        return message
