"""The emulator itself: Telegram's envelope, errors, long polling, limits, 403s and buttons."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest

from sandbox.chat_page import message_html
from sandbox.driver import Sandbox
from sandbox.limits import Limits
from tests.support.running import StoppedClock, sandbox_running


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with sandbox_running() as running:
        yield running


async def call(
    sandbox: Sandbox, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call, JSON-encoded like most clients other than python-telegram-bot."""
    url = f"{sandbox.emulator.base_url}{token or sandbox.emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return response.status, await response.json()


async def form_call(sandbox: Sandbox, method: str, **params: str) -> tuple[int, dict[str, Any]]:
    url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, data=params) as response:
        return response.status, await response.json()


def started_user(sandbox: Sandbox, name: str = "Alice") -> Any:
    user = sandbox.user(name)
    user.started_bot = True
    return user


async def test_success_comes_in_telegrams_envelope(sandbox: Sandbox) -> None:
    status, body = await call(sandbox, "getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "groupbuy_sandbox_bot"


@pytest.mark.parametrize(
    ("method", "token", "status", "description"),
    [
        ("getMe", "123:wrong", 401, "Unauthorized"),
        ("sendPigeon", None, 404, "Not Found"),
        ("sendMessage", None, 400, "Bad Request: chat not found"),
    ],
)
async def test_errors_have_status_code_and_description(
    sandbox: Sandbox, method: str, token: str | None, status: int, description: str
) -> None:
    got_status, body = await call(sandbox, method, token, chat_id=5, text="hi")
    assert (got_status, body) == (
        status,
        {"ok": False, "error_code": status, "description": description},
    )


async def test_get_works_as_well_as_post(sandbox: Sandbox) -> None:
    url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/getMe"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert (await response.json())["ok"] is True


async def test_long_polling_waits_for_an_update_and_keeps_it_until_confirmed(
    sandbox: Sandbox,
) -> None:
    alice = sandbox.user("Alice")
    poll = asyncio.create_task(call(sandbox, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await sandbox.send(alice, "/start")
    _, body = await asyncio.wait_for(poll, 3)
    [update] = body["result"]
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # not confirmed yet: delivered again
    _, again = await call(sandbox, "getUpdates", offset=0)
    assert again["result"] == [update]
    _, after = await call(sandbox, "getUpdates", offset=update["update_id"] + 1)
    assert after["result"] == []


async def test_limit_and_allowed_updates(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    for n in range(3):
        await sandbox.send(alice, f"hello {n}")
    _, first = await call(sandbox, "getUpdates", limit=2)
    assert [u["message"]["text"] for u in first["result"]] == ["hello 0", "hello 1"]
    _, none = await call(sandbox, "getUpdates", allowed_updates=["callback_query"])
    assert none["result"] == []


async def test_the_bot_cannot_write_first_to_a_user(sandbox: Sandbox) -> None:
    stranger = sandbox.user("Stranger")
    status, body = await call(sandbox, "sendMessage", chat_id=stranger.id, text="hi")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await sandbox.start(stranger)
    status, _ = await call(sandbox, "sendMessage", chat_id=stranger.id, text="hi")
    assert status == 200
    sandbox.block(stranger)
    status, body = await call(sandbox, "sendMessage", chat_id=stranger.id, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_groups_need_the_bot_as_a_member(sandbox: Sandbox) -> None:
    head = sandbox.user("Hanna")
    block = sandbox.group("Block 5", admins=[head])
    status, _ = await call(sandbox, "sendMessage", chat_id=block.id, text="hi")
    assert status == 403
    await sandbox.add_bot(block, by=head)
    status, _ = await call(sandbox, "sendMessage", chat_id=block.id, text="hi")
    assert status == 200
    _, updates = await call(sandbox, "getUpdates")
    assert updates["result"][0]["my_chat_member"]["new_chat_member"]["status"] == "member"


def html(text: str) -> dict[str, Any]:
    return {"text": text, "parse_mode": "HTML"}


def button(spec: dict[str, str]) -> dict[str, Any]:
    return {"text": "x", "reply_markup": {"inline_keyboard": [[spec]]}}


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "🙂" * 2049}, "Bad Request: message is too long"),
        ({"text": ""}, "Bad Request: message text is empty"),
        (html("<b>bold"), 'can\'t find end tag corresponding to start tag "b"'),
        (html("1 < 2"), "can't find end of the tag starting at byte offset 2"),
        (html("<div>x</div>"), 'unsupported start tag "div"'),
        (html("&nbsp;"), 'unsupported html entity "&nbsp;"'),
        (html("<b>x</i>"), "can't find end tag"),
        (button({"text": "A", "callback_data": "é" * 33}), "Bad Request: BUTTON_DATA_INVALID"),
        (button({"text": "A", "url": "ftp://x"}), "Bad Request: BUTTON_URL_INVALID"),
        (button({"text": " ", "callback_data": "a"}), "text buttons are unallowed"),
        (button({"text": "A", "web_app": {"url": "http://example.org/app"}}),
         "Bad Request: BUTTON_URL_INVALID"),
    ],
)  # fmt: skip
async def test_telegrams_validations(
    sandbox: Sandbox, params: dict[str, Any], description: str
) -> None:
    alice = started_user(sandbox)
    status, body = await call(sandbox, "sendMessage", chat_id=alice.id, **params)
    assert status == 400
    assert description.lower() in body["description"].lower()
    assert sandbox.emulator.broken_rules[-1].description == body["description"]


async def test_valid_html_is_shown_as_plain_text(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    source = '<b>Honey</b> &amp; <a href="https://t.me/x">link</a> &lt;3 &#128029;'
    status, body = await call(
        sandbox, "sendMessage", chat_id=alice.id, text=source, parse_mode="HTML"
    )
    assert status == 200
    assert body["result"]["text"] == "Honey & link <3 🐝"
    assert sandbox.bot_messages(alice.id)[-1].html == source


async def test_an_identical_edit_is_not_modified(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    _, sent = await call(sandbox, "sendMessage", chat_id=alice.id, text="v1")
    message_id = sent["result"]["message_id"]
    status, body = await call(
        sandbox, "editMessageText", chat_id=alice.id, message_id=message_id, text="v1"
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await call(
        sandbox, "editMessageText", chat_id=alice.id, message_id=message_id, text="v2"
    )
    assert (status, body["result"]["text"]) == (200, "v2")
    assert "edit_date" in body["result"]
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    status, _ = await call(
        sandbox, "editMessageReplyMarkup", chat_id=alice.id, message_id=message_id,
        reply_markup=markup,
    )  # fmt: skip
    assert status == 200
    status, _ = await call(
        sandbox, "editMessageReplyMarkup", chat_id=alice.id, message_id=message_id,
        reply_markup=markup,
    )  # fmt: skip
    assert status == 400
    status, _ = await call(sandbox, "editMessageText", chat_id=alice.id, message_id=99, text="x")
    assert status == 400


async def test_flood_control_per_private_chat_answers_429_with_retry_after() -> None:
    clock = StoppedClock()  # the calls land at one moment, however long each one takes
    async with sandbox_running(Limits(private_per_second=1, private_burst=3), clock) as sandbox:
        alice = started_user(sandbox)
        statuses = [
            (await call(sandbox, "sendMessage", chat_id=alice.id, text=f"n{n}"))[0]
            for n in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        [limited] = sandbox.emulator.rate_limited
        assert limited.retry_after == 1
        _, body = await call(sandbox, "sendMessage", chat_id=alice.id, text="again")
        assert body["parameters"] == {"retry_after": 1}
        clock.advance(1)  # one a second
        assert (await call(sandbox, "sendMessage", chat_id=alice.id, text="later"))[0] == 200


async def test_flood_control_per_group_and_overall() -> None:
    limits = Limits(group_per_minute=20, group_burst=2, overall_per_second=30, overall_burst=4)
    # The calls land at one moment until the test moves the clock: at 30 a second, the bot's
    # bucket refills a send every 33 ms, which six calls on a loaded machine took more than.
    clock = StoppedClock()
    async with sandbox_running(limits, clock) as sandbox:
        head = sandbox.user("Hanna")
        block = sandbox.group("Block 5", admins=[head])
        await sandbox.add_bot(block, by=head)

        async def to_group() -> int:
            return (await call(sandbox, "sendMessage", chat_id=block.id, text="x"))[0]

        assert [await to_group() for _ in range(3)] == [200, 200, 429]
        assert sandbox.emulator.rate_limited[0].retry_after == 3  # 20/min is one every 3 s
        users = [started_user(sandbox, f"U{n}") for n in range(3)]
        overall = [(await call(sandbox, "sendMessage", chat_id=u.id, text="x"))[0] for u in users]
        assert overall == [200, 200, 429]
        clock.advance(0.05)  # more than the 1/30 s a send of the whole bot's takes
        assert (await call(sandbox, "sendMessage", chat_id=users[2].id, text="x"))[0] == 200
        clock.advance(2.45)  # 2.5 s: not yet the group's next slot
        assert await to_group() == 429
        clock.advance(1)
        assert await to_group() == 200


async def test_flood_control_can_be_switched_off() -> None:
    async with sandbox_running(Limits(enabled=False)) as sandbox:
        alice = started_user(sandbox)
        for n in range(20):
            assert (await call(sandbox, "sendMessage", chat_id=alice.id, text=str(n)))[0] == 200


async def test_only_existing_buttons_can_be_pressed_and_answered_once(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    markup = {"inline_keyboard": [[{"text": "+1 Honey", "callback_data": "j:1:7:1"}]]}
    await call(sandbox, "sendMessage", chat_id=alice.id, text="card", reply_markup=markup)
    card = sandbox.bot_messages(alice.id)[-1]
    with pytest.raises(ValueError, match="no button 'Buy all'"):
        await sandbox.press(alice, card, "Buy all")
    pending = await sandbox.press(alice, card, "+1 Honey")
    _, updates = await call(sandbox, "getUpdates")
    query = updates["result"][-1]["callback_query"]
    assert (query["data"], query["from"]["id"]) == ("j:1:7:1", alice.id)
    status, _ = await call(sandbox, "answerCallbackQuery", callback_query_id=query["id"], text="ok")
    assert status == 200
    assert (await sandbox.answer_of(pending)).text == "ok"
    status, body = await call(sandbox, "answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400
    assert "query is too old" in body["description"]
    status, _ = await call(sandbox, "answerCallbackQuery", callback_query_id="nope")
    assert status == 400


async def test_forged_callback_data_reaches_the_bot(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    await call(sandbox, "sendMessage", chat_id=alice.id, text="plain")
    sandbox.press_forged(alice, sandbox.bot_messages(alice.id)[-1], "j:1:999:1")
    _, updates = await call(sandbox, "getUpdates")
    assert updates["result"][-1]["callback_query"]["data"] == "j:1:999:1"


async def test_documents_upload_and_download(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "Supplier order")
    form.add_field(
        "document", b"item;units\nHoney;12\n", filename="order.csv", content_type="text/csv"
    )
    url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/sendDocument"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=form) as response:
            sent = await response.json()
        assert sent["result"]["document"]["file_name"] == "order.csv"
        file_id = sent["result"]["document"]["file_id"]
        _, info = await call(sandbox, "getFile", file_id=file_id)
        path = info["result"]["file_path"]
        download = f"{sandbox.emulator.file_base_url}{sandbox.emulator.token}/{path}"
        async with session.get(download) as response:
            assert await response.read() == b"item;units\nHoney;12\n"
    assert sandbox.documents(alice.id) == [("order.csv", b"item;units\nHoney;12\n")]
    # A file id is sent again only as what it is: a document is no photo.
    status, body = await call(sandbox, "sendPhoto", chat_id=alice.id, photo=file_id)
    assert (status, body["description"]) == (
        400, "Bad Request: can't use file of type Document as Photo",
    )  # fmt: skip
    status, _ = await call(sandbox, "sendDocument", chat_id=alice.id, document=file_id)
    assert status == 200


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000104944415478"
    "9c6378b640038818201400320e06b9cec1db810000000049454e44ae426082"
)


async def test_photos_albums_and_captions_as_telegram_checks_them() -> None:
    """Through python-telegram-bot itself: what the bot's photo cards rely on (flood control
    off: these are many messages to one chat at once)."""
    async with sandbox_running(Limits(enabled=False)) as sandbox:
        await _photos_albums_and_captions(sandbox)


async def _photos_albums_and_captions(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    async with Bot(sandbox.emulator.token, base_url=sandbox.emulator.base_url) as bot:
        sent = await bot.send_photo(alice.id, PNG, caption="<b>Honey</b>", parse_mode="HTML")
        assert sent.photo and sent.caption == "Honey"
        file_id = sent.photo[-1].file_id
        again = await bot.send_photo(alice.id, file_id)  # a photo's id is sent again as is
        assert again.photo[-1].file_id == file_id
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(alice.id, file_id, caption="x" * 1025)
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(alice.id, InputFile(b"not a picture", filename="x.txt"))
        by_url = await bot.send_photo(alice.id, "https://example.org/honey.jpg")
        assert by_url.photo  # fetched by Telegram; the sandbox keeps a stand-in picture
        album = await bot.send_media_group(
            alice.id,
            [InputMediaPhoto(file_id, caption="one"), InputMediaPhoto(PNG, caption="two")],
        )
        assert [m.caption for m in album] == ["one", "two"]
        assert album[0].media_group_id is not None
        assert album[0].media_group_id == album[1].media_group_id != sent.media_group_id
        assert album[1].message_id == album[0].message_id + 1
        for media in ([InputMediaPhoto(file_id)], [InputMediaPhoto(file_id)] * 11):
            with pytest.raises(BadRequest, match=r"(?i)wrong number of media"):
                await bot.send_media_group(alice.id, media)
        edited = await bot.edit_message_caption(alice.id, sent.message_id, caption="Jam")
        assert isinstance(edited, Message) and edited.caption == "Jam"
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_caption(alice.id, sent.message_id, caption="Jam")
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.edit_message_caption(alice.id, sent.message_id, caption="y" * 1025)
        text = await bot.send_message(alice.id, "no photo here")
        with pytest.raises(BadRequest, match=r"(?i)no caption in the message to edit"):
            await bot.edit_message_caption(alice.id, text.message_id, caption="Jam")
        # Counted as Telegram counts: UTF-16 code units of the text, without the markup.
        cheese = "🧀" * 512
        await bot.send_photo(alice.id, file_id, caption=f"<b>{cheese}</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(alice.id, file_id, caption=cheese + "🧀")
        # Buttons under a photo (a pickup notice's slots), and the chat page shows its caption.
        slots = InlineKeyboardMarkup([[InlineKeyboardButton("Hall", callback_data="gs:1:1:0")]])
        under = await bot.send_photo(
            alice.id, file_id, caption="Code <b>K7PX</b>", parse_mode="HTML", reply_markup=slots
        )
        assert under.reply_markup == slots
        shown = sandbox.emulator.messages[(alice.id, under.message_id)]
        assert message_html(shown, "bot") == "Code <b>K7PX</b>"
    assert [caption for caption, _ in sandbox.photos(alice.id)] == [
        "Jam", None, None, "one", "two", "🧀" * 512, "Code K7PX",
    ]  # fmt: skip


async def test_form_encoded_parameters_like_python_telegram_bot_sends(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    status, body = await form_call(
        sandbox, "sendMessage", chat_id=str(alice.id), text="hi", reply_markup=markup
    )
    assert status == 200
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    status, _ = await form_call(sandbox, "sendMessage", chat_id="abc", text="hi")
    assert status == 400


async def test_webhook_delivers_with_the_secret_and_blocks_get_updates(sandbox: Sandbox) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        status, _ = await call(sandbox, "setWebhook", url="https://example.org/hook")
        assert status == 400
        status, _ = await call(
            sandbox, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret"
        )
        assert status == 200
        status, _ = await call(sandbox, "getUpdates")
        assert status == 409
        await sandbox.send(sandbox.user("Alice"), "/start")
        await sandbox.emulator.wait_until(lambda: received, 5)
        assert received[0][0] == "s3cret"
        assert received[0][1]["message"]["text"] == "/start"
        _, info = await call(sandbox, "getWebhookInfo")
        assert info["result"]["pending_update_count"] == 0
        await call(sandbox, "deleteWebhook")
        assert (await call(sandbox, "getUpdates"))[0] == 200
    finally:
        await runner.cleanup()


async def test_chat_members_admins_pins_and_commands(sandbox: Sandbox) -> None:
    head, alice = sandbox.user("Hanna"), sandbox.user("Alice")
    block = sandbox.group("Block 5", members=[alice], admins=[head])
    await sandbox.add_bot(block, by=head, as_admin=True, can_pin=False)
    _, member = await call(sandbox, "getChatMember", chat_id=block.id, user_id=alice.id)
    assert member["result"]["status"] == "member"
    _, admins = await call(sandbox, "getChatAdministrators", chat_id=block.id)
    assert {a["user"]["first_name"] for a in admins["result"]} == {"Hanna", "GroupBuy"}
    _, chat = await call(sandbox, "getChat", chat_id=block.id)
    assert chat["result"]["type"] == "supergroup"
    _, sent = await call(sandbox, "sendMessage", chat_id=block.id, text="card")
    message_id = sent["result"]["message_id"]
    status, body = await call(sandbox, "pinChatMessage", chat_id=block.id, message_id=message_id)
    assert (status, body["description"]) == (
        400,
        "Bad Request: not enough rights to manage pinned messages in the chat",
    )
    block.bot_can_pin = True
    assert (await call(sandbox, "pinChatMessage", chat_id=block.id, message_id=message_id))[
        0
    ] == 200
    commands = [{"command": "new", "description": "Open a purchase"}]
    assert (await call(sandbox, "setMyCommands", commands=commands))[0] == 200
    assert (await call(sandbox, "sendChatAction", chat_id=block.id, action="typing"))[0] == 200
    assert (await call(sandbox, "deleteMessage", chat_id=block.id, message_id=message_id))[0] == 200
    assert (await call(sandbox, "deleteMessage", chat_id=block.id, message_id=message_id))[0] == 400
    with pytest.raises(ValueError, match="not a member"):
        await sandbox.send(sandbox.user("Outsider"), "hi", chat=block)


async def test_deep_links_arrive_as_start_with_a_payload(sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    sent = await sandbox.open_link(alice, "https://t.me/groupbuy_sandbox_bot?start=p7")
    assert sent.text == "/start p7"
    assert alice.started_bot
    with pytest.raises(ValueError, match="payload"):
        await sandbox.start(alice, "has space")
    with pytest.raises(ValueError, match="not a link to this bot"):
        await sandbox.open_link(alice, "https://t.me/other_bot?start=x")
