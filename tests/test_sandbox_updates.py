"""Updates to the bot: long polling, limit and allowed_updates, the webhook, and deep links."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from sandbox.driver import Sandbox
from tests.support.raw_api import call, started_user


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


async def test_deep_links_arrive_as_start_with_a_payload(sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    sent = await sandbox.open_link(alice, "https://t.me/groupbuy_sandbox_bot?start=p7")
    assert sent.text == "/start p7"
    assert alice.started_bot
    with pytest.raises(ValueError, match="payload"):
        await sandbox.start(alice, "has space")
    with pytest.raises(ValueError, match="not a link to this bot"):
        await sandbox.open_link(alice, "https://t.me/other_bot?start=x")
