"""Who is asking, for a Mini App request: Telegram's `initData`, checked as Telegram specifies
(https://core.telegram.org/bots/webapps, "Validating data received via the Mini App"), traded
once for a short session the page sends with each request; and the photos' signed addresses.

The Telegram app signs the launch data with a key derived from the bot's token:
`secret_key = HMAC-SHA-256(key="WebAppData", message=bot_token)`, and the `hash` field is the
hex HMAC-SHA-256 of the data-check-string (every other field as `key=value`, sorted by key,
joined by line feeds) under that key. Only the bot can check it, and only a request whose
`auth_date` is recent is taken: an old one may be a copy replayed from somewhere.

Sessions and photo addresses are signed by the bot itself, each under a key derived from the
bot's token the same way with a label of its own: no key opens another's data, and every
process of the bot (webhook workers behind a load balancer) checks what any of them signed,
with nothing shared but the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

# Telegram gives new launch data each time the app is opened; the page trades it at once for a
# session, so this is how long a page left open may still renew its session.
MAX_AGE = timedelta(hours=1)
# A clock a little ahead of ours is a phone's clock, not a forgery.
CLOCK_SKEW = timedelta(minutes=5)
MAX_INIT_DATA_BYTES = 4096
# A session is short, so one copied from a device is worth little; the page trades the launch
# data again when it lapses, never beyond the launch data's hour.
SESSION_LIFE = timedelta(minutes=15)
MAX_SESSION_BYTES = 1024
# A photo's address is signed for its purchase and item until a moment at least PHOTO_LIFE
# away, rounded up to PHOTO_STEP: the catalog hands out the same address for a while, so the
# browser's cache serves it again.
PHOTO_LIFE = timedelta(minutes=15)
PHOTO_STEP = timedelta(minutes=5)

_SESSION_LABEL = b"GroupBuy Mini App session"
_PHOTO_LABEL = b"GroupBuy Mini App photo"


class InitDataRefused(Exception):
    """The request does not carry valid, fresh launch data: answered 401, nothing changes."""


class SessionRefused(Exception):
    """A missing, forged, lapsed or another purchase's session (or photo address): 401."""


@dataclass(frozen=True)
class MiniAppUser:
    user_id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


@dataclass(frozen=True)
class Session:
    token: str
    expires: datetime


def _key(label: bytes, bot_token: str) -> bytes:
    return hmac.new(label, bot_token.encode(), hashlib.sha256).digest()


def _secret_key(bot_token: str) -> bytes:
    return _key(b"WebAppData", bot_token)


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
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataRefused("launch data without a user") from None
    if signed_at > now + CLOCK_SKEW or now - signed_at > MAX_AGE:
        raise InitDataRefused("launch data too old; open the app again")
    return MiniAppUser(
        user_id, str(user.get("first_name", "")), user.get("language_code"), signed_at
    )


def claimed_language(init_data: str) -> tuple[int | None, str | None]:
    """Who launch data says it is for and their app's language, unchecked: only to choose the
    language its refusal is told in."""
    try:
        user = json.loads(dict(parse_qsl(init_data[:MAX_INIT_DATA_BYTES])).get("user", "{}"))
        user_id, language = user.get("id"), user.get("language_code")
    except (ValueError, AttributeError, RecursionError):  # whatever a stranger sends
        return None, None
    return (user_id if isinstance(user_id, int) else None,
            language if isinstance(language, str) else None)  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(label: bytes, bot_token: str, message: str) -> str:
    return _b64(hmac.new(_key(label, bot_token), message.encode(), hashlib.sha256).digest())


def open_session(person: MiniAppUser, purchase_id: int, bot_token: str, now: datetime) -> Session:
    """A session for this person and this purchase only, until SESSION_LIFE from now or the
    launch data's hour ends, whichever comes first."""
    expires = min(now + SESSION_LIFE, person.auth_date + MAX_AGE)
    claims = {
        "p": purchase_id, "u": person.user_id, "n": person.first_name,
        "l": person.language_code, "a": int(person.auth_date.timestamp()),
        "e": int(expires.timestamp()),
    }  # fmt: skip
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return Session(f"{payload}.{_mac(_SESSION_LABEL, bot_token, payload)}", expires)


def check_session(token: str, purchase_id: int, bot_token: str, now: datetime) -> MiniAppUser:
    """The person a session this bot opened names, if it is for this purchase and not over."""
    payload, _, mac = token.partition(".")
    if not payload or len(token) > MAX_SESSION_BYTES:
        raise SessionRefused("no session")
    if not hmac.compare_digest(mac.encode(), _mac(_SESSION_LABEL, bot_token, payload).encode()):
        raise SessionRefused("a session this bot did not open")
    try:
        claims = json.loads(_unb64(payload))
        person = MiniAppUser(int(claims["u"]), str(claims["n"]), claims["l"],
                             datetime.fromtimestamp(int(claims["a"]), UTC))  # fmt: skip
        expires = datetime.fromtimestamp(int(claims["e"]), UTC)
        for_purchase = int(claims["p"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError, binascii.Error):
        raise SessionRefused("a session that cannot be read") from None
    if for_purchase != purchase_id:
        raise SessionRefused("a session for another purchase")
    if now >= expires:
        raise SessionRefused("the session is over")
    return person


def photo_expiry(now: datetime) -> int:
    """Until when (Unix seconds) a photo's address handed out now works."""
    step = int(PHOTO_STEP.total_seconds())
    return -(-int((now + PHOTO_LIFE).timestamp()) // step) * step


def sign_photo(bot_token: str, purchase_id: int, item_id: int, expires: int) -> str:
    return _mac(_PHOTO_LABEL, bot_token, f"{purchase_id}/{item_id}/{expires}")


def check_photo(
    bot_token: str, purchase_id: int, item_id: int, expires: str, signature: str, now: datetime
) -> datetime:
    """When a photo's address stops working, if the bot signed it for this item and it works."""
    try:
        until = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, OverflowError, OSError):  # OSError: a year no clock has
        raise SessionRefused("a photo address without its expiry") from None
    expected = sign_photo(bot_token, purchase_id, item_id, int(expires))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise SessionRefused("a photo address this bot did not sign")
    if now >= until:
        raise SessionRefused("the photo's address is over")
    return until
