"""The bot token never reaches a log line, whatever logs it."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import RedactingFormatter

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"


def format_line(message: str, *args: object, secrets: tuple[str, ...] = (TOKEN,)) -> str:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, message, args, None)
    return RedactingFormatter("%(message)s", secrets).format(record)


def test_the_configured_token_is_redacted_from_a_request_url() -> None:
    line = format_line("POST %s", f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    assert TOKEN not in line
    assert line == "POST https://api.telegram.org/bot[redacted]/getUpdates"


def test_anything_shaped_like_a_token_is_redacted_even_if_not_configured() -> None:
    other = "987654321:ZZZotherTokenPastedByAUser_0123456789"
    assert other not in format_line("user said %s", other, secrets=())


def test_a_traceback_mentioning_the_token_is_redacted() -> None:
    formatter = RedactingFormatter("%(message)s", (TOKEN,))
    try:
        raise RuntimeError(f"cannot reach /bot{TOKEN}/getMe")
    except RuntimeError:
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "boom", (), None)
        import sys

        record.exc_info = sys.exc_info()
    assert TOKEN not in formatter.format(record)


@pytest.mark.parametrize("harmless", ["order 12345:67 ready", "ratio 3:1"])
def test_ordinary_text_with_colons_is_left_alone(harmless: str) -> None:
    assert format_line(harmless) == harmless


@pytest.mark.parametrize("token", ["284685063:TEST:NThlNjJhZDU4YjYx", "350862534:LIVE:ZTA0-x_y="])
def test_a_payment_provider_token_is_redacted_wherever_it_came_from(token: str) -> None:
    line = format_line("sendInvoice with {'provider_token': '%s', 'currency': 'EUR'}", token)
    assert token not in line and "'provider_token': '[redacted]'" in line
