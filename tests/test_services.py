"""Use cases through a fake unit of work: each commits once, or not at all on a refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import events, ledger, services
from domain.community import Community
from domain.errors import InvalidPurchase, NotAllowed, NotFound, OutOfStock
from domain.ledger import OpenBalances
from domain.membership import NOBODY, Admission
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, Conflict
from domain.purchase import Moq, PickupSlot, PurchaseStatus, ShortPolicy
from tests.support.builders import ADMITTED, HEAD, NOW, item, purchase
from tests.support.fake_uow import FakeUnitOfWork

A, B = 1, 2
HEAD_ACTOR = Actor(HEAD)
LATER = NOW + timedelta(days=4)
SLOT = PickupSlot("Hall", NOW + timedelta(days=5), NOW + timedelta(days=5, hours=2))


async def published(uow: FakeUnitOfWork, **fields: object) -> int:
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0, **fields)  # type: ignore[arg-type]
    return await services.publish_purchase(uow, draft, NOW, Decimal(10))


async def test_publish_stores_and_opens_the_purchase() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    assert uow.purchases.committed[purchase_id].status is PurchaseStatus.OPEN
    assert uow.collected_events() == [events.PurchasePublished(purchase_id)]


async def test_invalid_purchase_is_not_stored() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidPurchase):
        await published(uow, title="")
    assert uow.purchases.committed == {}
    assert uow.commits == 0


async def test_a_tap_adds_a_unit_and_returns_the_members_order() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    view = await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    view = await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert view.lines[0].quantity == 2
    assert view.due is not None
    assert view.due.total.minor == 2500
    assert (await services.my_order(uow, purchase_id, A)).lines[0].quantity == 2
    assert (await services.card(uow, purchase_id)).members_count == 1


async def test_a_refused_tap_commits_nothing() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow, items=[item(1, stock=1), item(2)])
    await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    commits = uow.commits
    with pytest.raises(OutOfStock):
        await services.add_units(uow, purchase_id, B, "Bob", 1, 1, NOW, ADMITTED)
    assert uow.commits == commits
    assert uow.purchases.committed[purchase_id].participant_ids() == [A]


async def test_unknown_purchase_is_not_found() -> None:
    with pytest.raises(NotFound):
        await services.add_units(FakeUnitOfWork(), 404, A, "Alice", 1, 1, NOW, ADMITTED)


async def test_tolerance_and_withdrawal() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow, items=[item(1, pack_size=6)])
    await services.add_units(uow, purchase_id, A, "Alice", 1, 2, NOW, ADMITTED)
    view = await services.set_tolerance(uow, purchase_id, A, 1, 4, NOW, ADMITTED)
    assert view.lines[0].tolerance == 4
    await services.withdraw(uow, purchase_id, A, NOW)
    assert uow.purchases.committed[purchase_id].participant_ids() == []


async def test_the_deadline_job_is_idempotent() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow, moq=Moq(units=1))
    await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert await uow.purchases.ids_due(LATER) == [purchase_id]
    await services.reach_deadline(uow, purchase_id, LATER)
    await services.reach_deadline(uow, purchase_id, LATER)
    assert [type(e) for e in uow.collected_events()].count(events.PurchaseStopped) == 1
    assert await uow.purchases.ids_due(LATER) == []


async def test_the_head_runs_the_purchase_to_the_end() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow, short_policy=ShortPolicy.ASK, moq=Moq(units=10))
    await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    await services.add_units(uow, purchase_id, B, "Bob", 1, 1, NOW, ADMITTED)
    await services.extend(uow, purchase_id, HEAD_ACTOR, LATER, NOW)
    await services.go_ahead_anyway(uow, purchase_id, HEAD_ACTOR)
    await services.request_withdrawal(uow, purchase_id, B, NOW)
    await services.decline_withdrawal(uow, purchase_id, HEAD_ACTOR, B, 1)
    await services.request_withdrawal(uow, purchase_id, B, NOW)
    _, preview = await services.withdrawal_preview(uow, purchase_id, HEAD_ACTOR, B, 2, NOW)
    assert uow.purchases.committed[purchase_id].participant_ids() == [A, B]  # only a preview
    impact = await services.accept_withdrawal(uow, purchase_id, HEAD_ACTOR, B, 2, NOW)
    assert impact is not None and impact.members_out == (B,)
    assert [m.member_id for m in impact.members] == [m.member_id for m in preview.members]
    await services.mark_ordered(uow, purchase_id, HEAD_ACTOR)
    await services.mark_arrived(uow, purchase_id, HEAD_ACTOR, [SLOT])
    code = uow.purchases.committed[purchase_id].pickup_codes[A]
    assert len(code) == 4
    assert set(code) <= set("ACDEFGHJKMNPQRTUVWXY34679")
    with pytest.raises(OpenBalances):  # Alice has not paid
        await services.complete(uow, purchase_id, HEAD_ACTOR)
    due = ledger.account_of(uow.purchases.committed[purchase_id], A).to_pay
    await services.hand_over(uow, purchase_id, HEAD_ACTOR, A, NOW, due)  # cash at pickup
    await services.complete(uow, purchase_id, HEAD_ACTOR)
    stored = uow.purchases.committed[purchase_id]
    assert ledger.account_of(stored, A).balance.minor == 0
    assert stored.status is PurchaseStatus.COMPLETED
    assert stored.participant_ids() == [A]
    assert [p.id for p in await uow.purchases.list_for_head(HEAD)] == [purchase_id]
    assert [p.id for p in await uow.purchases.list_for_member(A)] == [purchase_id]


async def test_stop_cancel_and_transfer_use_cases() -> None:
    uow = FakeUnitOfWork()
    first = await published(uow)
    await services.add_units(uow, first, A, "Alice", 1, 1, NOW, ADMITTED)
    await services.stop_now(uow, first, HEAD_ACTOR)
    await services.offer_transfer(uow, first, HEAD_ACTOR, A)
    await services.accept_transfer(uow, first, A, 1, NOW)
    assert uow.purchases.committed[first].head_id == A
    await services.reassign(uow, first, Actor(9, is_admin=True), HEAD, NOW)
    second = await published(uow)
    await services.cancel(uow, second, HEAD_ACTOR, "supplier closed")
    assert uow.purchases.committed[second].status is PurchaseStatus.CANCELLED


async def test_only_the_head_sees_participants() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert [p.name for p in await services.participant_list(uow, purchase_id, HEAD_ACTOR)] == [
        "Alice"
    ]
    with pytest.raises(NotAllowed):
        await services.participant_list(uow, purchase_id, Actor(A))


async def test_a_community_is_registered_once_and_keeps_its_settings() -> None:
    uow = FakeUnitOfWork()
    first = await services.register_community(uow, Community(-5, "Block 5", "UTC", "EUR", "en"))
    again = await services.register_community(uow, Community(-5, "Renamed", "UTC", "RUB", "ru"))
    assert again is first
    assert uow.communities.rows[-5].currency == "EUR"


async def test_a_redelivered_update_is_refused_on_entry() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    await services.add_units(uow.for_update(42), purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    with pytest.raises(AlreadyProcessed):
        await services.add_units(uow.for_update(42), purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert uow.purchases.committed[purchase_id].quantity(A, 1) == 1


async def test_a_conflict_is_retried_and_then_given_up() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    uow.conflicts_to_raise = 2
    view = await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert view.lines[0].quantity == 1
    uow.conflicts_to_raise = services.CONFLICT_RETRIES
    with pytest.raises(Conflict):
        await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    assert uow.purchases.committed[purchase_id].quantity(A, 1) == 1


async def test_taps_written_together_each_get_their_own_outcome() -> None:
    uow = FakeUnitOfWork()
    purchase_id = await published(uow, items=[item(1, stock=2, member_max=1)])
    uow.processed_updates.add(10)  # update 10 was handled before a crash: a redelivery now
    taps = [
        services.Tap(10, A, "A", 1, 1, NOW, ADMITTED),
        services.Tap(11, A, "A", 1, 1, NOW, ADMITTED),
        services.Tap(12, A, "A", 1, 1, NOW, ADMITTED),  # A's second unit: over the per-member max
        services.Tap(13, B, "B", 1, 1, NOW, ADMITTED),
        services.Tap(14, 3, "C", 1, 1, NOW, ADMITTED),  # stock 2 sold out: the purchase stopped
        services.Tap(15, 4, "D", 9, 1, NOW, ADMITTED),  # no such item
    ]
    commits = uow.commits
    outcomes = await services.add_units_together(uow, purchase_id, taps)
    assert uow.commits == commits + 1  # one transaction for all six
    assert isinstance(outcomes[0], AlreadyProcessed)
    assert [type(o).__name__ for o in outcomes[1:]] == [
        "MemberOrderView", "LimitExceeded", "MemberOrderView", "OrdersClosed", "NotFound",
    ]  # fmt: skip
    assert uow.purchases.committed[purchase_id].participant_ids() == [A, B]
    # Refused taps are not recorded as handled: redelivered, they are refused again.
    assert uow.processed_updates == {10, 11, 13}
    missing = await services.add_units_together(
        uow, 404, [services.Tap(20, A, "A", 1, 1, NOW, ADMITTED)]
    )
    assert isinstance(missing[0], NotFound)


async def test_a_strangers_tap_among_members_taps_is_refused_alone() -> None:
    """The membership rule in a batch: each tap is checked against the purchase with its own
    admission; the stranger's is refused and nothing of hers is saved, the others count."""
    uow = FakeUnitOfWork()
    purchase_id = await published(uow)
    community = uow.purchases.committed[purchase_id].community_id
    member, elsewhere = Admission(member_of=community), Admission(member_of=community + 1)
    taps = [
        services.Tap(30, A, "A", 1, 1, NOW, member),
        services.Tap(31, 3, "Stranger", 1, 1, NOW, NOBODY),
        services.Tap(32, 4, "Of another chat", 1, 1, NOW, elsewhere),
        services.Tap(33, B, "B", 1, 1, NOW, member),
        services.Tap(34, HEAD, "Head", 1, 1, NOW, NOBODY),  # her own purchase: no question
    ]
    outcomes = await services.add_units_together(uow, purchase_id, taps)
    assert [type(o).__name__ for o in outcomes] == [
        "MemberOrderView", "NotAMember", "NotAMember", "MemberOrderView", "MemberOrderView",
    ]  # fmt: skip
    assert uow.purchases.committed[purchase_id].participant_ids() == sorted([A, B, HEAD])
    assert uow.processed_updates == {30, 33, 34}
    # The same stranger, once the purchase is open to anyone with the link.
    opened = replace(uow.purchases.committed[purchase_id], open_to_link=True)
    uow.purchases.committed[purchase_id] = opened
    again = await services.add_units_together(
        uow, purchase_id, [services.Tap(35, 3, "Stranger", 1, 1, NOW, NOBODY)]
    )
    assert type(again[0]).__name__ == "MemberOrderView"
