"""Messages as Telegram checks them: whom the bot may write to (403s), its validations, HTML,
edits that change nothing, buttons pressed and answered, members, admins, pins and commands."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.driver import Sandbox
from tests.support.raw_api import call, started_user


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
