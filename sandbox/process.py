"""The bot as a real process (`python -m bot run`) against the sandbox: what crash tests and
benchmarks start, kill with SIGKILL, and measure (CPU time and peak memory from /proc)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.emulator import TelegramSandbox

REPO = Path(__file__).resolve().parent.parent


class BotProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(
        cls, emulator: TelegramSandbox, database_url: str, log: Path, **settings: str
    ) -> BotProcess:
        """Start the bot on `database_url`, its output appended to `log`; `settings` are more
        environment variables (LOG_LEVEL="INFO" …)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "BOT_TOKEN": emulator.token,
            "BOT_API_BASE_URL": emulator.base_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            **settings,
        }
        with log.open("ab") as output:  # the child keeps its own copy of the descriptor
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                cwd=log.parent, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        return cls(process)

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self, how: signal.Signals = signal.SIGINT) -> None:
        """SIGINT stops the bot gracefully; SIGKILL is a crash."""
        if self.running:
            self.process.send_signal(how)
        await self.process.wait()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def peak_rss_mb(self) -> float:
        """The largest resident set so far, in MiB (Linux: VmHWM)."""
        for line in (Path("/proc") / str(self.process.pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc (Linux)."""
    # Fields after the command name, which is in parentheses and may hold spaces.
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
