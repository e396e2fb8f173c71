"""The notices of money and of members leaving after the stop: a request to withdraw and the
head's answer, "I paid" and its answer, refunds, reminders to pay, and every change that
moves members' amounts.
"""

from __future__ import annotations

from html import escape

from domain.events import (
    AmountsChanged,
    PaidInTelegram,
    PaymentClaimed,
    PaymentConfirmed,
    PaymentRejected,
    RefundRecorded,
    UnpaidReminded,
    WithdrawalDeclined,
    WithdrawalRequested,
)
from runtime.event_notices import EventNotices, impact_from, reacts_to
from storage.event_log import LoggedEvent
from storage.outbox import Urgency
from texts import notices
from texts.callback_data import Action, encode


class MoneyNotices(EventNotices):
    @reacts_to(WithdrawalRequested)
    async def on_withdrawal_requested(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        member = int(event.payload["member_id"])
        t = self.t(purchase.head_id)
        text = t.gettext(
            "{name} asks to be withdrawn from <b>{title}</b> after the stop. Their order: {order}"
        ).format(
            name=escape(self._name(member)),
            title=escape(purchase.title),
            # What they get, not what they asked: units short of a pack or a row are not theirs.
            order=notices.lines_text(t, purchase, purchase.final_lines().get(member, {}), member)
            or t.gettext("nothing"),
        )
        number = int(event.payload["number"])
        markup = {
            "inline_keyboard": [
                [
                    {
                        "text": t.gettext("Accept"),
                        "callback_data": encode(
                            Action.WITHDRAWAL_ACCEPT, purchase.id, member, number
                        ),
                    },
                    {
                        "text": t.gettext("Decline"),
                        "callback_data": encode(
                            Action.WITHDRAWAL_DECLINE, purchase.id, member, number
                        ),
                    },
                ]
            ]
        }
        await self.send(f"withdrawal-request:{event.id}", purchase.head_id, text, markup)

    @reacts_to(WithdrawalDeclined)
    async def on_withdrawal_declined(self, event: LoggedEvent) -> None:
        member = int(event.payload["member_id"])
        text = (
            self.t(member)
            .gettext(
                "The head declined your request to withdraw from <b>{title}</b>; "
                "your order stays as it is."
            )
            .format(title=escape(self.purchase.title))
        )
        await self.send(f"declined:{event.id}", member, text)

    @reacts_to(PaymentClaimed)
    async def on_payment_claimed(self, event: LoggedEvent) -> None:
        if event.payload.get("with_receipt"):
            return  # the receipt photo reached the head with the buttons
        purchase, member = self.purchase, int(event.payload["member_id"])
        number = int(event.payload["claim"])
        claim = next((c for c in purchase.claims if c.number == number), None)
        if claim is None:
            return
        amount = claim.amount if claim.amount is not None else self.account(member).to_pay
        notice = notices.payment_claimed(
            self.t(purchase.head_id), purchase, member, self._name(member), amount, number
        )
        await self.send(
            f"payment-claimed:{event.id}", purchase.head_id, notice["text"], notice["reply_markup"]
        )

    @reacts_to(PaymentConfirmed)
    async def on_payment_confirmed(self, event: LoggedEvent) -> None:
        member, number = int(event.payload["member_id"]), int(event.payload["entry"])
        entry = next((e for e in self.purchase.ledger if e.number == number), None)
        if entry is None:
            return
        text = notices.payment_confirmed(
            self.t(member), self.purchase, entry.amount, self.account(member), entry.recorded_by
        )
        await self.send(f"payment-confirmed:{event.id}", member, text, urgency=Urgency.URGENT)

    @reacts_to(PaidInTelegram)
    async def on_paid_in_telegram(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        member, number = int(event.payload["member_id"]), int(event.payload["entry"])
        entry = next((e for e in purchase.ledger if e.number == number), None)
        if entry is None:
            return
        account = self.account(member)
        text = notices.paid_in_telegram(self.t(member), purchase, entry.amount, account)
        await self.send(f"paid-in-telegram:{event.id}", member, text, urgency=Urgency.URGENT)
        self.paid_in_telegram.append((event.id, member, entry.amount))

    async def finish(self) -> None:
        """The head hears of the payments made in Telegram this round in one message: a rush
        of members paying after the stop is not a rush of notices in the head's chat."""
        await super().finish()
        paid, self.paid_in_telegram = self.paid_in_telegram, []
        if not paid:
            return
        purchase, t = self.purchase, self.t(self.purchase.head_id)
        key = f"paid-in-telegram:{paid[0][0]}-{paid[-1][0]}:head"
        if len(paid) == 1:
            _event, member, amount = paid[0]
            text = notices.paid_in_telegram_to_head(
                t, purchase, member, self._name(member), amount, self.account(member)
            )
        else:
            text = notices.paid_in_telegram_together(
                t, purchase, [(self._name(member), amount) for _event, member, amount in paid]
            )
        await self.send(key, purchase.head_id, text)

    @reacts_to(PaymentRejected)
    async def on_payment_rejected(self, event: LoggedEvent) -> None:
        member, number = int(event.payload["member_id"]), int(event.payload["claim"])
        claim = next((c for c in self.purchase.claims if c.number == number), None)
        amount = claim.amount if claim is not None else None
        text = notices.payment_rejected(self.t(member), self.purchase, amount)
        await self.send(f"payment-rejected:{event.id}", member, text, urgency=Urgency.URGENT)

    @reacts_to(RefundRecorded)
    async def on_refund_recorded(self, event: LoggedEvent) -> None:
        member, number = int(event.payload["member_id"]), int(event.payload["entry"])
        entry = next((e for e in self.purchase.ledger if e.number == number), None)
        if entry is None:
            return
        text = notices.refund_recorded(
            self.t(member), self.purchase, entry.amount, self.account(member), entry.recorded_by
        )
        await self.send(f"refund:{event.id}", member, text)

    @reacts_to(UnpaidReminded)
    async def on_unpaid_reminded(self, event: LoggedEvent) -> None:
        for member in (int(m) for m in event.payload["member_ids"]):
            account = self.account(member)
            if account.to_pay.minor:
                t = self.t(member)
                text = notices.unpaid_reminder(t, self.purchase, account)
                pay = self.pay_markup(t, member)
                await self.send(f"unpaid:{event.id}:{member}", member, text, pay)

    @reacts_to(AmountsChanged)
    async def on_amounts_changed(self, event: LoggedEvent) -> None:
        """Each member whose lines or amount moved gets one message; the head a summary, and
        the supplier order again when what goes to the supplier changed."""
        purchase = self.purchase
        impact = impact_from(event.payload, purchase.id)
        for change in impact.members:
            t = self.t(change.member_id)
            text = notices.amounts_changed_to_member(t, purchase, impact, change)
            # Owing more now: the rest may be paid in Telegram from here.
            pay = self.pay_markup(t, change.member_id)
            await self.send(f"amounts:{event.id}:{change.member_id}", change.member_id, text, pay)
        names = {m: self._name(m) for m in purchase.members}
        head = self.t(purchase.head_id)
        await self.send(
            f"amounts:{event.id}:head",
            purchase.head_id,
            notices.amounts_changed_to_head(head, purchase, impact, names),
        )
        if impact.ordered or impact.prices:  # what goes to the supplier changed
            await self.send(
                f"amounts:{event.id}:supplier",
                purchase.head_id,
                notices.supplier_summary(head, purchase, [], updated=True),
            )
