"""Start-up and memory of a worker before it answers anything: the time to import and the peak
resident memory of (a) the base libraries alone (python-telegram-bot, SQLAlchemy with
aiosqlite and asyncpg, APScheduler, pydantic-settings, Babel, aiohttp, httpx) and (b) what
`python -m bot run` and a webhook worker import, each in a fresh interpreter, the kinds
interleaved; medians of the repetitions, and the ratios of (b) to (a). Wall and CPU time both:
on a busy machine the wall time grows with the others' load, the CPU time much less.

--code PATH adds a row for another checkout of the bot (a git worktree of an older commit),
measured interleaved in the same run: the before and after of a change.

    python -m bench.startup [--repeat 9] [--code /tmp/hA-base]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
BASE_LIBRARIES = (
    "telegram", "telegram.ext", "telegram.request", "sqlalchemy", "sqlalchemy.ext.asyncio",
    "aiosqlite", "asyncpg", "apscheduler", "pydantic_settings", "babel", "babel.support",
    "babel.dates", "babel.numbers", "aiohttp", "aiohttp.web", "httpx",
)  # fmt: skip
# `python -m bot run` imports bot.cli, whose run command imports bot.app and bot.takeover; a
# webhook worker adds bot.webhook.
WORKER_MODULES = (
    "bot.cli", "bot.app", "bot.lifecycle", "bot.serving", "bot.takeover", "bot.webhook",
)  # fmt: skip
# What only a route, a chart, a document, a QR code or a receipt's picture needs, and alembic,
# which only a migration needs: each costs a fresh process tens of megabytes or a tenth of a
# second and more (segno and Pillow less, but nothing at start needs them), so none may be
# loaded before it is used.
HEAVY_MODULES = (
    "ortools", "matplotlib", "numpy", "fpdf", "fontTools", "openpyxl", "segno", "PIL",
    "scipy", "imagehash", "alembic",
)  # fmt: skip

CHILD = """\
import importlib, json, resource, sys, time
def cpu():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime
started, cpu_started = time.perf_counter(), cpu()
for name in {modules!r}:
    importlib.import_module(name)
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
print(json.dumps({{
    "seconds": seconds,
    "cpu_seconds": cpu_seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "heavy": sorted(m for m in {heavy!r} if m in sys.modules),
    "modules": len(sys.modules),
}}))
"""


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    heavy: list[str]
    modules: int


@dataclass
class Row:
    name: str
    seconds: float
    cpu_seconds: float
    peak_mb: float
    heavy: list[str]
    modules: int


def imported(modules: tuple[str, ...], code: Path = HERE) -> Sample:
    """Import `modules` in a fresh interpreter whose imports come from `code` first."""
    # With bytecode caches, as a deployed worker starts: without them every module of ours
    # would be compiled again at each start (this machine's shell sets PYTHONDONTWRITEBYTECODE).
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    source = CHILD.format(modules=modules, heavy=HEAVY_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", source], cwd=code, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {modules} from {code} failed:\n{done.stderr}")
    return Sample(**json.loads(done.stdout))


def measure(kinds: dict[str, tuple[tuple[str, ...], Path]], repeat: int) -> list[Row]:
    """Each kind `repeat` times, one of each in turn, so a slow minute slows every kind."""
    samples: dict[str, list[Sample]] = {name: [] for name in kinds}
    for modules, code in kinds.values():
        imported(modules, code)  # writes the bytecode caches; not counted
    for _ in range(repeat):
        for name, (modules, code) in kinds.items():
            samples[name].append(imported(modules, code))
    return [
        Row(
            name,
            statistics.median(s.seconds for s in runs),
            statistics.median(s.cpu_seconds for s in runs),
            statistics.median(s.peak_mb for s in runs),
            runs[-1].heavy,
            runs[-1].modules,
        )
        for name, runs in samples.items()
    ]


def table(rows: list[Row]) -> str:
    """Wall time (what a restart waits), CPU time (the same, less what other processes on
    the machine took meanwhile) and peak memory, each beside its ratio to the first row."""
    base = rows[0]
    lines = [
        f"{'imports':<28}{'seconds':>9}{'× base':>8}{'CPU s':>8}{'× base':>8}"
        f"{'peak MB':>9}{'× base':>8}{'modules':>9}  heavy modules loaded"
    ]
    lines += [
        f"{row.name:<28}{row.seconds:>9.3f}{row.seconds / base.seconds:>8.2f}"
        f"{row.cpu_seconds:>8.3f}{row.cpu_seconds / base.cpu_seconds:>8.2f}"
        f"{row.peak_mb:>9.1f}{row.peak_mb / base.peak_mb:>8.2f}{row.modules:>9}"
        f"  {', '.join(row.heavy) or '-'}"
        for row in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--code", type=Path, help="another checkout of the bot, measured too")
    args = parser.parse_args()
    kinds = {
        "base libraries": (BASE_LIBRARIES, HERE),
        "worker (this code)": (WORKER_MODULES, HERE),
    }
    if args.code:
        kinds[f"worker ({args.code})"] = (WORKER_MODULES, args.code.resolve())
    rows = measure(kinds, args.repeat)
    print(f"start-up: imports in a fresh interpreter, median of {args.repeat} runs each")
    print(table(rows))


if __name__ == "__main__":
    main()
