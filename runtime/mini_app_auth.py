"""Who is asking, for a Mini App request: Telegram's `initData`, checked as Telegram specifies
(https://core.telegram.org/bots/webapps, "Validating data received via the Mini App").

The Telegram app signs the launch data with a key derived from the bot's token:
`secret_key = HMAC-SHA-256(key="WebAppData", message=bot_token)`, and the `hash` field is the
hex HMAC-SHA-256 of the data-check-string (every other field as `key=value`, sorted by key,
joined by line feeds) under that key. Only the bot can check it, and only a request whose
`auth_date` is recent is taken: an old one may be a copy replayed from somewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

# How long a Mini App session may go on with the data it was opened with; Telegram gives new
# data each time the app is opened. A day covers a member who leaves the page open.
MAX_AGE = timedelta(hours=24)
# A clock a little ahead of ours is a phone's clock, not a forgery.
CLOCK_SKEW = timedelta(minutes=5)
MAX_INIT_DATA_BYTES = 4096


class InitDataRefused(Exception):
    """The request does not carry valid, fresh launch data: answered 401, nothing changes."""


@dataclass(frozen=True)
class MiniAppUser:
    user_id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram puts beside these fields (what the sandbox signs with, too)."""
    message = data_check_string(fields).encode()
    return hmac.new(_secret_key(bot_token), message, hashlib.sha256).hexdigest()


def validate_init_data(init_data: str, bot_token: str, now: datetime) -> MiniAppUser:
    """The person the launch data was signed for, or InitDataRefused saying why."""
    if not init_data or len(init_data.encode()) > MAX_INIT_DATA_BYTES:
        raise InitDataRefused("no launch data")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused("launch data that is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRefused("a field given twice")
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), sign(fields, bot_token).encode()):
        raise InitDataRefused("launch data not signed for this bot")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InitDataRefused("launch data without a user") from None
    if signed_at > now + CLOCK_SKEW or now - signed_at > MAX_AGE:
        raise InitDataRefused("launch data too old; open the app again")
    return MiniAppUser(
        user_id, str(user.get("first_name", "")), user.get("language_code"), signed_at
    )
