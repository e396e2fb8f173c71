"""Who may order in a purchase: it belongs to its community. Joining and new or larger orders
are for the members of the community's chat now (as Telegram says when asked), unless the head
opened the purchase to anyone with the link; the purchase's own people (its head, her helpers)
and the platform's (admins, the campaign's operator, drivers) are not held to it. Someone who
already holds an order keeps seeing, paying for, withdrawing from and collecting it after she
leaves the chat: only raising it asks again.

Telegram is asked at the edge (the handlers, before any transaction); what it said comes into
the use case as an `Admission`, and the use cases that create or raise an order check it
against the purchase they loaded (`ensure_admitted`): one rule, whatever the way in.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import N_, NotAllowed
from domain.form_fields import FormError
from domain.purchase_state import PurchaseState


class NotAMember(NotAllowed):
    """The person is not in the purchase's community chat, and the purchase is for it."""


NOT_A_MEMBER = N_(
    "this purchase is for the members of its community chat; join that chat to take part"
)


@dataclass(frozen=True)
class Admission:
    """What the way in verified about the person before the use case ran: the chat Telegram
    just said they are a member of (None: not asked, or not a member), and whether they are
    the platform's own (an admin, a driver, the campaign's operator)."""

    member_of: int | None = None
    staff: bool = False


NOBODY = Admission()


def is_own(purchase: PurchaseState, person_id: int) -> bool:
    """The purchase's own people, who need no membership: its head and her helpers."""
    return person_id == purchase.head_id or person_id in purchase.helpers


def needs_membership(purchase: PurchaseState, person_id: int) -> bool:
    """Whether ordering here asks Telegram about the person at all."""
    return not purchase.open_to_link and not is_own(purchase, person_id)


def admitted(purchase: PurchaseState, person_id: int, admission: Admission) -> bool:
    return (
        not needs_membership(purchase, person_id)
        or admission.staff
        or admission.member_of == purchase.community_id
    )


def ensure_admitted(purchase: PurchaseState, person_id: int, admission: Admission) -> None:
    """Joining, or raising an order: refused for someone outside the community's chat."""
    if not admitted(purchase, person_id, admission):
        raise NotAMember(NOT_A_MEMBER)


def holds_stake(purchase: PurchaseState, person_id: int) -> bool:
    """She ordered here (and may have withdrawn since) or money moved for her: what is hers
    stays hers to see, pay, withdraw and collect, in the chat or not."""
    return (
        person_id in purchase.members
        or any(request.member_id == person_id for request in purchase.requests)
        or any(entry.member_id == person_id for entry in purchase.ledger)
    )


def may_see(purchase: PurchaseState, person_id: int, admission: Admission) -> bool:
    """Whether the purchase's prices and payment details may be shown to the person."""
    return admitted(purchase, person_id, admission) or holds_stake(purchase, person_id)


# The key of that line, in our three languages, and what it may say.
WHO_CAN_JOIN_KEYS = {
    "who can join": "who can join", "кто может участвовать": "who can join",
    "谁可以参加": "who can join",
}  # fmt: skip
LINK_WORDS = ("anyone with the link", "anyone", "link", "все по ссылке", "по ссылке", "все",
              "任何有链接的人", "有链接的人", "任何人", "链接")  # fmt: skip
MEMBER_WORDS = ("members", "chat members", "members of the chat", "участники", "участники чата",
                "群成员", "成员")  # fmt: skip


def parse_who_can_join(text: str) -> bool:
    """True for a purchase open to anyone with the link, False for the chat's members."""
    value = " ".join(text.lower().split()).rstrip(".")
    if value in LINK_WORDS:
        return True
    if value in MEMBER_WORDS:
        return False
    raise FormError(N_("write members or anyone with the link"))
