"""Who may do what: the head of a purchase and platform admins manage it; the head's helpers
hand goods over at the pickup (and record the cash that changes hands then); nobody else
does anything of a purchase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.errors import N_, NotAllowed


@dataclass(frozen=True)
class Actor:
    """The person asking: a Telegram user id, and whether they are a platform admin."""

    user_id: int
    is_admin: bool = False


class HasHead(Protocol):
    @property
    def head_id(self) -> int: ...


def can_manage(purchase: HasHead, actor: Actor) -> bool:
    """Stop, edit, cancel, transfer, export and see the participants."""
    return actor.is_admin or actor.user_id == purchase.head_id


def ensure_can_manage(purchase: HasHead, actor: Actor) -> None:
    if not can_manage(purchase, actor):
        raise NotAllowed(N_("only the head of this purchase (or a platform admin) can do this"))


class HasHelpers(HasHead, Protocol):
    @property
    def helpers(self) -> dict[int, str]: ...


def can_hand_over(purchase: HasHelpers, actor: Actor) -> bool:
    """Hand goods over and record the cash that changes hands at the pickup."""
    return can_manage(purchase, actor) or actor.user_id in purchase.helpers


def ensure_can_hand_over(purchase: HasHelpers, actor: Actor) -> None:
    if not can_hand_over(purchase, actor):
        raise NotAllowed(N_("only the head of this purchase or their helpers can hand goods over"))
