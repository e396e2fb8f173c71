"""The catalog Mini App's session over real HTTP: launch data traded once for a session of one
person and one purchase, refused for another purchase, tampered or lapsed (and nothing changes),
traded again within the launch data's hour and not after; the headers on every kind of
response; one body limit in polling mode and in a real webhook-mode process; the photo cache
bounded by bytes."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.mini_app import MAX_BODY_BYTES, PhotoCache
from runtime.mini_app_auth import MiniAppUser, open_session
from sandbox.process import BotProcess
from tests.support.running import ShiftedClock, sandbox_running
from tests.support.scenario import community_running, template
from tests.test_inbox import free_port
from tests.test_mini_app import HEADER, bearer, call, opened, stored

EXPIRED = "This page has expired: close it and open the catalog again from the chat."


def with_claim(token: str, **claims: object) -> str:
    """The token with its claims changed and its signature kept."""
    payload, _, signature = token.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps(data | claims).encode()).rstrip(b"=")
    return f"{changed.decode()}.{signature}"


async def test_a_session_serves_one_person_one_purchase_until_it_ends(sqlite_url: str) -> None:
    clock = ShiftedClock()
    async with community_running(sqlite_url, clock, mini_app_listen="127.0.0.1:0") as c:
        await opened(c)  # purchase 1, Alice has 1 Gouda
        await c.publish(template())  # purchase 2, open to the same chat
        base = c.runtime.mini_app_url
        one, two = f"{base}/api/purchase/1", f"{base}/api/purchase/2"
        launch = c.sandbox.emulator.web_app_init_data(c.alice)

        status, session = await call(f"{base}/api/session/1", {HEADER: launch}, method="POST")
        assert status == 200 and session["expires_in"] == 15 * 60
        token = session["token"]
        assert launch not in token and "hash" not in token
        order = {"lines": [{"item": 1, "quantity": 4, "tolerance": 0}]}
        status, catalog = await call(one, bearer(token), order)
        assert status == 200 and catalog["items"][0]["quantity"] == 4

        async def lines() -> list[object]:
            async with c.runtime.database.unit_of_work() as uow:
                purchases = [await uow.purchases.get(n) for n in (1, 2)]
            return [p.all_lines() for p in purchases if p is not None]

        before = await lines()
        other = {"lines": [{"item": 1, "quantity": 2, "tolerance": 0}]}
        refused = [
            (two, bearer(token)),  # Alice's session for purchase 1, on purchase 2
            (two, bearer(with_claim(token, p=2))),  # ... made to say purchase 2
            (one, bearer(with_claim(token, u=c.bob.id))),  # ... made into Bob's
            (one, bearer(with_claim(token, e=int(time.time()) + 86400))),  # ... lengthened
            (one, bearer(token[:-3] + ("xyz" if not token.endswith("xyz") else "abc"))),
            (one, bearer(token.replace(".", ""))),
            (one, {"Authorization": token}),  # not a bearer session
            (one, {HEADER: launch}),  # launch data is for the trade only
            (one, {}),
        ]
        for url, headers in refused:
            for body in (None, other):
                status, answer = await call(url, headers, body)
                assert status == 401, (url, headers, answer)
        assert await lines() == before

        # Sixteen minutes on, the session is over: refused, nothing saved; the launch data,
        # within its hour, opens a new one that saves.
        clock.advance(timedelta(minutes=16))
        status, _ = await call(one, bearer(token), other)
        assert status == 401 and await lines() == before
        status, renewed = await call(f"{base}/api/session/1", {HEADER: launch}, method="POST")
        assert status == 200
        status, catalog = await call(one, bearer(renewed["token"]), other)
        assert status == 200 and catalog["items"][0]["quantity"] == 2

        # A session ends with the launch data's hour, however recently it was opened.
        clock.advance(timedelta(minutes=34))
        status, late = await call(f"{base}/api/session/1", {HEADER: launch}, method="POST")
        assert status == 200 and late["expires_in"] <= 10 * 60
        clock.advance(timedelta(minutes=11))
        after = await lines()
        for token in (late["token"], renewed["token"]):
            status, _ = await call(one, bearer(token), order)
            assert status == 401
        status, answer = await call(f"{base}/api/session/1", {HEADER: launch}, method="POST")
        assert (status, answer) == (401, {"error": EXPIRED})
        assert await lines() == after

        # Launch data signed 59 minutes ago opens a session; 61 minutes ago, none.
        clock.offset = timedelta(0)
        for minutes, expected in ((59, 200), (61, 401)):
            signed = c.sandbox.emulator.web_app_init_data(c.alice, time.time() - minutes * 60)
            status, _ = await call(f"{base}/api/session/1", {HEADER: signed}, method="POST")
            assert status == expected, minutes


async def test_every_response_says_nosniff_and_only_telegram_frames_the_page(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url, mini_app_listen="127.0.0.1:0") as c:
        await opened(c)
        base = c.runtime.mini_app_url
        assert base is not None
        launch = c.sandbox.emulator.web_app_init_data(c.alice)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/api/session/1", headers={HEADER: launch}) as response:
                token = (await response.json())["token"]
            kinds = [
                ("GET", "", {}, 200),  # the page
                ("GET", "/static/mini_app.js", {}, 200),
                ("GET", "/static/mini_app.css", {}, 200),
                ("GET", "/static/mini_app.html", {}, 404),
                ("POST", "/api/session/1", {HEADER: launch}, 200),
                ("POST", "/api/session/1", {HEADER: launch + "0"}, 401),
                ("POST", "/api/session/77", {HEADER: launch}, 404),
                ("GET", "/api/purchase/1", bearer(token), 200),
                ("GET", "/api/purchase/1", {}, 401),
                ("GET", "/photo/1/1?exp=1&sig=x", {}, 401),
                ("GET", "/nothing/here", {}, 404),
            ]
            for method, path, headers, status in kinds:
                async with http.request(method, base + path, headers=headers) as response:
                    assert response.status == status, path
                    assert response.headers["X-Content-Type-Options"] == "nosniff", path
                    assert response.headers["Referrer-Policy"] == "no-referrer", path
                    assert "Set-Cookie" not in response.headers
                    if path.startswith("/api/"):
                        assert response.headers["Cache-Control"] == "no-store"
                    if path == "":
                        policy = response.headers["Content-Security-Policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            assert directives["frame-ancestors"].split() == [
                "https://web.telegram.org", "https://*.telegram.org",
                "http://127.0.0.1:*", "http://localhost:*",  # served on the loopback: the sandbox
            ]  # fmt: skip
            assert directives["script-src"] == "'self' https://telegram.org/js/telegram-web-app.js"
            for name, value in (("default-src", "'self'"), ("connect-src", "'self'"),
                                ("img-src", "'self' data: blob:"), ("object-src", "'none'"),
                                ("base-uri", "'none'")):  # fmt: skip
                assert directives[name] == value

            before = (await stored(c)).all_lines()
            await body_limit_holds(http, f"{base}/api/purchase/1", token, under=400)
            assert (await stored(c)).all_lines() == before


async def body_limit_holds(http: aiohttp.ClientSession, url: str, token: str, under: int) -> None:
    """Over MAX_BODY_BYTES a save is answered 413, whether the body says its length or not;
    just under it, the body is read and answered `under` for what it says."""

    async def streamed(size: int) -> AsyncIterator[bytes]:
        for _ in range(size // 8192):
            yield b" " * 8192

    headers = bearer(token) | {"Content-Type": "application/json"}
    over = MAX_BODY_BYTES + 1
    for body in (b" " * over, io.BytesIO(b" " * (2 << 20)), streamed(over + 8192)):
        async with http.post(url, data=body, headers=headers) as response:
            assert response.status == 413
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    under_limit = b" " * (MAX_BODY_BYTES - 2) + b"{}"
    async with http.post(url, data=under_limit, headers=headers) as response:
        assert response.status == under


async def test_the_webhook_server_keeps_the_mini_apps_own_body_limit(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The webhook server takes bodies up to Telegram's update size; the Mini App's routes on it
    keep to the Mini App's limit, as in polling mode."""
    port = free_port()
    async with sandbox_running() as sandbox:
        bot = await BotProcess.start(
            sandbox.emulator, sqlite_url, tmp_path / "bot.log",
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
            WEBHOOK_SECRET="a-webhook-secret-of-32-characters",
            WEBHOOK_LISTEN=f"127.0.0.1:{port}", MINI_APP_URL="https://groupbuy.example/app",
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}/app"
            async with aiohttp.ClientSession() as http:
                for _ in range(200):  # until the process serves
                    try:
                        async with http.get(base) as response:
                            policy = response.headers["Content-Security-Policy"]
                            break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                else:
                    raise AssertionError("the webhook server never served the Mini App")
                assert "frame-ancestors https://web.telegram.org https://*.telegram.org" in policy
                assert "127.0.0.1" not in policy  # served at https: only Telegram frames it
                person = MiniAppUser(10_001, "Alice", None, datetime.now(UTC))
                token = open_session(person, 1, sandbox.emulator.token, datetime.now(UTC)).token
                # No purchase in this database: a body under the limit is read, then 404.
                await body_limit_holds(http, f"{base}/api/purchase/1", token, under=404)
        finally:
            await bot.stop()


def test_the_photo_cache_is_bounded_by_bytes_and_forgets_the_least_recently_used() -> None:
    cache = PhotoCache(max_bytes=1000)
    for name in "abcd":
        cache.keep(name, bytes(300))
    assert sorted(cache) == ["b", "c", "d"] and cache.currsize == 900
    assert cache.get("b") is not None  # b is used again: c is now the oldest
    cache.keep("e", bytes(400))
    assert sorted(cache) == ["b", "d", "e"] and cache.currsize <= 1000
    cache.keep("huge", bytes(1001))  # larger than the whole budget: served, never kept
    assert "huge" not in cache and sorted(cache) == ["b", "d", "e"]
    cache.keep("whole", bytes(1000))
    assert list(cache) == ["whole"]
