"""A community: a Telegram group where purchases run, with its own timezone, currency, language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

    def may_open_purchases(self, is_chat_admin: bool) -> bool:
        return self.open_rule is OpenRule.ANYONE or is_chat_admin
