"""Who may order in a purchase, as the domain says it (domain/membership.py): the chat's
members, the purchase's own people, the platform's, anyone when it is open to the link; what
a person who ordered keeps; and the `Who can join:` line in three languages."""

from __future__ import annotations

import pytest

from domain.form_fields import FormError
from domain.membership import (
    NOBODY,
    Admission,
    NotAMember,
    admitted,
    ensure_admitted,
    holds_stake,
    may_see,
    parse_who_can_join,
)
from domain.permissions import Actor
from tests.support.builders import HEAD, NOW, purchase

CHAT = -100  # the builders' community
STRANGER, HELPER, MEMBER = 1, 2, 3


def test_the_chat_s_members_and_the_purchase_s_own_people_are_admitted() -> None:
    bought = purchase()
    bought.add_helper(Actor(HEAD), HELPER, "Hal")
    assert admitted(bought, MEMBER, Admission(member_of=CHAT))
    assert admitted(bought, HEAD, NOBODY) and admitted(bought, HELPER, NOBODY)
    assert admitted(bought, STRANGER, Admission(staff=True))  # an admin, a driver, the operator
    assert not admitted(bought, STRANGER, NOBODY)
    assert not admitted(bought, STRANGER, Admission(member_of=CHAT - 1))  # another chat's
    with pytest.raises(NotAMember):
        ensure_admitted(bought, STRANGER, Admission(member_of=CHAT - 1))


def test_a_purchase_open_to_anyone_with_the_link_admits_anyone() -> None:
    assert admitted(purchase(open_to_link=True), STRANGER, NOBODY)


def test_what_someone_ordered_stays_hers_to_see_after_she_withdrew() -> None:
    bought = purchase()
    assert not holds_stake(bought, MEMBER) and not may_see(bought, MEMBER, NOBODY)
    bought.add_units(MEMBER, "Mia", 1, 1, NOW)
    bought.add_units(MEMBER, "Mia", 1, -1, NOW)  # all taken back: her line is in the log
    assert holds_stake(bought, MEMBER) and may_see(bought, MEMBER, NOBODY)
    assert not may_see(bought, STRANGER, NOBODY)


@pytest.mark.parametrize(
    ("typed", "open_to_link"),
    [
        ("anyone with the link", True), ("Anyone  with the LINK.", True), ("members", False),
        ("все по ссылке", True), ("участники чата", False), ("任何有链接的人", True),
        ("群成员", False),
    ],
)  # fmt: skip
def test_who_can_join_reads_in_three_languages(typed: str, open_to_link: bool) -> None:
    assert parse_who_can_join(typed) is open_to_link


def test_who_can_join_refuses_anything_else() -> None:
    with pytest.raises(FormError, match="members or anyone with the link"):
        parse_who_can_join("my friends")
