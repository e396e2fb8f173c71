"""What a person may ask of what the bot holds about her: to see it, and to be forgotten.

Forgetting works purchase by purchase, by where each one stands (`step_for`): an open
purchase lets her go as a withdrawal does; a finished one keeps its amounts for the head's
books under a pseudonym; one past the stop, where she is bound to pay or collect, keeps her
until it ends and then forgets her. A person who leads, helps, drives or runs campaigns holds
records others depend on: she is told why not yet (`refusal`), and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import N_
from domain.purchase import FINISHED, RUNNING, Purchase, PurchaseStatus

# Telegram's ids fit in 52 bits, chats' negative ids too: a pseudonym below -2**53 can never
# be a person or a chat the bot could write to, yet fits the 64-bit id columns.
PSEUDONYM_FLOOR = -(2**53)


def is_pseudonym(user_id: int) -> bool:
    return user_id < PSEUDONYM_FLOOR


def next_pseudonym(taken: Iterable[int]) -> int:
    """The next free pseudonym in one purchase: "Member #1" is the first one forgotten there,
    so the head's books read as a numbered list and the ids stay unique within the purchase."""
    lowest = min((t for t in taken if is_pseudonym(t)), default=PSEUDONYM_FLOOR)
    return lowest - 1


def pseudonym_number(pseudonym: int) -> int:
    return PSEUDONYM_FLOOR - pseudonym


def pseudonym_name(pseudonym: int) -> str:
    return f"Member #{pseudonym_number(pseudonym)}"


class Step(StrEnum):
    """What forgetting does in one purchase."""

    WITHDRAW = "withdraw"  # orders are open and she has an order: she leaves, as a withdrawal
    FORGET = "forget"  # her name and id are replaced by a pseudonym now
    AT_END = "at_end"  # after the stop she is bound to it: replaced when it completes


def bound_to(purchase: Purchase, user_id: int) -> bool:
    """Whether she has goods or money on record in the purchase."""
    return (
        purchase.takes_part(user_id)
        or user_id in purchase.pickup_codes
        or any(entry.member_id == user_id for entry in purchase.ledger)
        or any(claim.member_id == user_id for claim in purchase.claims)
    )


def leads(purchase: Purchase, user_id: int) -> bool:
    """She leads it (or is offered to) or helps at its pickup while it still runs."""
    return purchase.status in RUNNING and (
        user_id in (purchase.head_id, purchase.pending_head_id) or user_id in purchase.helpers
    )


def step_for(purchase: Purchase, user_id: int, now: datetime) -> Step:
    """What forgetting `user_id` does in this purchase (one she does not lead: see `leads`)."""
    if purchase.status in FINISHED:
        return Step.FORGET
    if purchase.accepts_orders(now) and purchase.takes_part(user_id):
        return Step.WITHDRAW
    if purchase.status is not PurchaseStatus.DRAFT and bound_to(purchase, user_id):
        return Step.AT_END
    return Step.FORGET


class Role(StrEnum):
    HEAD = "head"
    HELPER = "helper"
    DRIVER = "driver"
    OPERATOR = "operator"


# Why a role holds forgetting back, said to her in her language.
REFUSALS = {
    Role.HEAD: N_(
        "You lead {titles}: its members count on you. Finish it or hand it over to another "
        "member (Hand over in /purchases), then ask again."
    ),
    Role.HELPER: N_(
        "You help hand goods over in {titles}. Ask its head to remove you as a helper, or "
        "wait until it ends, then ask again."
    ),
    Role.DRIVER: N_(
        "You drive delivery lines for the platform, whose records name you. Ask the "
        "platform's admins to end your role and forget you."
    ),
    Role.OPERATOR: N_(
        "You run campaigns for the platform, whose records name you. Ask the platform's "
        "admins to end your role and forget you."
    ),
}


@dataclass(frozen=True)
class Refusal:
    role: Role
    titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErasurePlan:
    """What forgetting a person does (or did): purchase titles per step, or why not."""

    refusal: Refusal | None
    withdraw: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()
    at_end: tuple[str, ...] = ()
    # The open purchases she leaves: their cards show one member fewer.
    cards: tuple[int, ...] = ()

    @property
    def purchases(self) -> int:
        return len(self.withdraw) + len(self.forget) + len(self.at_end)


def plan(
    purchases: Iterable[Purchase], user_id: int, now: datetime, role: Role | None
) -> ErasurePlan:
    """The plan over every purchase that names her; a platform `role` refuses it first."""
    purchases = list(purchases)
    if role is not None:
        return ErasurePlan(Refusal(role))
    for held in (Role.HEAD, Role.HELPER):
        titles = tuple(
            p.title
            for p in purchases
            if leads(p, user_id)
            and (user_id in p.helpers) == (held is Role.HELPER)
            and not (held is Role.HELPER and user_id in (p.head_id, p.pending_head_id))
        )
        if titles:
            return ErasurePlan(Refusal(held, titles))
    steps: dict[Step, list[Purchase]] = {step: [] for step in Step}
    for purchase in purchases:
        steps[step_for(purchase, user_id, now)].append(purchase)
    withdraw, forget, at_end = (tuple(p.title for p in steps[step]) for step in Step)
    return ErasurePlan(None, withdraw, forget, at_end, tuple(p.id for p in steps[Step.WITHDRAW]))


# Where an event's payload names a person: a single id, or a list of them; `members` holds
# one dict per member whose amounts moved (domain.events.AmountsChanged).
ID_KEYS = frozenset(
    {"member_id", "user_id", "to_member_id", "old_head_id", "new_head_id", "head_id", "by"}
)
ID_LIST_KEYS = frozenset({"member_ids", "members_out"})


def rename_in_payload(payload: Any, old: int, new: int) -> Any:
    """A stored event's payload with `old` replaced by `new` wherever it names a person
    (amounts and item numbers that happen to equal the id are left alone)."""
    if isinstance(payload, list):
        return [rename_in_payload(value, old, new) for value in payload]
    if not isinstance(payload, dict):
        return payload
    renamed: dict[str, Any] = {}
    for key, value in payload.items():
        if key in ID_KEYS and value == old:
            renamed[key] = new
        elif key in ID_LIST_KEYS and isinstance(value, list):
            renamed[key] = [new if v == old else v for v in value]
        else:
            renamed[key] = rename_in_payload(value, old, new)
    return renamed
