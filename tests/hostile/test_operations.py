"""The operator's endpoints stay the operator's: from outside, HAProxy forwards only the webhook
and the Mini App; metrics are served only on METRICS_LISTEN. A poller started beside webhook
workers with the production token refuses (exit 2) unless told to take over; a take-over
stops the workers (exit 3) and keeps new ones from starting while it is held; a webhook deleted
without a take-over is set again by the leading worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from sandbox.api_params import Params
from sandbox.driver import Sandbox
from sandbox.fleet import WEBHOOK_PATH, Fleet, free_port
from sandbox.process import BotProcess
from tests.support.running import eventually, sandbox_running
from tests.test_scale_out import haproxy, output_of, pg_url

__all__ = ["haproxy", "pg_url"]  # the fixtures, shared with test_scale_out

CHECK_SECONDS = "0.3"


@pytest.fixture
async def two_workers(
    haproxy: str, pg_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Sandbox, Fleet]]:
    async with sandbox_running() as sandbox:
        workers = Fleet(sandbox.emulator, pg_url, tmp_path)
        try:
            await workers.start(
                2, WEBHOOK_CHECK_SECONDS=CHECK_SECONDS, MINI_APP_URL="https://bot.example/app"
            )
            yield sandbox, workers
        finally:
            await workers.stop()


async def get(url: str, method: str = "GET") -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.request(method, url) as response:
        return response.status, await response.text()


async def test_from_outside_only_the_webhook_and_the_mini_app_and_metrics_on_their_own_address(
    two_workers: tuple[Sandbox, Fleet],
) -> None:
    sandbox, workers = two_workers
    outside = f"http://127.0.0.1:{workers.lb_port}"
    for path in ("/metrics", "/healthz", "/", "/telegram", "/app-other", "/telegram/hook/x"):
        status, body = await get(outside + path)
        assert status == 404, (path, status, body)
        assert "groupbuy_" not in body and "status" not in body
    assert (await get(outside + WEBHOOK_PATH))[0] == 405  # Telegram only ever posts

    async def forwarded() -> bool:  # once HAProxy's checks saw a worker up: the worker asks
        return await get(outside + WEBHOOK_PATH, "POST") == (401, "wrong or missing secret token")

    await eventually(forwarded, timeout=10)
    status, body = await get(outside + "/app")
    assert status == 200 and "<html" in body.lower()

    # On a worker's own webhook address: health for HAProxy, but no metrics.
    worker = workers.workers[0]
    assert (await get(f"http://{worker.address}/healthz"))[0] == 200
    assert (await get(f"http://{worker.address}/metrics"))[0] == 404
    status, body = await get(f"http://{worker.metrics_address}/metrics")
    assert status == 200 and "groupbuy_updates_handled_total" in body
    assert "groupbuy_inbox_depth" in body and "groupbuy_leader" in body
    # Only /metrics there.
    assert (await get(f"http://{worker.metrics_address}/healthz"))[0] == 404
    hanna = sandbox.user("Hanna")
    sent = await sandbox.start(hanna)
    await sandbox.wait_for_message(hanna.id, after=sent, timeout=20)


async def test_a_poller_beside_webhook_workers_refuses_and_a_take_over_stops_them(
    two_workers: tuple[Sandbox, Fleet], pg_url: str, tmp_path: Path
) -> None:
    sandbox, workers = two_workers
    emulator = sandbox.emulator
    hanna = sandbox.user("Hanna")
    webhook = emulator.webhook_url
    assert webhook == workers.webhook_url

    # The production token, no WEBHOOK_URL: refused in one line, the webhook left alone.
    log = tmp_path / "poller.log"
    poller = await BotProcess.start(emulator, pg_url, log)
    code, lines = await output_of(poller, log)
    assert code == 2 and len(lines) == 1, lines
    assert "Telegram sends this bot's updates to a webhook (127.0.0.1:" in lines[0]
    assert "TAKE_OVER_WEBHOOK=true" in lines[0]
    assert emulator.webhook_url == webhook
    sent = await sandbox.send(hanna, "/help")
    await sandbox.wait_for_message(hanna.id, "/orders", after=sent, timeout=20)

    # Deleted by hand, with no take-over: the leading worker sets it again.
    await emulator.api_deletewebhook(Params({}, {}))
    await eventually(lambda: emulator.webhook_url == webhook, timeout=10)
    sent = await sandbox.send(hanna, "/help")
    await sandbox.wait_for_message(hanna.id, "/orders", after=sent, timeout=20)

    # Told to take over: the workers stop, the poller answers, and no worker starts meanwhile.
    taker_log = tmp_path / "taker.log"
    metrics_port = free_port()
    taker = await BotProcess.start(
        emulator, pg_url, taker_log, TAKE_OVER_WEBHOOK="true",
        METRICS_LISTEN=f"127.0.0.1:{metrics_port}",
    )  # fmt: skip
    try:
        for worker in workers.workers[:2]:
            assert worker.process is not None
            await asyncio.wait_for(worker.process.process.wait(), 30)
            assert worker.process.process.returncode == 3  # not restarted by systemd
        sent = await sandbox.send(hanna, "/help")
        await sandbox.wait_for_message(hanna.id, "/orders", after=sent, timeout=20)
        assert emulator.webhook_url == ""
        worker_log = tmp_path / "worker1.log"
        assert "took this bot's updates over" in worker_log.read_text()
        status, body = await get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200 and "groupbuy_updates_handled_total" in body

        await workers.start_worker(2, wait=False)
        process = workers.workers[2].process
        assert process is not None
        code, _lines = await output_of(process, tmp_path / "worker3.log")
        assert code == 3
        assert "took this bot's updates over" in (tmp_path / "worker3.log").read_text()
        assert emulator.webhook_url == ""
    finally:
        await taker.stop()
    assert taker.process.returncode == 0
    # Stopped, the poller let go: a worker starts and takes the updates again.
    await workers.start_worker(0)
    await eventually(lambda: emulator.webhook_url == webhook, timeout=10)
    sent = await sandbox.send(hanna, "/help")
    await sandbox.wait_for_message(hanna.id, "/orders", after=sent, timeout=20)
