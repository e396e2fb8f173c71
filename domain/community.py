"""A community: a Telegram group where purchases run, with its own timezone, currency, language."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TypedDict, cast

from domain.geo import PickupPoint


class OpenRule(StrEnum):
    """Who may open purchases in the community."""

    ANYONE = "anyone"
    ADMINS = "admins"


@dataclass
class Community:
    chat_id: int
    title: str
    timezone: str
    currency: str
    language: str
    open_rule: OpenRule = OpenRule.ANYONE
    # Where it is, as campaigns name the regions they serve ("North", "River district").
    region: str = ""
    # Where its goods are unloaded and picked up, on the map (the delivery routes' stop).
    pickup: PickupPoint | None = None
    # Telegram Payments with the community's own provider (a chat admin set it): its members'
    # invoices are paid to that account. A secret: kept out of the repr, so out of logs.
    payment_token: str | None = field(default=None, repr=False)

    def may_open_purchases(self, is_chat_admin: bool) -> bool:
        return self.open_rule is OpenRule.ANYONE or is_chat_admin


class CommunityChange(TypedDict, total=False):
    """Settings to write, and only these: a community is changed by column, never saved
    whole, so two changes at once (a setting, a token removed) do not undo each other."""

    timezone: str
    currency: str
    language: str
    open_rule: OpenRule
    region: str
    pickup: PickupPoint | None
    payment_token: str | None


def changes_between(before: Community, after: Community) -> CommunityChange:
    """The settings `after` changes of `before` (the chat and its title are not settings)."""
    changed = {
        f.name: getattr(after, f.name)
        for f in fields(Community)
        if f.name in CommunityChange.__annotations__
        and getattr(before, f.name) != getattr(after, f.name)
    }
    return cast(CommunityChange, changed)
