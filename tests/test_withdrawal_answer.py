"""The head's first "accept" of a withdrawal request: at once while amounts are estimates,
else what letting the member go would change, shown before anything is saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from domain import services
from domain.permissions import Actor
from domain.purchase import Moq, PurchaseStatus, ShortPolicy
from tests.support.builders import ADMITTED, HEAD, NOW, purchase
from tests.support.fake_uow import FakeUnitOfWork

A, B = 1, 2
PAST_DEADLINE = NOW + timedelta(days=3, hours=1)


async def waiting_for_the_head() -> tuple[FakeUnitOfWork, int]:
    """Short of its minimum at the deadline, the purchase waits open for the head's choice;
    Bob asks to withdraw meanwhile."""
    uow = FakeUnitOfWork()
    draft = replace(
        purchase(status=PurchaseStatus.DRAFT, short_policy=ShortPolicy.ASK, moq=Moq(units=10)),
        id=0,
    )
    purchase_id = await services.publish_purchase(uow, draft, NOW, Decimal(10))
    await services.add_units(uow, purchase_id, A, "Alice", 1, 1, NOW, ADMITTED)
    await services.add_units(uow, purchase_id, B, "Bob", 1, 1, NOW, ADMITTED)
    await services.reach_deadline(uow, purchase_id, PAST_DEADLINE)
    await services.request_withdrawal(uow, purchase_id, B, PAST_DEADLINE)
    return uow, purchase_id


async def test_before_the_stop_the_member_goes_at_once() -> None:
    uow, purchase_id = await waiting_for_the_head()
    assert uow.purchases.committed[purchase_id].status is PurchaseStatus.OPEN
    preview = await services.accept_or_preview_withdrawal(
        uow, purchase_id, Actor(HEAD), B, 1, PAST_DEADLINE
    )
    assert preview is None
    assert uow.purchases.committed[purchase_id].participant_ids() == [A]


async def test_after_the_stop_the_head_sees_the_change_first() -> None:
    uow, purchase_id = await waiting_for_the_head()
    await services.go_ahead_anyway(uow, purchase_id, Actor(HEAD))
    commits = uow.commits
    preview = await services.accept_or_preview_withdrawal(
        uow, purchase_id, Actor(HEAD), B, 1, PAST_DEADLINE
    )
    assert preview is not None
    shown, impact = preview
    assert shown.status is not PurchaseStatus.OPEN
    assert impact.members_out == (B,)
    assert uow.commits == commits  # only shown: nothing saved
    assert uow.purchases.committed[purchase_id].participant_ids() == [A, B]
