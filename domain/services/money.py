"""Use cases of the money: a member's "I paid" (with a receipt photo, checked against the
head's earlier receipts), the head's answer, money recorded and given back, the supplier's
confirmation, the real weights, reminding the unpaid and taking them out, and paying in
Telegram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache

from domain import adjustments, checkout, ledger, receipts
from domain.billing import AmountDue
from domain.errors import N_, IllegalTransition
from domain.events import AmountsChanged
from domain.money import Money
from domain.payments import ClaimState, EntryKind, LedgerEntry, PaymentClaim
from domain.permissions import Actor
from domain.ports import UnitOfWork
from domain.purchase import Purchase
from domain.receipts import Receipt, ReceiptPicture
from domain.services.unit import apply, load, retried, view
from domain.views import member_order


async def claim_payment(uow: UnitOfWork, purchase_id: int, member_id: int, now: datetime) -> None:
    async def work() -> None:
        async with uow:
            purchase = await load(uow, purchase_id)
            await _ensure_not_taken_out(uow, purchase, member_id)
            ledger.claim_payment(purchase, member_id, now)
            await uow.commit()

    await retried(work)


async def _ensure_not_taken_out(uow: UnitOfWork, purchase: Purchase, member_id: int) -> None:
    """An old Pay or I paid of a member the head took out says so (asked only of someone
    with no goods in it, which is rare)."""
    if not purchase.takes_part(member_id):
        taken_out = await uow.purchases.taken_out(purchase.id)
        adjustments.ensure_not_taken_out(purchase, member_id, taken_out)


# What the head gets of a receipt, written by the caller in the claim's own unit of work (the
# outbox): the purchase, the claim it is for, which of the claim's receipts it is (1: the
# first), and the receipts sent to her earlier that show the same picture, the strongest
# evidence first (receipts.earlier_copies; none: a new picture).
TellHead = Callable[[Purchase, PaymentClaim, int, list[Receipt]], Awaitable[None]]


@dataclass(frozen=True)
class ReceiptGoal:
    """Where a receipt photo goes, read before its picture is fetched: the purchases it may
    be for — those she is paying, else those whose claim waits for the head (`waiting`: then
    it is one more receipt of that claim) — and, for one waiting claim, how many receipts
    it has already."""

    purchases: tuple[Purchase, ...]
    waiting: bool = False
    sent: int = 0

    @property
    def full(self) -> bool:
        """The claim has all the receipts it takes before the head answers."""
        return self.waiting and self.sent >= receipts.RECEIPTS_PER_CLAIM


async def receipt_goal(uow: UnitOfWork, member_id: int) -> ReceiptGoal:
    """What a photo from the member is a receipt for: a purchase she has not said she paid
    comes first (the photo says it now), as it always did; else the one whose claim waits."""
    async with uow:
        owing = [
            (purchase, view.account)
            for purchase in await uow.purchases.list_for_member(member_id)
            if (view := member_order(purchase, member_id)).collecting
            and view.account is not None
            and view.account.to_pay.minor
        ]
        paying = tuple(purchase for purchase, account in owing if account.open_claim is None)
        waiting = [(p, account.open_claim) for p, account in owing if account.open_claim]
        if paying or len(waiting) != 1:
            return ReceiptGoal(paying or tuple(p for p, _ in waiting), waiting=not paying)
        purchase, claim = waiting[0]
        sent = await uow.receipts.of_purchase(purchase.id, claim.at, receipts.LOOK_BACK_COUNT)
    own = sum(1 for r in sent if receipts.of_claim(r, purchase.id, member_id, claim.at))
    return ReceiptGoal((purchase,), waiting=True, sent=own)


async def claim_with_receipt(
    uow: UnitOfWork,
    purchase_id: int,
    member_id: int,
    member_name: str,
    picture: ReceiptPicture,
    now: datetime,
    tell_head: TellHead,
) -> tuple[PaymentClaim, int]:
    """The member's "I paid" with a receipt photo — or, while her claim waits for the head,
    one more receipt of it: the claim, the receipt kept, compared with the receipts sent to
    the same head before (not her others of this claim: the same payment), and the head
    told, all committed together: a crash after it loses no receipt, and a replay of the
    update sends none again. Returns the claim and which of its receipts this is."""

    async def work() -> tuple[PaymentClaim, int]:
        async with uow:
            purchase = await load(uow, purchase_id)
            claim = ledger.claim_payment(purchase, member_id, now, with_receipt=True)
            earlier = await uow.receipts.of_head(
                purchase.head_id, now - receipts.LOOK_BACK, receipts.LOOK_BACK_COUNT
            )
            own: list[Receipt] = []
            others: list[Receipt] = []
            for receipt in earlier:
                mine = receipts.of_claim(receipt, purchase_id, member_id, claim.at)
                (own if mine else others).append(receipt)
            if len(own) >= receipts.RECEIPTS_PER_CLAIM:  # a photo that came while one was fetched
                raise IllegalTransition(N_(
                    "the head has all the receipts of this payment that go before an answer"
                ))  # fmt: skip
            await uow.receipts.add(purchase_id, member_id, member_name, picture, now)
            number = len(own) + 1
            await tell_head(purchase, claim, number, receipts.earlier_copies(picture, others))
            await uow.commit()
        return claim, number

    return await retried(work)


async def claims_seen_before(uow: UnitOfWork, purchase: Purchase) -> dict[int, Receipt]:
    """The members whose open claim came with a picture sent to the same head before, and the
    earlier receipt it shows (the same file first, then the latest): the payments list warns
    of them as the photo did."""
    open_claims = [(c.member_id, c.at) for c in purchase.claims if c.state is ClaimState.OPEN]
    if not open_claims:
        return {}
    since = min(at for _, at in open_claims)
    async with uow:
        sent = await uow.receipts.of_purchase(purchase.id, since, receipts.LOOK_BACK_COUNT)
        earlier = await uow.receipts.of_head(
            purchase.head_id, since - receipts.LOOK_BACK, receipts.LOOK_BACK_COUNT
        )
    return receipts.claims_seen_before(open_claims, sent, earlier)


async def confirm_claim(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, claim: int, now: datetime
) -> None:
    await apply(uow, purchase_id, lambda p: ledger.confirm_claim(p, actor, member_id, claim, now))


async def reject_claim(
    uow: UnitOfWork, purchase_id: int, actor: Actor, member_id: int, claim: int
) -> None:
    await apply(uow, purchase_id, lambda p: ledger.reject_claim(p, actor, member_id, claim))


async def record_money(
    uow: UnitOfWork,
    purchase_id: int,
    actor: Actor,
    member_id: int,
    kind: EntryKind,
    amount: Money,
    now: datetime,
    expected: Money | None = None,
) -> None:
    """The head received money from a member (a payment) or gave some back (a refund)."""
    record = ledger.record_payment if kind is EntryKind.PAYMENT else ledger.record_refund
    await apply(uow, purchase_id, lambda p: record(p, actor, member_id, amount, now, expected))


async def _settled(
    uow: UnitOfWork, purchase_id: int, adjust: Callable[[Purchase], AmountsChanged | None]
) -> list[int]:
    """One of `domain.adjustments`' changes; returns the members whose lines or amount moved."""
    changed: list[int] = []

    def change(purchase: Purchase) -> None:
        impact = adjust(purchase)
        changed[:] = [m.member_id for m in impact.members] if impact else []

    await apply(uow, purchase_id, change)
    return changed


async def confirm_supply(uow: UnitOfWork, purchase_id: int, actor: Actor, text: str) -> list[int]:
    """The head's lines of what the supplier confirmed; returns the members affected."""
    return await _settled(uow, purchase_id, lambda p: adjustments.confirm_supply(p, actor, text))


async def enter_weights(uow: UnitOfWork, purchase_id: int, actor: Actor, text: str) -> list[int]:
    """The head's lines of what members' goods sold by weight weigh; the members affected."""
    return await _settled(uow, purchase_id, lambda p: adjustments.enter_weights(p, actor, text))


async def remind_unpaid(uow: UnitOfWork, purchase_id: int, actor: Actor) -> list[int]:
    """Ask every member who still owes to pay; returns who is reminded."""
    reminded: list[int] = []
    await apply(uow, purchase_id, lambda p: reminded.extend(ledger.remind_unpaid(p, actor)))
    return reminded


async def drop_preview(
    uow: UnitOfWork, purchase_id: int, actor: Actor, now: datetime
) -> tuple[Purchase, AmountsChanged]:
    """Who paid nothing, and what dropping them would change; nothing is saved."""
    async with uow:
        purchase = await view(uow, purchase_id)
        return purchase, adjustments.drop_preview(purchase, actor, now)


async def drop_unpaid(
    uow: UnitOfWork, purchase_id: int, actor: Actor, now: datetime, expected: int
) -> AmountsChanged | None:
    impact: list[AmountsChanged | None] = []
    await apply(
        uow,
        purchase_id,
        lambda p: impact.append(adjustments.drop_unpaid(p, actor, now, expected)),
    )
    return impact[-1]


# --- paying in Telegram ----------------------------------------------------------------------


async def invoice_for(
    uow: UnitOfWork, purchase_id: int, member_id: int
) -> tuple[Purchase, checkout.Invoice]:
    """The invoice for what the member owes now, and the purchase it is for (read only:
    nothing changes until they pay)."""
    async with uow:
        purchase = await view(uow, purchase_id)
        await _ensure_not_taken_out(uow, purchase, member_id)
    return purchase, checkout.invoice_for(purchase, member_id)


# What each member owes, by purchase as committed: 200 members paying at once (each checkout
# answered within 10 s, or Telegram gives up) would otherwise work out every member's share
# (the allocation, the split of fee and delivery) once per checkout. Keyed by the version a
# purchase was read at (with its creation, since SQLite may give a deleted purchase's id to
# the next), which names its committed state; never for a purchase changed in memory.
_committed_dues: LRUCache[tuple[int, int, datetime], dict[int, AmountDue]] = LRUCache(64)


def committed_dues(purchase: Purchase) -> dict[int, AmountDue]:
    key = (purchase.id, purchase.version, purchase.created_at)
    found = _committed_dues.get(key)
    if found is None:
        found = _committed_dues[key] = ledger.dues_of(purchase)
    return found


async def check_checkout(uow: UnitOfWork, purchase_id: int, attempt: checkout.Checkout) -> None:
    """Whether Telegram may charge this checkout, else the reason it may not: read as last
    committed (no lock), what every member owes worked out once per committed state."""
    async with uow:
        purchase = await view(uow, purchase_id)
    checkout.check_checkout(purchase, attempt, committed_dues(purchase))


async def record_charge(
    uow: UnitOfWork,
    purchase_id: int,
    attempt: checkout.Checkout,
    charge: str,
    provider_charge: str,
    now: datetime,
) -> LedgerEntry | None:
    """A payment Telegram reports, in the ledger once (None when its charge is there already)."""
    recorded: list[LedgerEntry | None] = []

    def change(purchase: Purchase) -> None:
        recorded[:] = [checkout.record_charge(purchase, attempt, charge, provider_charge, now)]

    await apply(uow, purchase_id, change)
    return recorded[0]
