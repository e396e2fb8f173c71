"""domain/ stays plain Python: no Telegram, no SQL, no network, no clock of its own."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "domain"
FORBIDDEN = {
    "telegram", "sqlalchemy", "aiosqlite", "asyncpg", "alembic", "apscheduler",
    "aiohttp", "httpx", "bot", "runtime", "texts", "handlers", "storage", "sandbox", "socket",
    "requests",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_domain_imports_no_framework_or_io() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert files
    offenders = {f.name: imported_modules(f) & FORBIDDEN for f in files}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_domain_never_reads_the_clock() -> None:
    for path in DOMAIN.rglob("*.py"):
        source = path.read_text()
        assert ".now(" not in source, path.name
        assert "utcnow" not in source, path.name
