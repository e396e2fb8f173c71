"""Several bot processes in webhook mode behind HAProxy, as docs/deploy.md runs them: what the
scale-out tests and benchmarks start. HAProxy runs deploy/haproxy.cfg itself, with the
addresses in its environment; the sandbox delivers updates to HAProxy as Telegram would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from sandbox.emulator import TelegramSandbox
from sandbox.process import REPO, BotProcess, cpu_seconds

HAPROXY_CONFIG = REPO / "deploy" / "haproxy.cfg"
# deploy/haproxy.cfg names this many servers.
MAX_WORKERS = 3
WEBHOOK_PATH = "/telegram/hook"
WEBHOOK_SECRET = "fleet-webhook-secret"


def find_haproxy() -> str | None:
    return shutil.which("haproxy") or next(
        (str(p) for p in (Path("/usr/sbin/haproxy"),) if p.exists()), None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    port: int
    metrics_port: int
    process: BotProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def metrics_address(self) -> str:
        return f"127.0.0.1:{self.metrics_port}"


@dataclass
class Fleet:
    emulator: TelegramSandbox
    database_url: str
    folder: Path
    workers: list[Worker] = field(default_factory=list)
    lb_port: int = 0
    _haproxy: asyncio.subprocess.Process | None = None

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}{WEBHOOK_PATH}"

    async def start(self, count: int, **settings: str) -> None:
        """HAProxy and `count` workers (at most MAX_WORKERS), once every worker is ready."""
        assert 1 <= count <= MAX_WORKERS
        haproxy = find_haproxy()
        if haproxy is None:
            raise RuntimeError("HAProxy is not installed (apt-get install haproxy)")
        self.lb_port = free_port()
        self.workers = [Worker(free_port(), free_port()) for _ in range(MAX_WORKERS)]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GROUPBUY_LB_LISTEN": f"127.0.0.1:{self.lb_port}",
            "GROUPBUY_WEBHOOK_PATH": WEBHOOK_PATH,
            **{f"GROUPBUY_WORKER_{n + 1}": w.address for n, w in enumerate(self.workers)},
        }
        with (self.folder / "haproxy.log").open("ab") as output:
            self._haproxy = await asyncio.create_subprocess_exec(
                haproxy, "-db", "-f", str(HAPROXY_CONFIG),
                env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        self._settings = settings
        for n in range(count):
            await self.start_worker(n, wait=False)
        for n in range(count):
            await self.wait_ready(n)

    async def start_worker(self, n: int, wait: bool = True) -> None:
        worker = self.workers[n]
        worker.process = await BotProcess.start(
            self.emulator, self.database_url, self.folder / f"worker{n + 1}.log",
            WEBHOOK_URL=self.webhook_url, WEBHOOK_SECRET=WEBHOOK_SECRET,
            WEBHOOK_LISTEN=worker.address, METRICS_LISTEN=worker.metrics_address,
            **self._settings,
        )  # fmt: skip
        if wait:
            await self.wait_ready(n)

    async def health(self, n: int) -> dict[str, Any] | None:
        """The worker's /healthz answer when it is 200, else None."""
        url = f"http://{self.workers[n].address}/healthz"
        try:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                return dict(await response.json()) if response.status == 200 else None
        except (aiohttp.ClientError, ValueError):
            return None

    async def wait_ready(self, n: int, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.health(n) is None:
            process = self.workers[n].process
            if process is None or not process.running:
                raise RuntimeError(f"worker {n + 1} exited; see {self.folder}/worker{n + 1}.log")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"worker {n + 1} not ready within {timeout} s")
            await asyncio.sleep(0.1)

    def running(self) -> list[int]:
        return [
            n for n, w in enumerate(self.workers) if w.process is not None and w.process.running
        ]

    async def leader(self, timeout: float = 15) -> int:
        """The worker that leads now (its /metrics say groupbuy_leader 1), waiting for one to
        take over if none does."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for n in self.running():
                with contextlib.suppress(aiohttp.ClientError):
                    if "\ngroupbuy_leader 1.0" in await self.metrics(n):
                        return n
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no worker leads")
            await asyncio.sleep(0.1)

    async def metrics(self, n: int) -> str:
        url = f"http://{self.workers[n].metrics_address}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return await response.text()

    async def kill(self, n: int) -> None:
        """SIGKILL: a crash, its connections dropped by the kernel."""
        process = self.workers[n].process
        if process is not None:
            await process.stop(signal.SIGKILL)

    def cpu_seconds(self) -> float:
        """CPU time of every worker started so far (running ones, read now)."""
        return sum(
            cpu_seconds(w.process.process.pid)
            for w in self.workers
            if w.process is not None and w.process.running
        )

    async def stop(self) -> None:
        for worker in self.workers:
            if worker.process is not None:
                await worker.process.stop()
        if self._haproxy is not None and self._haproxy.returncode is None:
            self._haproxy.terminate()
            await self._haproxy.wait()
