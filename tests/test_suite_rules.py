"""The suite's own rules, read from its source: a tap whose answer nobody reads could be refused
unnoticed (a card tapped while still a draft once was), and a helper that waits a fixed time
is either slow or flaky."""

from __future__ import annotations

import ast
from pathlib import Path

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
