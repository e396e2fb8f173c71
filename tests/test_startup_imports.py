"""A worker starts light: what `python -m bot run` and a webhook worker import loads none of
the libraries only routes, charts, documents, QR codes, spreadsheets and receipt pictures need
(each is imported where it is used; bench/startup.py measures what that saves), nor alembic
when the database is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.startup import HEAVY_MODULES, HERE, WORKER_MODULES, imported


def test_a_worker_imports_none_of_the_heavy_libraries() -> None:
    loaded = imported(WORKER_MODULES)
    assert loaded.modules > 500  # the bot itself was imported, in a fresh interpreter
    assert loaded.heavy == []


def test_the_check_sees_the_heavy_libraries_a_module_pulls_in() -> None:
    # What handlers/charts.py imported at its top before: matplotlib brings numpy and Pillow.
    loaded = imported(("matplotlib.figure",))
    assert {"matplotlib", "numpy", "PIL"} <= set(loaded.heavy) <= set(HEAVY_MODULES)


def test_a_start_on_a_database_up_to_date_loads_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    script = (
        "import asyncio, sys\n"
        "from storage.migrate import upgrade\n"
        f"asyncio.run(upgrade({url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", script], cwd=HERE, capture_output=True, text=True)
        for _ in range(2)
    ]
    # The first start migrates an empty database, the second finds nothing to do.
    assert [(run.returncode, run.stdout.strip()) for run in runs] == [(0, "True"), (0, "False")]
