"""The member's pickup QR code: a deep link into the bot carrying an unguessable token (drawn
by the storage with the pickup code). The head or a helper scans it with the phone's camera,
Telegram opens the bot with /start, and the handover opens (handlers/pickup.py)."""

from __future__ import annotations

import io
import re

PREFIX = "h"
# What secrets.token_urlsafe(16) gives: 22 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"h([A-Za-z0-9_-]{22})")


def pickup_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={PREFIX}{token}"


def token_in(start_payload: str) -> str | None:
    """The pickup token a /start payload carries, if it is one."""
    match = TOKEN_PATTERN.fullmatch(start_payload)
    return match[1] if match else None


def qr_png(data: str) -> bytes:
    """A PNG of a QR code for `data`, large enough to scan off a phone's screen."""
    # Imported here: only the outbox's sending of a QR code needs segno, so a process that
    # sends none never loads it; the first code pays the import once.
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
