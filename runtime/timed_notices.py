"""What the timeline's moments send: the deadline reminders (members, the chat, the head when
short), the pay-by reminder and the pay-by offer to the head, and pickup day's reminders,
announcements and its end. Every message has an outbox key, so a moment that fires twice
sends once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain import adjustments, ledger
from domain.community import Community
from domain.purchase import Purchase, PurchaseStatus, reminder_due
from storage.outbox import Urgency
from storage.unit_of_work import Database, SqlUnitOfWork
from texts import notices
from texts.i18n import Translator, speaking

HOUR = timedelta(hours=1)


# Members who still owe are reminded this long before the pay-by time.
PAY_REMINDER_LEAD = timedelta(hours=24)


# While money is collected before the goods arrive (or still owed at the pickup).
COLLECTING = (PurchaseStatus.STOPPED, PurchaseStatus.ORDERED, PurchaseStatus.ARRIVED)


class TimedNotices:
    """What each moment sends. Part of Timeline, which keeps the timers."""

    _database: Database
    _clock: Callable[[], datetime]
    _reminded: set[tuple[int, datetime, timedelta]]
    _payment_moments: set[tuple[int, str, datetime]]

    async def _translators(
        self, uow: SqlUnitOfWork, user_ids: list[int], community: Community
    ) -> dict[int, Translator]:
        languages = await uow.telegram.languages(user_ids)
        return {
            user_id: speaking(
                languages.get(user_id), community.language, timezone=community.timezone
            )
            for user_id in user_ids
        }

    async def remind(self, purchase_id: int) -> None:
        """24 h before the deadline: members; 1 h before: members, the chat, the head if short."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            purchase, community = await uow.purchase_and_community(purchase_id, lock=True)
            if purchase is None or community is None or not purchase.accepts_orders(now):
                return
            lead = reminder_due(purchase.deadline, purchase.created_at, now)
            if lead is None:
                return
            which = "1h" if lead == HOUR else "24h"
            members = await uow.telegram.started_among(purchase.participant_ids())
            members -= await uow.telegram.reminders_off(sorted(members))
            t = await self._translators(uow, [purchase.head_id, *members], community)
            key = f"{purchase.id}:{notices.deadline_key(purchase)}"
            for member in sorted(members):
                text = notices.member_reminder(
                    t[member], purchase, member, 1 if which == "1h" else 24
                )
                await uow.outbox.enqueue(
                    f"remind{which}:{key}:{member}", member, html(text), now,
                    purchase_id=purchase.id, urgency=Urgency.LATER,
                )  # fmt: skip
            if which == "1h":
                chat_t = Translator(community.language, community.timezone)
                await uow.outbox.enqueue(
                    f"hour-left:{key}",
                    community.chat_id,
                    html(notices.hour_left_in_chat(chat_t, purchase)),
                    now,
                    urgency=Urgency.LATER,
                )
                if not purchase.moq_met():
                    text = notices.head_hour_left_short(t[purchase.head_id], purchase)
                    await uow.outbox.enqueue(
                        f"head-short:{key}", purchase.head_id, html(text), now,
                        urgency=Urgency.LATER,
                    )  # fmt: skip
            await uow.commit()
        self._reminded.add((purchase.id, purchase.deadline, lead))

    async def _collecting(
        self, uow: SqlUnitOfWork, purchase_id: int
    ) -> tuple[Purchase, Community, datetime, dict[int, ledger.Account]] | None:
        """A purchase still collecting money with a pay-by time: it, its community, the
        pay-by time and every member's account."""
        purchase, community = await uow.purchase_and_community(purchase_id, lock=True)
        if (
            purchase is None
            or community is None
            or purchase.pay_by is None
            or purchase.status not in COLLECTING
            or not purchase.accepts_payments()
        ):
            return None
        return purchase, community, purchase.pay_by, ledger.accounts(purchase)

    async def pay_reminder(self, purchase_id: int) -> None:
        """A day before the pay-by time: every member who still owes and has not said they
        paid gets what they owe, where to pay and by when."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            found = await self._collecting(uow, purchase_id)
            if found is None or now >= found[2]:
                return
            purchase, community, pay_by, every = found
            owing = [m for m, a in every.items() if a.to_pay.minor and a.open_claim is None]
            started = await uow.telegram.started_among(owing)
            t = await self._translators(uow, sorted(started), community)
            for member in owing:
                if member in started:
                    text = notices.pay_by_reminder(t[member], purchase, every[member])
                    await uow.outbox.enqueue(
                        f"pay-remind:{purchase.id}:{notices.stamp(pay_by)}:{member}",
                        member, html(text), now, purchase_id=purchase.id, urgency=Urgency.LATER,
                    )  # fmt: skip
            await uow.commit()
        self._payment_moments.add((purchase_id, "remind", pay_by))

    async def pay_by_passed(self, purchase_id: int) -> None:
        """At the pay-by time the head hears who still owes, with the offer to take out those
        who paid nothing (shown first with what it would change)."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            found = await self._collecting(uow, purchase_id)
            if found is None or now < found[2]:
                return
            purchase, community, pay_by, every = found
            owing = {m: a for m, a in every.items() if a.to_pay.minor}
            if owing:
                droppable = purchase.status in adjustments.DROPPABLE
                t = (await self._translators(uow, [purchase.head_id], community))[purchase.head_id]
                names = {m: member.name for m, member in purchase.members.items()}
                payload = notices.pay_by_passed(
                    t, purchase, names, ledger.never_paid(purchase) if droppable else [], owing
                )
                await uow.outbox.enqueue(
                    f"pay-by:{purchase.id}:{notices.stamp(pay_by)}", purchase.head_id, payload, now
                )
                await uow.commit()
        self._payment_moments.add((purchase_id, "passed", pay_by))

    async def pickup(self, purchase_id: int) -> None:
        """An hour before a pickup window: members with a code; at its start: the chat; at the
        end of the last: the head hears who has not collected, and they a reminder."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            purchase, community = await uow.purchase_and_community(purchase_id, lock=True)
            if (
                purchase is None
                or community is None
                or purchase.status is not PurchaseStatus.ARRIVED
            ):
                return
            with purchase.only_read():  # each member's reminder names her goods
                waiting = [m for m in purchase.pickup_codes if m not in purchase.handed_over]
                t = await self._translators(uow, waiting, community)
                chat_t = Translator(community.language, community.timezone)
                first = min(purchase.pickup_slots, key=lambda s: s.starts_at, default=None)
                undecided = [m for m in waiting if purchase.pickup_slot_of(m) is None]
                for slot in purchase.pickup_slots:
                    if not slot.starts_at - HOUR <= now < slot.ends_at:
                        continue
                    # The number less one: what slots were keyed by before they had numbers.
                    key = f"{purchase.id}:{slot.number - 1}:{notices.stamp(slot.starts_at)}"
                    for member in waiting:  # each member for their own slot
                        if purchase.pickup_slot_of(member) != slot:
                            continue
                        text = notices.pickup_reminder(t[member], purchase, member, slot, now)
                        uow.outbox.enqueue_soon(
                            f"pickup-remind:{key}:{member}", member, html(text), now,
                            purchase_id=purchase.id, urgency=Urgency.LATER,
                        )  # fmt: skip
                    for member in undecided if slot == first else ():
                        payload = html(notices.pickup_choose_reminder(t[member], purchase, member))
                        markup = notices.pickup_choice_markup(t[member], purchase, member, now)
                        if markup is not None:
                            payload["reply_markup"] = markup
                        uow.outbox.enqueue_soon(
                            f"pickup-choose:{purchase.id}:{member}", member, payload, now,
                            purchase_id=purchase.id, urgency=Urgency.LATER,
                        )  # fmt: skip
                    if now >= slot.starts_at:
                        text = notices.pickup_open_in_chat(chat_t, purchase, slot)
                        uow.outbox.enqueue_soon(
                            f"pickup-open:{key}", community.chat_id, html(text), now
                        )
                over = max((slot.ends_at for slot in purchase.pickup_slots), default=None)
                if over is not None and now >= over and waiting:
                    key = f"pickup-over:{purchase.id}:{notices.stamp(over)}"
                    head_t = (await self._translators(uow, [purchase.head_id], community))[
                        purchase.head_id
                    ]
                    text = notices.pickup_over_to_head(head_t, purchase, waiting)
                    await uow.outbox.enqueue(f"{key}:head", purchase.head_id, html(text), now)
                    for member in waiting:
                        text = notices.pickup_over_to_member(t[member], purchase, member)
                        uow.outbox.enqueue_soon(
                            f"{key}:{member}", member, html(text), now, purchase_id=purchase.id
                        )
            await uow.commit()


def pay_reminder_due_at(deadline: datetime, pay_by: datetime) -> datetime | None:
    """When members who still owe are reminded: a day before the pay-by time, if the stop
    came before that (with less than a day to pay, the stop notice said it all)."""
    moment = pay_by - PAY_REMINDER_LEAD
    return moment if deadline <= moment else None


def html(text: str) -> dict[str, Any]:
    return {"text": text, "parse_mode": "HTML"}
