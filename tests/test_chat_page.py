"""The sandbox's chat page: its API over real HTTP, and a real headless Chromium driving it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Bot

from domain.purchase import PurchaseStatus
from sandbox.chat_page import ChatPage, message_html
from sandbox.model import SandboxMessage
from tests.support.scenario import Community, community_running, template

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
BOT = "groupbuy_sandbox_bot"
# A 2×2 PNG, the purchase's photo.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000104944415478"
    "9c6378b640038818201400320e06b9cec1db810000000049454e44ae426082"
)


def _message(source: str) -> SandboxMessage:
    return SandboxMessage(chat_id=1, message_id=1, sender_id=1, date=0, text="", html=source)


def test_the_bot_s_html_is_shown_with_only_harmless_tags() -> None:
    shown = message_html(
        _message(
            "<b>Honey</b> &amp; <i>jam</i> <tg-spoiler>x</tg-spoiler> "
            '<a href="javascript:alert(1)">bad</a> '
            f'<a href="https://t.me/{BOT}?start=o_5">order</a> <a href="https://ex.org">ex</a>'
        ),
        BOT,
    )
    assert shown == (
        '<b>Honey</b> &amp; <i>jam</i> <span class="spoiler">x</span> <a>bad</a> '
        f'<a href="https://t.me/{BOT}?start=o_5" data-deep-link="https://t.me/{BOT}?start=o_5">'
        'order</a> <a href="https://ex.org" target="_blank" rel="noopener noreferrer">ex</a>'
    )


def test_what_a_person_typed_is_escaped_not_rendered() -> None:
    typed = SandboxMessage(1, 1, 1, 0, text="<img src=x onerror=alert(1)> & co")
    assert message_html(typed, BOT) == "&lt;img src=x onerror=alert(1)&gt; &amp; co"


def test_a_deep_link_s_start_shows_as_telegram_shows_it() -> None:
    followed = SandboxMessage(chat_id=7, message_id=1, sender_id=7, date=0, text="/start o_12")
    assert message_html(followed, BOT) == "/start"
    typed_in_a_group = SandboxMessage(-5, 1, 7, 0, text="/start o_12")
    assert message_html(typed_in_a_group, BOT) == "/start o_12"


@asynccontextmanager
async def page_running(community: Community) -> AsyncIterator[ChatPage]:
    page = ChatPage(community.sandbox, community.chat)
    await page.start(0)
    try:
        yield page
    finally:
        await page.stop()


async def test_the_page_api_refuses_bad_requests_and_changes_nothing(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c, page_running(c) as page:
        before = len(c.sandbox.emulator.messages)
        async with aiohttp.ClientSession(page.url) as http:
            for path, body in [
                ("/api/send", {"user": 999, "chat": c.chat.id, "text": "hi"}),
                ("/api/send", {"user": c.bob.id, "chat": -42, "text": "hi"}),
                ("/api/send", {"user": c.bob.id, "chat": c.chat.id, "text": "  "}),
                # Bob never pressed Start: his chat with the bot takes nothing else.
                ("/api/send", {"user": c.bob.id, "chat": c.bob.id, "text": "hello"}),
                ("/api/press", {"user": c.bob.id, "chat": c.chat.id, "message": 1, "row": 7}),
                ("/api/open", {"user": c.bob.id, "url": "https://example.org/"}),
                ("/api/people", {"name": ""}),
            ]:
                async with http.post(path, json=body) as response:
                    assert response.status == 400, (path, body, await response.text())
            async with http.post("/api/send", data=b"{not json") as response:
                assert response.status == 400
            async with http.get("/files/nothing") as response:
                assert response.status == 404
        assert len(c.sandbox.emulator.messages) == before


async def test_state_shows_a_person_s_chats_and_messages(sqlite_url: str) -> None:
    async with (
        community_running(sqlite_url) as c,
        page_running(c) as page,
        aiohttp.ClientSession(page.url) as http,
    ):
        async with http.post("/api/people", json={"name": "Dana", "language": "ru"}) as r:
            dana = (await r.json())["id"]
        state = await _get(http, f"/api/state?user={dana}&chat={c.chat.id}")
        assert [chat["title"] for chat in state["chats"]] == ["Block 5", "GroupBuy bot"]
        assert {"id": dana, "name": "Dana", "language": "ru"} in state["people"]
        greeting = state["messages"][-1]
        assert "I run group purchases here" in greeting["html"]
        async with http.post(
            "/api/send", json={"user": dana, "chat": dana, "text": "/start"}
        ) as response:
            assert response.status == 200
        await c.sandbox.wait_for_message(dana, "Здравствуйте")
        state = await _get(http, f"/api/state?user={dana}&chat={dana}")
        assert [m["from_bot"] for m in state["messages"]][:2] == [False, True]


async def test_a_second_community_is_created_from_the_page_and_bob_joins_it(
    sqlite_url: str,
) -> None:
    async with (
        community_running(sqlite_url) as c,
        page_running(c) as page,
        aiohttp.ClientSession(page.url) as http,
    ):
        async with http.post("/api/people", json={"name": "Nina", "language": "ru"}) as r:
            nina = (await r.json())["id"]
        async with http.post("/api/groups", json={"user": nina, "title": "Riverside"}) as r:
            assert r.status == 200
            riverside = (await r.json())["id"]
        # The bot, added as an admin, greets the new community in its creator's language.
        greeting = await c.sandbox.wait_for_message(riverside)
        assert greeting.text.startswith("Здравствуйте, Riverside!")
        assert c.sandbox.emulator.chats[riverside].members[nina] == "creator"
        # Bob, already a neighbour in Block 5, joins Riverside by his name: no second Bob.
        people = len(page.people())
        async with http.post("/api/people", json={"name": "bob", "chat": riverside}) as r:
            assert await r.json() == {"id": c.bob.id, "chat": riverside}
        assert len(page.people()) == people
        state = await _get(http, f"/api/state?user={c.bob.id}&chat={riverside}")
        titles = [chat["title"] for chat in state["chats"]]
        assert titles == ["Block 5", "Riverside", "GroupBuy bot"]
        assert [group["title"] for group in state["groups"]] == ["Block 5", "Riverside"]
        # A second group of the same name, a nameless one, or joining a group that is not there:
        # refused, nothing created.
        for path, body in [
            ("/api/groups", {"user": nina, "title": " riverside "}),
            ("/api/groups", {"user": nina, "title": "  "}),
            ("/api/groups", {"user": 999, "title": "Elm street"}),
            ("/api/people", {"name": "Zoe", "chat": -42}),
        ]:
            async with http.post(path, json=body) as response:
                assert response.status == 400, (path, body)
        assert len(page.groups()) == 2 and len(page.people()) == people


async def test_a_document_the_bot_sent_downloads_with_its_name(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c, page_running(c) as page:
        await c.say(c.head, "/start", "Hello")
        emulator = c.sandbox.emulator
        async with Bot(emulator.token, base_url=emulator.base_url) as bot:
            await bot.send_document(c.head.id, b"item;units\nHoney;6\n", filename="Заказ.csv")
        async with aiohttp.ClientSession(page.url) as http:
            state = await _get(http, f"/api/state?user={c.head.id}&chat={c.head.id}")
            document = state["messages"][-1]["document"]
            assert document["name"] == "Заказ.csv"
            async with http.get(document["url"]) as response:
                assert response.status == 200
                assert await response.read() == b"item;units\nHoney;6\n"
                assert response.headers["Content-Disposition"] == (
                    "attachment; filename*=UTF-8''%D0%97%D0%B0%D0%BA%D0%B0%D0%B7.csv"
                )


async def _get(http: aiohttp.ClientSession, path: str) -> Any:
    async with http.get(path) as response:
        assert response.status == 200
        return await response.json()


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """Debian's headless Chromium through its ChromeDriver; nothing is downloaded."""
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but chromium or chromedriver is missing")
        pytest.skip("install Debian's chromium and chromium-driver for the browser test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,860", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def play_in_the_browser(
    url: str, group_id: int, purchase: str, screenshot: Path
) -> tuple[str, str]:
    """Hanna opens a purchase; Alice and Bob each tap +1; Bob withdraws; Hanna goes ahead below
    the minimum, marks it ordered and arrived. Returns the card's text after the joins and at
    the end."""
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as browser:
        try:
            return _play(browser, url, group_id, purchase, screenshot)
        except Exception:
            browser.save_screenshot(str(screenshot.with_name("chat-page-failed.png")))
            raise


def _play(
    browser: Any, url: str, group_id: int, purchase: str, screenshot: Path
) -> tuple[str, str]:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    wait = WebDriverWait(browser, 20)
    group = (By.CSS_SELECTOR, f"#chats li[data-chat-id='{group_id}']")
    browser.get(url)
    wait.until(shown.element_to_be_clickable(group)).click()
    assert Select(browser.find_element(By.ID, "person")).first_selected_option.text == "Hanna"
    # The language picker shows its choice whole ("English", not "Englis").
    picker = browser.find_element(By.ID, "new-language")
    fits = """
        const select = arguments[0], probe = document.createElement("span");
        probe.style.font = getComputedStyle(select).font;
        probe.textContent = select.options[select.selectedIndex].text;
        document.body.appendChild(probe);
        const needed = probe.offsetWidth + 16 + 20;  /* padding, and the arrow */
        probe.remove();
        return select.getBoundingClientRect().width >= needed;
    """
    assert browser.execute_script(fits, picker)

    # The template as the caption of a photo, sent with the 📎: the card comes under it.
    box = browser.find_element(By.ID, "text")
    for index, line in enumerate(["/new", *purchase.splitlines()]):
        if index:
            box.send_keys(Keys.SHIFT, Keys.ENTER)
        box.send_keys(line)
    picture = screenshot.parent / "honey.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    picture.write_bytes(PHOTO)
    browser.find_element(By.ID, "photo").send_keys(str(picture))
    plus_one = "//div[contains(@class,'message')]//button[normalize-space()='+1 Honey 1 kg']"
    wait.until(shown.element_to_be_clickable((By.XPATH, plus_one)))
    photo = "//div[contains(@class,'message')][not(contains(@class,'mine'))]//img[@class='photo']"
    wait.until(lambda driver: driver.execute_script(
        "const img = arguments[0]; return img.complete && img.naturalWidth > 0;",
        driver.find_element(By.XPATH, photo),
    ))  # fmt: skip

    for member in ("Alice Zebra", "Bob"):
        Select(browser.find_element(By.ID, "person")).select_by_visible_text(member)
        wait.until(shown.text_to_be_present_in_element((By.ID, "chat-sub"), member))
        # Their chat with the bot, never started: as in Telegram, only Start, no typing.
        bot_chat = (By.CSS_SELECTOR, "#chats li:not([data-chat-id^='-'])")
        wait.until(shown.element_to_be_clickable(bot_chat)).click()
        wait.until(shown.element_to_be_clickable((By.ID, "start")))
        assert not browser.find_element(By.ID, "text").is_displayed()
        wait.until(shown.element_to_be_clickable(group)).click()
        wait.until(shown.element_to_be_clickable((By.XPATH, plus_one))).click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "toast"), "You're in"))
        # As in Telegram, the first tap of someone who never started the bot opens its chat.
        wait.until(shown.text_to_be_present_in_element((By.ID, "chat-sub"), "private chat"))
        wait.until(shown.visibility_of_element_located((By.ID, "text")))  # started by the link
        wait.until(shown.element_to_be_clickable(group)).click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "chat-sub"), "community chat"))

    card = "//div[contains(@class,'message')][.//button[normalize-space()='+1 Honey 1 kg']]"
    wait.until(shown.text_to_be_present_in_element((By.XPATH, card), "2 members"))
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(screenshot))
    joined = str(browser.find_element(By.XPATH, card).text)

    def press(label: str) -> None:
        """Tap the newest button with this label (the page redraws edited messages, so the
        element is found afresh until the tap lands)."""
        button = f"(//div[contains(@class,'message')]//button[normalize-space()='{label}'])[last()]"

        def tapped(driver: Any) -> bool:
            try:
                driver.find_element(By.XPATH, button).click()
            except WebDriverException:  # not there yet, or redrawn under the pointer
                return False
            return True

        wait.until(tapped)

    def in_private_chat(person: str, command: str) -> None:
        Select(browser.find_element(By.ID, "person")).select_by_visible_text(person)
        wait.until(shown.text_to_be_present_in_element((By.ID, "chat-sub"), person))
        bot_chat = (By.CSS_SELECTOR, "#chats li:not([data-chat-id^='-'])")
        wait.until(shown.element_to_be_clickable(bot_chat)).click()
        wait.until(shown.visibility_of_element_located((By.ID, "chat-sub")))
        start = browser.find_elements(By.ID, "start")
        if start and start[0].is_displayed():  # Hanna published from the group: never started
            start[0].click()
        wait.until(shown.visibility_of_element_located((By.ID, "text"))).send_keys(
            command, Keys.ENTER
        )

    # Withdraw asks once; only the second tap takes Bob out.
    in_private_chat("Bob", "/orders")
    press("Withdraw")
    press("Yes, withdraw me")
    wait.until(shown.text_to_be_present_in_element((By.ID, "toast"), "You are out"))
    # The head's three controls that tell every member each ask once, then act.
    in_private_chat("Hanna", "/purchases")
    for control, yes in (
        ("Go ahead anyway", "✅ Yes, go ahead"),
        ("Mark ordered", "✅ Yes, it is ordered"),
        ("Mark arrived", "✅ Yes, they are here"),
    ):
        press(control)
        press(yes)
    panel = "//div[contains(@class,'message')][.//button[normalize-space()='Complete']]"
    wait.until(shown.presence_of_element_located((By.XPATH, panel)))
    wait.until(shown.element_to_be_clickable(group)).click()
    # The card, not the photo above it (whose caption is the title too): the one with 👥.
    last_card = (
        "//div[contains(@class,'message')][contains(., '🛒 Wildflower honey')][contains(., '👥')]"
    )
    wait.until(shown.text_to_be_present_in_element((By.XPATH, last_card), "Arrived"))
    final = str(browser.find_element(By.XPATH, last_card).text)

    # A second community, as an operator's campaigns need: Hanna creates it, the bot greets
    # it, and Bob, a neighbour already, joins it by his name.
    browser.find_element(By.ID, "new-group").send_keys("Riverside")
    browser.find_element(By.ID, "add-group").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "chat-title"), "Riverside"))
    wait.until(shown.text_to_be_present_in_element((By.ID, "messages"), "Hello, Riverside!"))
    browser.find_element(By.ID, "new-name").send_keys("Bob")
    Select(browser.find_element(By.ID, "new-person-group")).select_by_visible_text(
        "joins Riverside"
    )
    browser.find_element(By.ID, "add-person").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "chat-sub"), "you are Bob"))
    assert browser.find_element(By.ID, "chat-title").text == "Riverside"
    chats = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#chats li")]
    assert chats == ["B\nBlock 5", "R\nRiverside", "🛒\nGroupBuy bot"], chats
    return joined, final


async def test_a_purchase_opened_and_joined_in_the_browser(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c, page_running(c) as page:
        screenshot = ARTIFACTS / "chat-page.png"
        screenshot.unlink(missing_ok=True)
        # Without packs, so that the one unit left after Bob withdraws is ordered.
        purchase = template(Item="Honey 1 kg | 12.50 | max 10")
        card_text, final_card = await asyncio.to_thread(
            play_in_the_browser, page.url, c.chat.id, purchase, screenshot
        )
        assert "Wildflower honey from Altai" in card_text
        assert "2 members" in card_text
        assert "1 member" in final_card and "Arrived" in final_card
        assert screenshot.stat().st_size > 10_000
        toasts = [p.answer.text for p in c.sandbox.emulator.callbacks.values() if p.answer]
        assert [text for text in toasts if text and text.startswith("You're in")] == toasts[:2]
        async with c.runtime.database.unit_of_work() as uow:
            stored = await uow.purchases.get(1)
        assert stored is not None and stored.status is PurchaseStatus.ARRIVED
        assert sorted(stored.participant_ids()) == [c.alice.id]
        assert any("Your pickup code" in m.body for m in c.sandbox.bot_messages(c.alice.id))


async def test_a_photo_sent_from_the_page_reaches_the_bot_as_a_receipt(sqlite_url: str) -> None:
    async with community_running(sqlite_url) as c, page_running(c) as page:
        sent = await c.sandbox.start(c.alice)
        await c.sandbox.wait_for_message(c.alice.id, after=sent)
        png = b"\\x89PNG\\r\\n\\x1a\\n" + b"\\0" * 64
        async with aiohttp.ClientSession(page.url) as http:
            form = aiohttp.FormData()
            form.add_field("user", str(c.alice.id))
            form.add_field("photo", png, filename="receipt.png", content_type="image/png")
            async with http.post("/api/photo", data=form) as response:
                assert response.status == 200, await response.text()
            # From someone who never pressed Start: refused.
            form = aiohttp.FormData()
            form.add_field("user", str(c.bob.id))
            form.add_field("photo", png, filename="x.png", content_type="image/png")
            async with http.post("/api/photo", data=form) as response:
                assert response.status == 400
            # Anything but a picture goes as a file, as the app sends it (a price list).
            form = aiohttp.FormData()
            form.add_field("user", str(c.alice.id))
            form.add_field("photo", b"name,price", filename="list.csv", content_type="text/csv")
            async with http.post("/api/photo", data=form) as response:
                assert response.status == 200, await response.text()
        await c.sandbox.wait_for_message(c.alice.id, "none of your purchases is waiting")
        await c.sandbox.wait_for_message(c.alice.id, "A price list is for a purchase")
        sent = c.sandbox.emulator.chat_messages(c.alice.id)
        assert sum(bool(m.photo) for m in sent) == 1
        assert [m.document["file_name"] for m in sent if m.document] == ["list.csv"]
