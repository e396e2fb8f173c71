"""The catalog Mini App against the sandbox and the real Application: its requests over real
HTTP with launch data the sandbox signs as Telegram does, traded for a session as the page does
(missing, forged, stale, tampered: 401 and nothing changes), the order saved by the buttons'
rules (beyond a limit or after the stop: the reason, nothing changes), photos by addresses
that lapse, and a member using it in headless Chromium through the chat page's frame, the card
following. The session itself, the headers and the body limit: tests/test_mini_app_session.py."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from domain.purchase import Purchase
from runtime.mini_app_auth import sign
from sandbox.model import SandboxUser
from tests.support.scenario import Community, community_running, local, tap_and_confirm
from tests.test_chat_page import ARTIFACTS, chromium, page_running

HEADER = "X-Telegram-Init-Data"


def cheese() -> str:
    return "\n".join([
        "Title: Farm cheese",
        "Item: Gouda | 8.40 | pack 4 | max 10",
        "Item: T-shirt | 12.00 | variants S, M",
        f"Deadline: {local(3)}",
        f"Pickup: {local(6)[:10]} 10:00-12:00 | Community hall",
    ])  # fmt: skip


async def opened(c: Community) -> Purchase:
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    card = await c.publish(cheese())
    await c.sandbox.tap(c.alice, card, "+1 Gouda", answer="You're in: 1 × Gouda")
    return await stored(c)


async def stored(c: Community) -> Purchase:
    async with c.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    return purchase


def forged_for(user: SandboxUser, token: str, at: float | None = None) -> str:
    fields = {
        "user": f'{{"id":{user.id},"first_name":"{user.first_name}"}}',
        "auth_date": str(int(time.time() if at is None else at)),
    }
    return urlencode(fields | {"hash": sign(fields, token)}, quote_via=quote)


async def call(
    url: str, headers: dict[str, str], body: Any = None, method: str | None = None
) -> tuple[int, dict[str, Any]]:
    """One request; GET without a body, POST with one, unless told."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    async with aiohttp.ClientSession() as http:
        verb = method or ("GET" if body is None else "POST")
        async with http.request(verb, url, headers=headers, **kwargs) as response:
            return response.status, await response.json()


def session_url(url: str) -> str:
    """Where the page trades launch data for a session of the purchase `url` is about."""
    return url.replace("/api/purchase/", "/api/session/")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def request(url: str, init_data: str | None, body: Any = None) -> tuple[int, dict[str, Any]]:
    """A request as the page makes it: the launch data traded for a session first (a refused
    trade is the answer), then the request with the session; without launch data, bare."""
    if init_data is None:
        return await call(url, {}, body)
    status, opened = await call(session_url(url), {HEADER: init_data}, method="POST")
    if status != 200:
        return status, opened
    return await call(url, bearer(opened["token"]), body)


async def test_launch_data_is_checked_and_the_order_follows_the_buttons_rules(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url, mini_app_listen="127.0.0.1:0") as c:
        before = await opened(c)
        base = c.runtime.mini_app_url
        assert base is not None and base.startswith("http://127.0.0.1:")
        api = base + "/api/purchase/1"
        alice = c.sandbox.emulator.web_app_init_data(c.alice)

        status, catalog = await request(api, alice)
        assert status == 200 and catalog["title"] == "Farm cheese" and catalog["open"]
        gouda = next(i for i in catalog["items"] if i["label"] == "Gouda")
        assert (gouda["quantity"], gouda["max"], gouda["pack"]) == (1, 10, 4)
        assert "3 more fill the next pack" in gouda["rules"]
        assert [i["label"] for i in catalog["items"]][1:] == ["T-shirt, S", "T-shirt, M"]

        order = {"lines": [{"item": gouda["id"], "quantity": 4, "tolerance": 0}]}
        token = c.sandbox.emulator.token
        for refused in (
            None,  # no launch data
            "",
            forged_for(c.alice, "1:another-bot"),  # signed for another bot
            forged_for(c.alice, token, at=time.time() - 2 * 86400),  # stale: replayed
            alice.replace(str(c.alice.id), str(c.bob.id)),  # Alice's, made into Bob's
        ):
            for body in (None, order):
                status, answer = await request(api, refused, body)
                assert status == 401, (refused, answer)
                if refused is not None:  # the launch data refused: the page says what to do
                    assert answer["error"].startswith("This page has expired: close it")
        assert (await stored(c)).all_lines() == before.all_lines()

        # Beyond the limit, an item of no such purchase, a line that is not a line: the
        # reason, and nothing of the order changes.
        for body, reason in (
            ({"lines": [{"item": gouda["id"], "quantity": 11, "tolerance": 0}]}, "at most 10"),
            ({"lines": [{"item": 99, "quantity": 1, "tolerance": 0}]}, "no such item"),
            ({"lines": [{"item": gouda["id"], "quantity": "4"}]}, "lines"),
            ({"lines": [{"item": gouda["id"], "quantity": 4, "tolerance": 5}]}, "tolerance"),
            ("4 please", "lines"),
        ):
            status, answer = await request(api, alice, body)
            assert status == 400 and reason in answer["error"], answer
        assert (await stored(c)).all_lines() == before.all_lines()
        status, _ = await request(base + "/api/purchase/77", alice)
        assert status == 404

        # Bob's own launch data orders for Bob: two lines at once, one transaction.
        bob = c.sandbox.emulator.web_app_init_data(c.bob)
        shirt = catalog["items"][2]
        lines = [{"item": gouda["id"], "quantity": 4, "tolerance": 2},
                 {"item": shirt["id"], "quantity": 1, "tolerance": 0}]  # fmt: skip
        status, answer = await request(api, bob, {"lines": lines})
        assert status == 200
        after = await stored(c)
        assert after.quantity(c.bob.id, gouda["id"]) == 4
        assert after.tolerance(c.bob.id, gouda["id"]) == 2
        assert after.quantity(c.bob.id, shirt["id"]) == 1
        assert after.quantity(c.alice.id, gouda["id"]) == 1  # Alice's stays hers

        control = await c.panel()
        await tap_and_confirm(c.sandbox, c.head, control, "Stop now")
        await c.sandbox.wait_for_message(c.alice.id, "🛑")
        status, answer = await request(api, alice, order)
        assert status == 400 and "stopped" in answer["error"], answer
        assert (await stored(c)).quantity(c.alice.id, gouda["id"]) == 1


async def test_a_member_orders_in_the_mini_app_and_the_card_follows(sqlite_url: str) -> None:
    async with (
        community_running(sqlite_url, mini_app_listen="127.0.0.1:0") as c,
        page_running(c) as page,
    ):
        await opened(c)
        sent = await c.sandbox.send(c.alice, "/orders")  # one purchase: its editor at once
        editor = await c.sandbox.wait_for_message(
            c.alice.id, lambda m: any(b.get("web_app") for b in m.buttons()), after=sent
        )
        assert editor.buttons()[0]["text"] == "🛍 Catalog"
        screenshot = ARTIFACTS / "mini-app.png"
        status = await asyncio.to_thread(
            order_in_the_browser, f"{page.url}?user={c.alice.id}&chat={c.alice.id}", screenshot
        )
        assert status.startswith("Saved")
        after = await stored(c)
        assert after.quantity(c.alice.id, 1) == 4 and after.tolerance(c.alice.id, 1) == 1
        card = next(m for m in c.sandbox.emulator.chat_messages(c.chat.id) if m.pinned)
        await c.sandbox.wait_for_edit(card, "4 units")
        # The editor she opened the catalog from shows the saved order too.
        redrawn = await c.sandbox.wait_for_edit(editor, "Gouda: 4")
        assert "also take up to 1 more" in (redrawn.text or "")
        assert redrawn.buttons()[0]["text"] == "🛍 Catalog"
        assert screenshot.stat().st_size > 10_000


def order_in_the_browser(url: str, screenshot: Path) -> str:
    """Alice opens 🛍 Catalog under her order: the running total follows what she types; 1000
    T-shirts and 11 Gouda are refused with the reason, 4 Gouda with 1 more to fill a pack is
    saved. Returns what the page said last."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.wait import WebDriverWait

    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as browser:
        wait = WebDriverWait(browser, 20)
        browser.get(url)
        catalog = "//div[contains(@class,'message')]//button[normalize-space()='🛍 Catalog']"
        wait.until(shown.element_to_be_clickable((By.XPATH, catalog))).click()
        frame = wait.until(shown.visibility_of_element_located((By.ID, "webapp-frame")))
        browser.switch_to.frame(frame)
        quantity = wait.until(shown.element_to_be_clickable((By.ID, "qty-1")))
        assert quantity.get_attribute("value") == "1"
        total = browser.find_element(By.ID, "total")
        assert total.text == "Goods total: €8.40"  # her 1 Gouda, before anything changes
        shirts = browser.find_element(By.ID, "qty-2")
        shirts.clear()
        shirts.send_keys("1000")  # a slip: no one means a thousand T-shirts
        assert total.text == "Goods total: €12,008.40"  # the running total, before Save
        browser.find_element(By.ID, "save").click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "status"), "1,000 × T-shirt, S"))
        assert "up to 100" in browser.find_element(By.ID, "status").text
        shirts.clear()
        shirts.send_keys("0")
        quantity.clear()
        quantity.send_keys("11")
        browser.find_element(By.ID, "save").click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "status"), "at most 10"))
        quantity.clear()
        quantity.send_keys("4")
        browser.find_element(By.XPATH, "//input[@id='tol-1']/following-sibling::button").click()
        browser.find_element(By.ID, "save").click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "status"), "Saved"))
        said = str(browser.find_element(By.ID, "status").text)
        browser.switch_to.default_content()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(screenshot))
        return said


async def test_an_items_photo_is_shown_by_an_address_that_lapses_and_names_no_one(
    sqlite_url: str,
) -> None:
    from tests.support.running import ShiftedClock
    from tests.support.scenario import template
    from tests.test_catalog import PNG

    clock = ShiftedClock()
    async with community_running(sqlite_url, clock, mini_app_listen="127.0.0.1:0") as c:
        await c.sandbox.start(c.head)
        await c.say(c.head, f"/start n{c.chat.id}", "What are you buying?")
        preview = await c.say(c.head, "/new\n" + template(Item2=""), "Preview of the card")
        await c.sandbox.send_photo(c.head, PNG, "Jam | 4.00 | max 2")
        await c.sandbox.wait_for_message(c.head.id, "Added item 2: Jam, with its photo.")
        await c.sandbox.tap(c.head, preview, "Publish", answer="")
        await c.sandbox.wait_for_message(c.chat.id, "🛒")
        base = c.runtime.mini_app_url
        assert base is not None
        origin = base.removesuffix("/app")
        alice = c.sandbox.emulator.web_app_init_data(c.alice)
        status, catalog = await request(base + "/api/purchase/1", alice)
        assert status == 200
        honey, jam = catalog["items"]
        assert (honey["label"], honey["photo"], jam["label"]) == ("Honey 1 kg", None, "Jam")
        photo = jam["photo"]
        assert photo.startswith("/app/photo/1/2?exp=") and "&sig=" in photo
        # Proxies log addresses: neither the launch data nor anything of it is in this one.
        for part in (alice, "hash", "auth_date", str(c.alice.id), "init"):
            assert part not in photo
        async with aiohttp.ClientSession() as http:
            async with http.get(origin + photo) as response:
                assert response.status == 200 and await response.read() == PNG
                life = int(response.headers["Cache-Control"].removeprefix("private, max-age="))
                assert 15 * 60 - 5 <= life <= 20 * 60
            forged = [
                photo.replace("/photo/1/2", "/photo/1/1"),  # another item's
                photo[:-2] + ("AA" if not photo.endswith("AA") else "BB"),  # signature changed
                photo.replace("exp=", "exp=1"),  # expiry moved
                f"/app/photo/1/2?init={quote(alice)}",  # launch data no longer opens it
                "/app/photo/1/2",
            ]
            for address in forged:
                async with http.get(origin + address) as response:
                    assert response.status == 401, address
            # Past its expiry the same address opens nothing.
            clock.advance(timedelta(minutes=21))
            async with http.get(origin + photo) as response:
                assert response.status == 401
