"""Logging, set up once for the process, with the bot token (and payment provider tokens)
redacted from every line."""

from __future__ import annotations

import logging
import re

# A Telegram token looks like "123456789:AA...": redact anything of that shape, not only the
# configured token, so a token pasted into a message or a URL never reaches the log either.
TOKEN_PATTERN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")
# A payment provider token ("284685063:TEST:..." or ":LIVE:"), the platform's or one a chat
# admin gave their community: none of them is in the settings' list of secrets.
PROVIDER_TOKEN_PATTERN = re.compile(r"\b\d+:(?:TEST|LIVE):[^\s'\",:}]+")
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    """Formats a record as usual, then removes secrets from the finished line (tracebacks too)."""

    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self._secrets = tuple(secret for secret in secrets if secret)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return PROVIDER_TOKEN_PATTERN.sub(REDACTED, TOKEN_PATTERN.sub(REDACTED, line))


def setup_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Send plain-text log lines to stderr; replaces any handlers set before."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL carries the token: keep it at WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
