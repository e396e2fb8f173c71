"""What the bot remembers of who is in which chat (runtime/membership.py), against a Bot
stand-in whose answers the test holds back: a change heard while a question is under way
wins over its answer; Telegram's "wait a moment" is waited out once; members are asked once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram import ChatMemberLeft, ChatMemberMember, User
from telegram.error import RetryAfter

from runtime.membership import Memberships

PERSON = User(7, "Nina", False)


class HeldBot:
    """Answers getChatMember with `answers`, in turn, each once `go` is set."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked = 0
        self.go = asyncio.Event()
        self.go.set()

    async def get_chat_member(self, chat_id: int, user_id: int) -> Any:
        self.asked += 1
        await self.go.wait()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_a_member_is_asked_once_then_remembered() -> None:
    bot, memory = HeldBot(ChatMemberMember(PERSON)), Memberships()
    assert await memory.is_member(bot, -1, 7)  # type: ignore[arg-type]
    assert await memory.is_member(bot, -1, 7)  # type: ignore[arg-type]
    assert bot.asked == 1


async def test_a_departure_heard_during_a_question_wins_over_its_answer() -> None:
    bot, memory = HeldBot(ChatMemberMember(PERSON)), Memberships()
    bot.go.clear()
    asking = asyncio.ensure_future(memory.is_member(bot, -1, 7))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    memory.heard(-1, 7, False)  # Telegram: she left, while the older answer was on its way
    bot.go.set()
    assert await asking is False
    assert not memory.known_in(-1, 7)


async def test_wait_a_moment_is_waited_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as the bot runs (bot/app.py)
    bot = HeldBot(RetryAfter(timedelta(seconds=0.01)), ChatMemberLeft(PERSON))
    assert await Memberships().is_member(bot, -1, 7) is False  # type: ignore[arg-type]
    assert bot.asked == 2
    twice = HeldBot(RetryAfter(timedelta(seconds=0.01)), RetryAfter(timedelta(seconds=0.01)))
    with pytest.raises(RetryAfter):
        await Memberships().is_member(twice, -1, 8)  # type: ignore[arg-type]
