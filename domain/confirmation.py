"""Steps a head cannot take back — stop, go ahead short of the minimum, cancel, mark ordered,
mark arrived, complete — are asked once before they happen. This module names the steps, the status
each one leads to, and what makes a "yes" still mean what was asked: it was pressed within
CONFIRM_WITHIN of the question, and the purchase has as many members as the question said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from domain.errors import N_, DomainError
from domain.money import Money
from domain.terms import PurchaseStatus

if TYPE_CHECKING:  # the purchase is built on this module's steps
    from domain.purchase import Purchase

# How long a question's "yes" stands: long enough to read it, short enough that a yes found
# in the chat next week does not act on a purchase that moved on.
CONFIRM_WITHIN = timedelta(minutes=10)


class Step(Enum):
    STOP = "stop"
    GO_AHEAD = "go ahead"
    CANCEL = "cancel"
    ORDERED = "ordered"
    ARRIVED = "arrived"
    COMPLETE = "complete"


LEADS_TO = {
    Step.STOP: PurchaseStatus.STOPPED,
    Step.GO_AHEAD: PurchaseStatus.STOPPED,
    Step.CANCEL: PurchaseStatus.CANCELLED,
    Step.ORDERED: PurchaseStatus.ORDERED,
    Step.ARRIVED: PurchaseStatus.ARRIVED,
    Step.COMPLETE: PurchaseStatus.COMPLETED,
}


class StaleAnswer(DomainError):
    """A "yes" pressed under a question that no longer says what would happen."""


class AlreadyTaken(DomainError):
    """A "yes" pressed again, or under a question the purchase has already answered."""


@dataclass(frozen=True)
class Asked:
    """What a question said, carried by its "yes" button: when it was asked and to how many
    members the step would happen."""

    at: datetime
    members: int


@dataclass(frozen=True)
class StepQuestion:
    """What the question before a step says: the purchase, how many members the step
    reaches, and the money they paid that a cancel leaves to give back (and by how many)."""

    purchase: Purchase
    members: int
    collected: Money
    paid_by: int


def ensure_fresh(asked_at: datetime, now: datetime) -> None:
    """Refuse a "yes" older than CONFIRM_WITHIN, or from a time that has not come (forged)."""
    if not timedelta(0) <= now - asked_at <= CONFIRM_WITHIN:
        raise StaleAnswer(N_("this question is too old: open the panel and ask again"))


def ensure_still_meant(
    asked: Asked, step: Step, status: PurchaseStatus, members: int, now: datetime
) -> None:
    """Refuse a "yes" that is repeated, too old, from a clock that has not come yet (forged),
    or asked when a different number of members would have been told."""
    if status is LEADS_TO[step]:
        raise AlreadyTaken(N_("this is done already: the purchase is {status}"), status=status)
    ensure_fresh(asked.at, now)
    if members != asked.members:
        raise StaleAnswer(N_("members joined or left since I asked: open the panel and ask again"))
