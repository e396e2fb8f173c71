"""The suite's own rules, read from its source: a tap whose answer nobody reads could be refused
unnoticed (a card tapped while still a draft once was), and a helper that waits a fixed time
is either slow or flaky."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tests.support.running import sandbox_running

TESTS = Path(__file__).resolve().parent


def calls_dropped(tree: ast.AST, method: str) -> list[ast.Call]:
    """`await x.<method>(...)` used as a statement: its result is thrown away."""
    dropped = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Await)):
            continue
        call = node.value.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == method
        ):
            dropped.append(call)
    return dropped


def test_every_tap_whose_answer_is_dropped_states_the_answer_it_expects() -> None:
    unchecked = [
        f"{path.relative_to(TESTS)}:{call.lineno}"
        for path in sorted(TESTS.rglob("*.py"))
        for call in calls_dropped(ast.parse(path.read_text()), "tap")
        if not any(keyword.arg == "answer" for keyword in call.keywords)
    ]
    assert unchecked == []


def test_the_helpers_wait_for_what_they_need_never_a_fixed_time() -> None:
    sleeping = [
        f"{path.name}:{function.name}"
        for path in sorted((TESTS / "support").glob("*.py"))
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "sleep"
    ]
    assert sleeping == ["running.py:eventually"]  # its poll between two looks at the condition


async def test_a_tap_answered_otherwise_than_stated_fails_where_it_happens() -> None:
    async with sandbox_running() as sandbox:
        alice = sandbox.user("Alice")
        alice.started_bot = True
        emulator = sandbox.emulator
        async with Bot(emulator.token, base_url=emulator.base_url) as bot:
            button = InlineKeyboardButton("+1 Honey", callback_data="j")
            sent = await bot.send_message(
                alice.id, "🛒", reply_markup=InlineKeyboardMarkup([[button]])
            )
            card = emulator.messages[(alice.id, sent.message_id)]

            async def answered(text: str, expected: str) -> None:
                tap = asyncio.create_task(sandbox.tap(alice, card, "+1 Honey", answer=expected))
                await emulator.wait_until(
                    lambda: any(not p.answer for p in emulator.callbacks.values())
                )
                pending = next(p for p in emulator.callbacks.values() if not p.answer)
                await bot.answer_callback_query(pending.id, text)
                await tap

            await answered("You're in: 1 × Honey", "You're in: 1 × Honey")
            await answered("", "")
            with pytest.raises(AssertionError, match="was answered 'Not added: closed'"):
                await answered("Not added: closed", "You're in")
            with pytest.raises(AssertionError, match=r"was answered 'Done\.'"):
                await answered("Done.", "")
