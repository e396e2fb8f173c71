"""Each handlers module lists its own handlers and the Application factory only collects them:
every button action is answered by exactly one handler, every command the bot offers is
handled, and the catch-all for unknown buttons comes last."""

from __future__ import annotations

from collections import Counter

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import build_application
from bot.settings import Settings
from texts.callback_data import ARITY, Action, encode


def application_handlers() -> list[object]:
    settings = Settings(bot_token="1:registration", _env_file=None)  # type: ignore[call-arg]
    application = build_application(settings)
    return [h for group in sorted(application.handlers) for h in application.handlers[group]]


def _answers(handler: CallbackQueryHandler[object, object], data: str) -> bool:
    pattern = handler.pattern
    if callable(pattern):
        return bool(pattern(data))
    return pattern is not None and not isinstance(pattern, type) and bool(pattern.match(data))


def test_every_button_action_has_exactly_one_handler_and_unknown_ones_come_last() -> None:
    handlers = application_handlers()
    buttons = [h for h in handlers if isinstance(h, CallbackQueryHandler)]
    assert buttons[-1].pattern is None  # the catch-all, after every specific one
    for action in Action:
        data = encode(action, *([1] * ARITY[action]))
        answering = [h for h in buttons[:-1] if _answers(h, data)]
        assert len(answering) == 1, (action, answering)


def test_commands_are_handled_once_each() -> None:
    commands = Counter(
        command
        for handler in application_handlers()
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    )
    offered = ("start", "help", "new", "orders", "purchases", "language", "settings", "paid",
               "refund", "supply", "edit", "arrived", "message", "helper")  # fmt: skip
    for command in offered:
        assert commands[command] >= 1, command
    # /start and /new each have the wizard's (a link, a private chat) and one other; /orders
    # has the private chat's list and the group's pointer to it.
    assert {c: n for c, n in commands.items() if n > 1} == {"start": 2, "new": 2, "orders": 2}
