"""The map in docs/ARCHITECTURE.md matches the code: every file and room it names exists, and
every room of the code is on the map and under the import contracts."""

from __future__ import annotations

import re
import tomllib
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PAGE = (REPO / "docs" / "ARCHITECTURE.md").read_text()
ROOMS = ("bot", "runtime", "texts", "handlers", "domain", "storage", "sandbox")


def test_every_file_the_page_names_exists() -> None:
    named = set(re.findall(r"`([\w/]+\.py)`", PAGE))
    assert len(named) > 40
    python_files = [p.relative_to(REPO).as_posix() for p in REPO.glob("*/**/*.py")]
    missing = {n for n in named if not any(f == n or f.endswith("/" + n) for f in python_files)}
    assert missing == set()


def test_every_room_is_on_the_page_and_under_the_contracts() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(ROOMS)
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) == set(ROOMS)
    for room in ROOMS:
        assert f"| `{room}/` |" in PAGE, room


def test_no_module_of_ours_imports_one_that_imports_it_back() -> None:
    """The arrows run one way: a circle (bot/app.py and bot/webhook.py once imported each
    other) means neither can be read, tested or started without the other. Imports inside
    functions count; imports only for type checking do not, since they never run."""
    graph = grimp.build_graph(*ROOMS, exclude_type_checking_imports=True)
    arrows = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert len(arrows) > 150
    try:
        tuple(TopologicalSorter(arrows).static_order())
    except CycleError as error:
        raise AssertionError(f"an import circle: {' -> '.join(error.args[1])}") from None
