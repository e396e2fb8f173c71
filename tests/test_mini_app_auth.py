"""The Mini App's launch data checked as Telegram documents it: a known-good vector computed
here step by step from the algorithm's text, and every forged, stale, tampered or foreign one
refused; the sessions and photo addresses the bot signs, under keys of their own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest

from runtime.mini_app_auth import (
    InitDataRefused,
    SessionRefused,
    check_photo,
    check_session,
    claimed_language,
    open_session,
    photo_expiry,
    sign,
    sign_photo,
    validate_init_data,
)

TOKEN = "123456:TEST-token-for-the-vector"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
USER = {"id": 10002, "first_name": "Alice", "language_code": "ru"}


def launch_data(token: str = TOKEN, auth_date: datetime = NOW, **extra: str) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":")),
        "auth_date": str(int(auth_date.timestamp())),
    } | extra
    return urlencode(fields | {"hash": sign(fields, token)}, quote_via=quote)


def test_a_known_good_vector_computed_from_the_documented_algorithm() -> None:
    user = json.dumps(USER, separators=(",", ":"))
    auth_date = str(int(NOW.timestamp()))
    # "Data-check-string is a chain of all received fields, sorted alphabetically, in the
    # format key=<value> with a line feed character as separator."
    check = f"auth_date={auth_date}\nquery_id=AAHdF6IQAAAAAN0XohDhrOrc\nuser={user}"
    # "secret_key = HMAC_SHA256(<bot_token>, "WebAppData")" — the constant is the key.
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    data = f"query_id=AAHdF6IQAAAAAN0XohDhrOrc&user={quote(user)}&auth_date={auth_date}"
    person = validate_init_data(f"{data}&hash={expected}", TOKEN, NOW)
    assert (person.user_id, person.first_name, person.language_code) == (10002, "Alice", "ru")
    assert person.auth_date == NOW


def test_fresh_data_signed_for_this_bot_is_taken_for_an_hour() -> None:
    assert validate_init_data(launch_data(), TOKEN, NOW + timedelta(minutes=59)).user_id == 10002
    assert validate_init_data(launch_data(), TOKEN, NOW + timedelta(hours=1)).user_id == 10002
    with pytest.raises(InitDataRefused):
        validate_init_data(launch_data(), TOKEN, NOW + timedelta(minutes=61))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "garbage",
        launch_data(token="999:another-bot"),  # signed for another bot
        launch_data(auth_date=NOW - timedelta(minutes=61)),  # stale: a replay
        launch_data(auth_date=NOW + timedelta(hours=1)),  # from the future
        launch_data().replace("10002", "10003"),  # someone else's id put in
        launch_data() + "&start_param=x",  # a field added after signing
        launch_data().replace("hash=", "hash=0"),
        launch_data().split("&hash=")[0],  # no hash at all
        launch_data() + "&hash=abc",  # two hashes
        "x" * 5000,
    ],
)
def test_forged_stale_or_tampered_data_is_refused(data: str) -> None:
    with pytest.raises(InitDataRefused):
        validate_init_data(data, TOKEN, NOW)


def test_data_without_a_user_is_refused_even_when_signed() -> None:
    fields = {"auth_date": str(int(NOW.timestamp())), "query_id": "q"}
    with pytest.raises(InitDataRefused):
        validate_init_data(urlencode(fields | {"hash": sign(fields, TOKEN)}), TOKEN, NOW)


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (launch_data(auth_date=NOW - timedelta(days=2)), (10002, "ru")),  # stale, still says
        ("user=" + quote('{"id":"7","language_code":5}'), (None, None)),
        ("user=" + quote("[" * 3000), (None, None)),  # nested past Python's recursion limit
        ("user=5", (None, None)),
        ("%%%", (None, None)),
    ],
)
def test_refused_launch_data_only_chooses_the_language_of_its_refusal(
    data: str, claimed: tuple[int | None, str | None]
) -> None:
    assert claimed_language(data) == claimed


def test_a_session_names_its_person_for_its_purchase_until_it_ends() -> None:
    person = validate_init_data(launch_data(), TOKEN, NOW)
    session = open_session(person, 7, TOKEN, NOW)
    assert session.expires == NOW + timedelta(minutes=15)
    assert check_session(session.token, 7, TOKEN, NOW + timedelta(minutes=14)) == person
    for token, purchase, at in (
        (session.token, 8, NOW),  # another purchase
        (session.token, 7, NOW + timedelta(minutes=15)),  # over
        (open_session(person, 7, "999:another-bot", NOW).token, 7, NOW),
        (session.token.replace(".", ".x"), 7, NOW),
        (session.token.split(".")[0], 7, NOW),
        ("", 7, NOW),
        ("x" * 2000, 7, NOW),
    ):
        with pytest.raises(SessionRefused):
            check_session(token, purchase, TOKEN, at)
    # Opened near the end of the launch data's hour, it ends with the hour.
    late = open_session(person, 7, TOKEN, NOW + timedelta(minutes=50))
    assert late.expires == NOW + timedelta(hours=1)


def test_no_key_opens_another_s_data() -> None:
    """Launch data's hash, a session's signature and a photo's are made under three keys."""
    session = open_session(validate_init_data(launch_data(), TOKEN, NOW), 7, TOKEN, NOW)
    payload = session.token.partition(".")[0]
    with pytest.raises(InitDataRefused):  # a session is not launch data
        validate_init_data(session.token, TOKEN, NOW)
    telegrams = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    under_telegrams = hmac.new(telegrams, payload.encode(), hashlib.sha256).digest()
    for signature in (
        base64.urlsafe_b64encode(under_telegrams).rstrip(b"=").decode(),
        sign_photo(TOKEN, 7, 1, 0),
    ):
        with pytest.raises(SessionRefused):
            check_session(f"{payload}.{signature}", 7, TOKEN, NOW)


def test_a_photo_address_works_for_its_item_until_its_expiry() -> None:
    expires = photo_expiry(NOW)
    # At least 15 minutes on, rounded up to 5: the same address for five minutes of catalogs.
    assert timedelta(minutes=15) <= datetime.fromtimestamp(expires, UTC) - NOW
    assert datetime.fromtimestamp(expires, UTC) - NOW < timedelta(minutes=20)
    assert photo_expiry(NOW + timedelta(seconds=1)) in (expires, expires + 300)
    signature = sign_photo(TOKEN, 7, 2, expires)
    until = check_photo(TOKEN, 7, 2, str(expires), signature, NOW)
    assert until == datetime.fromtimestamp(expires, UTC)
    for purchase, item, given, at in (
        (7, 3, str(expires), NOW),  # another item
        (8, 2, str(expires), NOW),  # another purchase
        (7, 2, str(expires + 300), NOW),  # a later expiry
        (7, 2, "soon", NOW),
        (7, 2, str(10**18), NOW),  # a year no clock has: refused, not a crash
        (7, 2, str(expires), until),  # over
    ):
        with pytest.raises(SessionRefused):
            check_photo(TOKEN, purchase, item, given, signature, at)
    with pytest.raises(SessionRefused):
        check_photo("999:another-bot", 7, 2, str(expires), signature, NOW)


async def test_the_sandbox_signs_launch_data_the_bot_accepts_and_keeps_mini_apps_private() -> None:
    import time

    import aiohttp

    from tests.support.running import sandbox_running

    async with sandbox_running() as sandbox:
        alice = sandbox.user("Alice", language_code="ru")
        alice.started_bot = True
        signed = sandbox.emulator.web_app_init_data(alice)
        now = datetime.fromtimestamp(time.time(), UTC)
        person = validate_init_data(signed, sandbox.emulator.token, now)
        assert (person.user_id, person.first_name, person.language_code) == (
            alice.id,
            "Alice",
            "ru",
        )
        with pytest.raises(InitDataRefused):  # another bot's token does not open it
            validate_init_data(signed, "1:another", now)

        group = sandbox.group("Block 5", members=[alice])
        url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/sendMessage"
        mini_app = {"inline_keyboard": [[{"text": "Catalog", "web_app": {"url": "https://x.org"}}]]}
        async with aiohttp.ClientSession() as session:
            for chat, status in ((alice.id, 200), (group.id, 400)):
                body = {"chat_id": chat, "text": "x", "reply_markup": mini_app}
                async with session.post(url, json=body) as response:
                    assert response.status == status
                    if status == 400:
                        assert "BUTTON_TYPE_INVALID" in (await response.json())["description"]
