"""Who is in which community chat now, as Telegram says (getChatMember), remembered so that a
member's taps cost no API call each: "in" for minutes, "out" for seconds (someone refused who
joins the chat is let in moments later), and either dropped or set at once when Telegram tells
the bot of a change (a `chat_member` update, a member joining or leaving in the chat). With
several processes, such a change is told to the others too (`told`, bot/cluster.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from cachetools import TTLCache
from telegram import Bot, ChatMember
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, RetryAfter

from runtime.metrics import MEMBERSHIP_CHECKS

# A member stays known this long: someone removed from the chat may still order for up to
# this long where the bot does not hear of it (no chat_member updates without admin rights).
IN_FOR_SECONDS = 300.0
# A refusal stays known this long: a stranger's flood costs one API call per this long, and
# someone who joins the chat a moment after being refused is let in soon after.
OUT_FOR_SECONDS = 2.0
KEPT = 100_000  # (chat, person) pairs remembered each way; the oldest go first
# Telegram's "ask again in a moment" is waited out once, if the moment is this short.
RETRY_WITHIN_SECONDS = 5.0


IN = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER})


def is_in(member: ChatMember) -> bool:
    """Creator, administrator and member are in; restricted counts while still a member;
    left and kicked (banned) are out."""
    if member.status in IN:
        return True
    return member.status == ChatMemberStatus.RESTRICTED and getattr(member, "is_member", False)


class Memberships:
    def __init__(
        self, in_for: float = IN_FOR_SECONDS, out_for: float = OUT_FOR_SECONDS, kept: int = KEPT
    ) -> None:
        self._in: TTLCache[tuple[int, int], bool] = TTLCache(maxsize=kept, ttl=in_for)
        self._out: TTLCache[tuple[int, int], bool] = TTLCache(maxsize=kept, ttl=out_for)
        # When a change was last heard of each pair (a count of changes in this process): an
        # answer to a question asked before it is older than it, and is not remembered over it.
        self._changes_heard = 0
        self._changed: TTLCache[tuple[int, int], int] = TTLCache(maxsize=kept, ttl=in_for)
        # Told of every change Telegram reported, so that other processes hear it too.
        self.told: Callable[[int, int, bool], None] = lambda _chat, _person, _is_in: None

    def known_in(self, chat_id: int, user_id: int) -> bool:
        """Whether the person is remembered to be in the chat (no question asked)."""
        return (chat_id, user_id) in self._in

    async def is_member(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Whether the person is in the chat now. Telegram not answering (a time-out, a 429
        longer than a moment) is raised as its error: nobody is let in, or turned away, on a
        guess."""
        key = (chat_id, user_id)
        if key in self._in or key in self._out:
            MEMBERSHIP_CHECKS.labels("remembered").inc()
            return key in self._in
        MEMBERSHIP_CHECKS.labels("asked").inc()
        asked_at = self._changes_heard
        verdict = await self._ask(bot, chat_id, user_id)
        if self._changed.get(key, 0) > asked_at:  # a change was heard meanwhile: it is newer
            return key in self._in
        self._remember(key, verdict)
        return verdict

    @staticmethod
    async def _ask(bot: Bot, chat_id: int, user_id: int, again: bool = True) -> bool:
        try:
            return is_in(await bot.get_chat_member(chat_id, user_id))
        except (BadRequest, Forbidden):  # no such person or chat, or the bot is not in it
            return False
        except RetryAfter as error:
            delay = error.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            if not again or seconds > RETRY_WITHIN_SECONDS:
                raise
            await asyncio.sleep(seconds)
            return await Memberships._ask(bot, chat_id, user_id, again=False)

    def _remember(self, key: tuple[int, int], verdict: bool) -> None:
        self._in.pop(key, None)
        self._out.pop(key, None)
        (self._in if verdict else self._out)[key] = True

    def note(self, chat_id: int, user_id: int, verdict: bool) -> None:
        """A change Telegram reported (here, or to another process): it wins over any answer
        to a question asked before it."""
        key = (chat_id, user_id)
        self._changes_heard += 1
        self._changed[key] = self._changes_heard
        self._remember(key, verdict)

    def heard(self, chat_id: int, user_id: int, verdict: bool) -> None:
        """A change Telegram reported to the bot: noted here and told to the other processes."""
        self.note(chat_id, user_id, verdict)
        self.told(chat_id, user_id, verdict)
