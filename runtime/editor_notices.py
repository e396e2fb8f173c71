"""At the stop, after a change of shares after it (a withdrawal, members taken out for not
paying), and when a purchase ends, every member's latest order editor is redrawn from
the purchase as it stands: no +/− and no countdown stay under an editor sent before; when the
head extends the deadline, they are redrawn with the new countdown (and their +/− back, when
the extension reopened orders). The redraws are edits in the outbox, so they go out at the
same pace as every other message."""

from __future__ import annotations

from domain.events import (
    AmountsChanged,
    DeadlineExtended,
    HeadDecisionNeeded,
    PurchaseCancelled,
    PurchaseCompleted,
    PurchaseFailed,
    PurchaseStopped,
)
from domain.personal_data import is_pseudonym
from domain.purchase import FINISHED
from domain.views import member_order
from runtime.event_notices import EventNotices
from storage.event_log import LoggedEvent
from storage.outbox import Urgency
from texts.order_picker import editor_message

# The events after which an editor's +/− or countdown would be untrue.
# Named by class, as the notices' registry names them: a renamed event stays covered.
REDRAWN_AFTER = frozenset(kind.__name__ for kind in (
    PurchaseStopped, PurchaseFailed, PurchaseCancelled, PurchaseCompleted,
    HeadDecisionNeeded, DeadlineExtended,
    # After the stop: a withdrawal, the supplier's confirmation, members taken out for not
    # paying — shares move, and a member taken out must not see a Pay button.
    AmountsChanged,
))  # fmt: skip


class EditorNotices(EventNotices):
    async def handle(self, events: list[LoggedEvent]) -> list[int]:
        handled = await super().handle(events)
        moments = [e.id for e in events if e.kind in REDRAWN_AFTER]
        if moments:
            await self.redraw_editors(moments[-1])
        return handled

    async def redraw_editors(self, event_id: int) -> None:
        purchase = self.purchase
        editors = await self.uow.telegram.editors(purchase.id)
        unknown = [m for m in editors if m not in self.languages]
        self.languages |= await self.uow.telegram.languages(unknown) if unknown else {}
        gone = [m for m in editors if not purchase.takes_part(m)]
        taken_out = await self.uow.purchases.taken_out(purchase.id) if gone else frozenset()
        for member, message_id in sorted(editors.items()):
            if is_pseudonym(member):
                continue
            t = self.t(member)
            view = member_order(purchase, member)
            text, markup = editor_message(
                t, purchase, view, self.now, self.mini_app_url, self.payable_in_telegram(member),
                taken_out=member in taken_out,
            )  # fmt: skip
            await self.uow.outbox.enqueue(
                f"editor:{purchase.id}:{member}:{event_id}",
                member,
                {"edit": message_id, "text": text, "parse_mode": "HTML",
                 "reply_markup": markup.to_dict()},
                self.now, urgency=Urgency.URGENT,  # after a stop: what she may still change
            )  # fmt: skip
        if purchase.status in FINISHED:  # redrawn for the last time
            await self.uow.telegram.forget_editors(purchase.id)
