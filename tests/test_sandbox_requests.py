"""The emulator's HTTP face: Telegram's envelope, its errors, GET as well as POST, and the
form-encoded parameters python-telegram-bot sends."""

from __future__ import annotations

import json

import aiohttp
import pytest

from sandbox.driver import Sandbox
from tests.support.raw_api import call, form_call, started_user


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
