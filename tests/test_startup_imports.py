"""A worker starts light: what `python -m bot run` and a webhook worker import loads none of
the libraries only routes, charts, documents, QR codes, spreadsheets and receipt pictures need
(each is imported where it is used; bench/startup.py measures what that saves)."""

from __future__ import annotations

from bench.startup import HEAVY_MODULES, WORKER_MODULES, imported


def test_a_worker_imports_none_of_the_heavy_libraries() -> None:
    loaded = imported(WORKER_MODULES)
    assert loaded.modules > 500  # the bot itself was imported, in a fresh interpreter
    assert loaded.heavy == []


def test_the_check_sees_the_heavy_libraries_a_module_pulls_in() -> None:
    # What handlers/charts.py imported at its top before: matplotlib brings numpy and Pillow.
    loaded = imported(("matplotlib.figure",))
    assert {"matplotlib", "numpy", "PIL"} <= set(loaded.heavy) <= set(HEAVY_MODULES)
