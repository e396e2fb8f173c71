"""The notices of a purchase's course: changed terms, a change of head, the stop (to the chat,
each member and the head), failure, cancellation, extension, the head's decision, the minimum
reached, sold out, ordered, arrived with pickup codes, helpers, handovers and the end.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from domain.events import (
    DeadlineExtended,
    GoodsArrived,
    HandedOver,
    HandoverUndone,
    HeadChanged,
    HeadDecisionNeeded,
    HelperAdded,
    HelperRemoved,
    MoqLost,
    MoqReached,
    PurchaseCancelled,
    PurchaseCompleted,
    PurchaseEdited,
    PurchaseFailed,
    PurchaseOrdered,
    PurchaseStopped,
    SoldOut,
    TransferDeclined,
    TransferOffered,
)
from domain.purchase import PurchaseStatus
from runtime.event_notices import EventNotices, reacts_to
from storage.event_log import LoggedEvent
from storage.outbox import Urgency
from texts import notices
from texts.logistics_view import rating_request
from texts.pickup_qr import pickup_link


class CourseNotices(EventNotices):
    @reacts_to(PurchaseEdited)
    async def on_purchase_edited(self, event: LoggedEvent) -> None:
        fields = [str(name) for name in event.payload["fields"]]
        purchase = self.purchase
        if not {"deadline", "pickup", "pay_to", "pay_by"} & set(fields):
            return  # the refreshed card says the rest
        if purchase.accepts_payments() and not {"deadline", "pickup"} & set(fields):
            # New payment details while collecting: for whoever still has to pay.
            told = [m for m, account in self.accounts.items() if account.to_pay.minor]
        else:
            told = purchase.participant_ids()
        for member in told:
            t = self.t(member)
            text = notices.terms_changed(t, purchase, fields, member)
            choice = (
                notices.pickup_choice_markup(t, purchase, member, self.now)
                if "pickup" in fields
                else None
            )  # a slot they chose may be gone, or new ones came
            await self.send(f"edited:{event.id}:{member}", member, text, choice)

    @reacts_to(TransferOffered)
    async def on_transfer_offered(self, event: LoggedEvent) -> None:
        member = int(event.payload["to_member_id"])
        offer = notices.transfer_offer(self.t(member), self.purchase, int(event.payload["number"]))
        await self.send(f"transfer-offer:{event.id}", member, offer["text"], offer["reply_markup"])

    @reacts_to(TransferDeclined)
    async def on_transfer_declined(self, event: LoggedEvent) -> None:
        purchase, member = self.purchase, int(event.payload["member_id"])
        text = (
            self.t(purchase.head_id)
            .gettext("{name} would rather not lead {title}; you still lead it.")
            .format(name=escape(self._name(member)), title=notices.title(purchase))
        )
        await self.send(f"transfer-declined:{event.id}", purchase.head_id, text)

    @reacts_to(HeadChanged)
    async def on_head_changed(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        old, new = int(event.payload["old_head_id"]), int(event.payload["new_head_id"])
        until = datetime.fromisoformat(str(event.payload["withdrawal_window_ends"]))
        name = self._name(new)
        await self.send(
            f"head-changed:{event.id}:chat",
            purchase.community_id,
            notices.new_head_in_chat(self.t(), purchase, name),
        )
        for member in purchase.participant_ids():
            if member != new:
                text = notices.new_head_to_member(
                    self.t(member), purchase, name, until, member in purchase.handed_over
                )
                await self.send(f"head-changed:{event.id}:{member}", member, text)
        to_new = self.t(new).gettext(
            "✅ You lead {title} now. /purchases opens its panel and the list of participants."
        )
        await self.send(
            f"head-changed:{event.id}:new", new, to_new.format(title=notices.title(purchase))
        )
        if old not in purchase.participant_ids():
            to_old = self.t(old).gettext("{name} now leads {title}; you no longer manage it.")
            await self.send(
                f"head-changed:{event.id}:old",
                old,
                to_old.format(name=escape(name), title=notices.title(purchase)),
            )

    @reacts_to(PurchaseStopped)
    async def on_purchase_stopped(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        await self.uow.outbox.withdraw_deadline_reminders(purchase.id)
        bot = self.bot_username
        await self.send(
            f"stopped:{purchase.id}:chat",
            purchase.community_id,
            notices.stopped_in_chat(self.t(), purchase, bot),
            urgency=Urgency.URGENT,
        )
        await self._to_members(
            event,
            "stopped",
            lambda t, m: notices.stopped_to_member(
                t, purchase, m, self.dues, self.payable_in_telegram(m)
            ),
            markup=self.pay_markup,
            urgency=Urgency.URGENT,
        )
        unreachable = await self._unreachable(purchase.participant_ids())
        await self.send(
            f"stopped:{purchase.id}:head",
            purchase.head_id,
            notices.supplier_summary(
                self.t(purchase.head_id), purchase, [self._name(m) for m in unreachable]
            ),
            urgency=Urgency.URGENT,
        )

    @reacts_to(PurchaseFailed)
    async def on_purchase_failed(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        await self.uow.outbox.withdraw_deadline_reminders(purchase.id)
        await self.send(
            f"failed:{purchase.id}:chat",
            purchase.community_id,
            notices.failed_text(self.t(), purchase),
        )
        await self._to_members(event, "failed", lambda t, _m: notices.failed_text(t, purchase))
        await self.send(
            f"failed:{purchase.id}:head",
            purchase.head_id,
            notices.failed_text(self.t(purchase.head_id), purchase),
        )

    @reacts_to(PurchaseCancelled)
    async def on_purchase_cancelled(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        await self.uow.outbox.withdraw_deadline_reminders(purchase.id)
        reason = str(event.payload.get("reason", ""))
        await self.send(
            f"cancelled:{purchase.id}:chat",
            purchase.community_id,
            notices.cancelled_text(self.t(), purchase, reason),
        )
        await self._to_members(
            event,
            "cancelled",
            lambda t, m: notices.cancelled_to_member(t, purchase, reason, self.accounts.get(m)),
        )

    @reacts_to(DeadlineExtended)
    async def on_deadline_extended(self, event: LoggedEvent) -> None:
        await self.send(
            f"extended:{event.id}",
            self.purchase.community_id,
            notices.extended_text(self.t(), self.purchase),
        )

    @reacts_to(HeadDecisionNeeded)
    async def on_head_decision_needed(self, event: LoggedEvent) -> None:
        payload = notices.decision_needed(self.t(self.purchase.head_id), self.purchase)
        await self.send(
            f"decide:{event.id}", self.purchase.head_id, payload["text"], payload["reply_markup"]
        )

    # The newest crossing of the minimum among this round's events: told once, in `finish`.
    moq_crossing: int | None = None

    @reacts_to(MoqReached)
    async def on_moq_reached(self, event: LoggedEvent) -> None:
        self.moq_crossing = event.id

    @reacts_to(MoqLost)
    async def on_moq_lost(self, event: LoggedEvent) -> None:
        self.moq_crossing = event.id

    async def finish(self) -> None:
        await super().finish()
        if self.moq_crossing is not None:
            await self._tell_moq(self.moq_crossing)
            self.moq_crossing = None

    async def _tell_moq(self, crossing: int) -> None:
        """The head hears where the minimum stands now, if that is not what she was told last:
        "reached" only while it still holds, "no longer reached" only after a "reached" and
        before the stop. A member tapping −1 and +1 across it within one round tells nothing;
        the key (the crossing's event) sends each notice once, restarts or not."""
        purchase = self.purchase
        if purchase.moq is None:
            return
        series = f"moq:{purchase.id}"
        # Kept apart from the outbox, which forgets sent messages after a month.
        told_reached = await self.uow.events.told_moq_reached(purchase.id)
        head = purchase.head_id
        if purchase.moq_met() and not told_reached:
            text = notices.moq_reached(self.t(head), purchase)
            await self.send(f"{series}:{crossing}:reached", head, text)
            await self.uow.events.tell_moq(purchase.id, reached=True)
        elif not purchase.moq_met() and told_reached and purchase.status is PurchaseStatus.OPEN:
            text = notices.moq_lost(self.t(head), purchase)
            await self.send(f"{series}:{crossing}:lost", head, text)
            await self.uow.events.tell_moq(purchase.id, reached=False)

    @reacts_to(SoldOut)
    async def on_sold_out(self, event: LoggedEvent) -> None:
        item_id = int(event.payload["item_id"])
        await self.send(
            f"soldout:{self.purchase.id}:{item_id}",
            self.purchase.head_id,
            notices.sold_out(self.t(self.purchase.head_id), self.purchase, item_id),
        )

    @reacts_to(PurchaseOrdered)
    async def on_purchase_ordered(self, event: LoggedEvent) -> None:
        # Only those who get something: a member the supplier's cut left with nothing was
        # told so by the change itself, and "ordered" would say the opposite.
        await self._to_members(
            event, "ordered", lambda t, _m: notices.ordered_text(t, self.purchase),
            members=sorted(self.purchase.final_lines()),
        )  # fmt: skip

    @reacts_to(GoodsArrived)
    async def on_goods_arrived(self, event: LoggedEvent) -> None:
        purchase = self.purchase
        await self.send(
            f"arrived:{purchase.id}:chat",
            purchase.community_id,
            notices.arrived_in_chat(self.t(), purchase, self.bot_username),
            urgency=Urgency.URGENT,
        )
        receiving = list(purchase.pickup_codes)
        tokens = await self.uow.purchases.pickup_tokens(purchase.id)
        for member in receiving:
            await self._pickup_notice(member, tokens.get(member))
        unreachable = await self._unreachable(receiving)
        if unreachable:
            await self.send(
                f"arrived:{purchase.id}:unreachable",
                purchase.head_id,
                notices.unreachable_text(
                    self.t(purchase.head_id), [self._name(m) for m in unreachable]
                ),
            )

    async def _pickup_notice(self, member: int, token: str | None) -> None:
        """The member's code, slot buttons and QR code (to show instead of saying the code):
        one photo with the notice as its caption where it fits, else the text and then the
        photo. Each under its own key, so a replayed round sends neither twice."""
        purchase, t = self.purchase, self.t(member)
        key = f"pickup:{purchase.id}:{member}"
        text = notices.pickup_notice(t, purchase, member, self.accounts.get(member))
        markup = notices.pickup_choice_markup(t, purchase, member, self.now)
        if token is None:
            await self.send(key, member, text, markup, Urgency.URGENT)
            return
        # The QR code is drawn by the sender, so the outbox keeps a link, not an image.
        qr = pickup_link(self.bot_username, token)
        caption = notices.pickup_notice_under_qr(t, text)
        if caption is None:  # too long for a caption: the notice, then the photo on its own
            await self.send(key, member, text, markup, Urgency.URGENT)
            key, markup = f"pickup-qr:{purchase.id}:{member}", None
            caption = notices.pickup_qr_caption(t, purchase, member)
        photo = {"qr": qr, "caption": caption, "parse_mode": "HTML"}
        await self.enqueue(key, member, photo, markup, Urgency.URGENT)

    @reacts_to(HelperAdded)
    async def on_helper_added(self, event: LoggedEvent) -> None:
        helper = int(event.payload["user_id"])
        await self.send(
            f"helper:{self.purchase.id}:{helper}:{event.id}",
            helper,
            notices.helper_added(self.t(helper), self.purchase),
        )

    @reacts_to(HelperRemoved)
    async def on_helper_removed(self, event: LoggedEvent) -> None:
        helper = int(event.payload["user_id"])
        await self.send(
            f"helper-off:{self.purchase.id}:{helper}:{event.id}",
            helper,
            notices.helper_removed(self.t(helper), self.purchase),
        )

    @reacts_to(HandoverUndone)
    async def on_handover_undone(self, event: LoggedEvent) -> None:
        member = int(event.payload["member_id"])
        await self.send(
            f"undone:{self.purchase.id}:{member}:{event.id}",
            member,
            notices.handover_undone_text(self.t(member), self.purchase, member),
        )

    @reacts_to(PurchaseCompleted)
    async def on_purchase_completed(self, event: LoggedEvent) -> None:
        """The head hears what was not collected (the leftovers); those members are told;
        the card, which now says Completed, is unpinned."""
        purchase = self.purchase
        waiting = [m for m in purchase.pickup_codes if m not in purchase.handed_over]
        await self.send(
            f"completed:{purchase.id}:head",
            purchase.head_id,
            notices.completed_to_head(self.t(purchase.head_id), purchase, waiting),
        )
        for member in waiting:
            await self.send(
                f"completed:{purchase.id}:{member}",
                member,
                notices.completed_to_member(self.t(member), purchase, member),
            )
        for member in purchase.final_lines():  # everyone who got goods rates it, once
            question = rating_request(self.t(member), purchase)
            await self.send(f"rate:{purchase.id}:{member}", member, question["text"],
                            question["reply_markup"])  # fmt: skip
        card = await self.uow.telegram.card(purchase.id)
        if card is not None:
            await self.uow.outbox.enqueue(
                f"unpin:{purchase.id}", card.chat_id, {"unpin": card.message_id}, self.now
            )

    @reacts_to(HandedOver)
    async def on_handed_over(self, event: LoggedEvent) -> None:
        member = int(event.payload["member_id"])
        await self.send(
            f"received:{self.purchase.id}:{member}",
            member,
            notices.handed_over_text(self.t(member), self.purchase, member),
        )
