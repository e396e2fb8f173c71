"""The README and the guides under docs/ say only what is true of the code: every link and
anchor leads somewhere, every command they name is one the bot registers, every setting one
it reads, every file one the repository has, and every picture one a test draws again."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from telegram.ext import CommandHandler

from bot.app import HANDLER_MODULES
from bot.settings import Settings
from handlers import start

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PAGES = (README, *sorted((REPO / "docs").glob("*.md")))

# The README is the front door: what the bot is, how to try it, where to read next.
README_MOST_LINES = 180

# Names in code spans that start with "/" but are no command of this bot.
NOT_BOT_COMMANDS = {
    "/newbot": "@BotFather's",
    "/mybots": "@BotFather's",
    "/app": "the Mini App's path on the webhook server",
    "/healthz": "the webhook server's health check",
    "/metrics": "Prometheus' path on METRICS_LISTEN",
    "/proc": "Linux's process files",
}

# Upper-case names the guides show that are no setting of the bot, and the file that reads each.
OTHER_ENVIRONMENT = {
    "REQUIRE_POSTGRES": "tests/conftest.py",
    "REQUIRE_BROWSER": "tests/test_chat_page.py",
    "REQUIRE_PDF_TOOLS": "tests/test_pickup_day.py",
    "REQUIRE_HAPROXY": "tests/test_scale_out.py",
    "TEST_WORKERS": "Makefile",
    "GROUPBUY_WEBHOOK_PATH": "deploy/haproxy.cfg",
    "GROUPBUY_LB_LISTEN": "deploy/haproxy.cfg",
}

# Each picture the guides show, and the test that draws it again (its node id, and the name it
# writes the picture under in test-artifacts/, to be copied over the one in docs/).
REDRAWN_BY = {
    "sandbox-chat-page.png": (
        "tests/test_chat_page.py::test_a_purchase_opened_and_joined_in_the_browser",
        '"chat-page.png"',
    ),
    "mini-app.png": (
        "tests/test_mini_app.py::test_a_member_orders_in_the_mini_app_and_the_card_follows",
        '"mini-app.png"',
    ),
    "packing-list.png": (
        "tests/test_pickup_day.py::test_the_packing_list_prints_in_every_language",
        'f"packing-list-{language}"',
    ),
}
# Pictures taken by hand, which no test draws yet: the list may only shrink.
NOT_YET_REDRAWN = {"route-manifest.png", "telegram-payments.png"}

FENCE = re.compile(r"^ *```.*?^ *```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.M)
COMMAND = re.compile(r"^/([a-z_]+)(?=$|\s)")
ENVIRONMENT_NAME = re.compile(r"(?<![\w/.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w/.(])")
PATH_SUFFIXES = (".py", ".md", ".cfg", ".toml", ".po", ".png", ".service", ".json", ".lock")
GENERATED = (".venv/", "test-artifacts/")


def relative(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


def prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", page.read_text())


def fenced_lines(page: Path) -> Iterator[str]:
    for block in FENCE.findall(page.read_text()):
        yield from (line.strip() for line in block.splitlines()[1:-1])


def code_spans(page: Path) -> Iterator[str]:
    yield from CODE_SPAN.findall(prose(page))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, heading in HEADING.findall(prose(page)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: — not ours to check offline
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{relative(page)}: {target} (no such file)")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            broken.append(f"{relative(page)}: {target} (no such heading)")
    return broken


def registered_commands() -> set[str]:
    """Every command a CommandHandler of the running bot answers, as bot/app.py adds them."""
    registrations = [r for module in HANDLER_MODULES for r in module.HANDLERS]
    registrations += start.FALLBACKS
    return {
        command
        for handler, _ in registrations
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def commands_named(page: Path) -> set[str]:
    texts = [*code_spans(page), *fenced_lines(page)]
    return {"/" + m.group(1) for text in texts if (m := COMMAND.match(text))}


def environment_names(page: Path) -> set[str]:
    names = {name for span in code_spans(page) for name in ENVIRONMENT_NAME.findall(span)}
    assignments = (re.match(r"([A-Z][A-Z0-9_]+)=", line) for line in fenced_lines(page))
    return names | {m.group(1) for m in assignments if m}


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([\w.-]+):", makefile, re.M))


def repository_files() -> list[str]:
    skipped = {".venv", ".git", "__pycache__", "test-artifacts"}
    return [p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if not skipped & set(p.parts)]


def expanded(path: str) -> list[str]:
    """`texts/locales/{ru,zh_Hans}/x.po` as the paths it stands for."""
    braces = re.search(r"\{([^}]*)\}", path)
    if braces is None:
        return [path]
    choices = braces.group(1).split(",")
    return [p for c in choices for p in expanded(path.replace(braces.group(0), c, 1))]


def missing_paths(page: Path, files: list[str]) -> list[str]:
    missing = []
    top = {Path(f).parts[0] for f in files}
    for span in code_spans(page):
        for word in span.split():
            word = re.sub(r"(\[[^\]]*\]|::\S*)$", "", word.strip("(),;:"))
            if word.startswith(GENERATED) or "://" in word or word.startswith("/"):
                continue
            if "/" in word:
                if not (word.split("/")[0] in top or word.endswith(PATH_SUFFIXES)):
                    continue  # Europe/Berlin, km/h: not a path
                for path in expanded(word.rstrip("/")):
                    if not list(REPO.glob(path)):
                        missing.append(f"{relative(page)}: {path}")
            elif word.endswith(".py") and not any(f.endswith("/" + word) for f in files):
                missing.append(f"{relative(page)}: {word}")
        for module in re.findall(r"python -m ([\w.]+)", span):
            base = REPO / module.replace(".", "/")
            if not (base.with_suffix(".py").exists() or (base / "__main__.py").exists()):
                missing.append(f"{relative(page)}: python -m {module}")
        for target in re.findall(r"^make ([\w.-]+)", span):
            if target not in make_targets():
                missing.append(f"{relative(page)}: make {target}")
    for line in fenced_lines(page):
        if (m := re.match(r"make ([\w.-]+)", line)) and m.group(1) not in make_targets():
            missing.append(f"{relative(page)}: make {m.group(1)}")
    return missing


def test_every_link_and_anchor_leads_somewhere() -> None:
    assert [b for page in PAGES for b in broken_links(page)] == []


def test_every_command_the_guides_name_is_one_the_bot_registers() -> None:
    registered = registered_commands()
    assert {"/new", "/orders", "/purchases"} <= {"/" + c for c in registered}
    assert not {c.lstrip("/") for c in NOT_BOT_COMMANDS} & registered
    unknown = {
        f"{relative(page)}: {command}"
        for page in PAGES
        for command in commands_named(page)
        if command.lstrip("/") not in registered and command not in NOT_BOT_COMMANDS
    }
    assert unknown == set()


def test_every_setting_the_guides_name_is_one_the_bot_reads() -> None:
    settings = {field.upper() for field in Settings.model_fields}
    assert {"BOT_TOKEN", "DATABASE_URL"} <= settings
    for name, reader in OTHER_ENVIRONMENT.items():
        assert name not in settings and name in (REPO / reader).read_text(), name
    unknown = {
        f"{relative(page)}: {name}"
        for page in PAGES
        for name in environment_names(page)
        if name not in settings and name not in OTHER_ENVIRONMENT
    }
    assert unknown == set()


def test_every_file_the_guides_name_is_in_the_repository() -> None:
    files = repository_files()
    assert [m for page in PAGES for m in missing_paths(page, files)] == []


def test_every_picture_shown_is_one_a_test_draws_again() -> None:
    shown = {
        (page.parent / target).resolve()
        for page in PAGES
        for target in IMAGE.findall(page.read_text())
    }
    docs = (REPO / "docs").resolve()
    assert all(picture.parent == docs for picture in shown), "pictures live in docs/"
    names = {picture.name for picture in shown}
    assert names == set(REDRAWN_BY) | NOT_YET_REDRAWN
    assert not set(REDRAWN_BY) & NOT_YET_REDRAWN
    for name, (node, written_as) in REDRAWN_BY.items():
        assert (docs / name).exists(), name
        assert written_as in source_of_test(node), f"{node} does not write {written_as}"


def source_of_test(node: str) -> str:
    """The test's own source and that of the module's functions it calls."""
    file, _, name = node.partition("::")
    source = (REPO / file).read_text()
    module = ast.parse(source)
    functions = {
        f.name: f for f in module.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert name in functions, f"no test {node}"
    test = functions[name]
    called = {
        c.func.id
        for c in ast.walk(test)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
    }
    chosen = {name} | (called & set(functions))
    return "\n".join(ast.get_source_segment(source, functions[f]) or "" for f in chosen)


def test_the_readme_stays_a_front_door() -> None:
    assert len(README.read_text().splitlines()) <= README_MOST_LINES
