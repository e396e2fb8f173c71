"""The Bot API's payment methods: invoices and the answer to a pre-checkout query."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sandbox.api_params import Params, bad_request
from sandbox.emulator_state import EmulatorState

# How long Telegram waits for the bot's answer to a pre-checkout query before it gives up.
CHECKOUT_TIMEOUT = 10.0


class PaymentMethods(EmulatorState):
    """sendInvoice, answerPreCheckoutQuery, and the provider accounts invoices may use."""

    async def api_sendinvoice(self, params: Params) -> dict[str, Any]:
        """An invoice message, checked as Telegram checks one: the limits of its texts and
        payload, a known provider token, a currency and prices that add up to more than 0."""
        chat = self._chat(params)
        title = str(params.required("title"))
        description = str(params.required("description"))
        payload = str(params.required("payload"))
        currency = str(params.required("currency"))
        if not 1 <= len(title) <= 32:
            raise bad_request("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise bad_request("INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise bad_request("INVOICE_PAYLOAD_INVALID")
        if str(params.get("provider_token") or "") not in self.provider_tokens:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise bad_request("CURRENCY_INVALID")
        prices = params.required("prices")
        if not isinstance(prices, list) or not prices:
            raise bad_request("can't parse prices JSON object")
        total = 0
        for price in prices:
            amount = price.get("amount") if isinstance(price, dict) else None
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise bad_request("can't parse prices JSON object")
            if not str(price.get("label", "")).strip():
                raise bad_request("label is empty")
            total += amount
        if total <= 0:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        markup = self._markup(params, chat)
        self._ensure_can_post(chat)
        self._check_flood(chat)
        message = self._new_message(chat, self.bot.id, reply_markup=markup)
        message.invoice = {
            "title": title,
            "description": description,
            "start_parameter": str(params.get("start_parameter") or ""),
            "currency": currency,
            "total_amount": total,
        }
        message.invoice_payload = payload
        return self.message_to_api(message)

    def connect_provider(self) -> str:
        """Another provider account connected in @BotFather → Payments (a head's own): the
        token Telegram gives for it, which invoices may use from now on."""
        token = f"{secrets.randbelow(10**9)}:TEST:{secrets.token_urlsafe(12)}"
        self.provider_tokens.add(token)
        return token

    async def api_answerprecheckoutquery(self, params: Params) -> bool:
        pending = self.checkouts.get(str(params.required("pre_checkout_query_id")))
        if (
            pending is None
            or pending.ok is not None
            or time.perf_counter() - pending.asked_at > CHECKOUT_TIMEOUT
        ):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        ok = params.bool("ok")
        error = params.get("error_message")
        if not ok and not str(error or "").strip():
            raise bad_request("ERROR_MESSAGE_EMPTY")
        pending.ok, pending.error_message = ok, None if ok else str(error)
        pending.answered_at = time.perf_counter()
        pending.answered.set()
        return True
