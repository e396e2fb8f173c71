"""Catalogs: every string the code uses is translated, and languages are picked sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translator, pick_language

REPO = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def strings_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "handlers", "domain"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / folder, keywords=KEYWORDS, comment_tags=()
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["ru", "zh_Hans"])
def test_catalog_translates_exactly_the_strings_the_code_uses(language: str) -> None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    translated = {
        message.id[0] if isinstance(message.id, tuple) else message.id
        for message in catalog
        if message.id and message.string and all(message.string)
    }
    assert strings_in_code() == translated


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("ru-RU",), "ru"),
        (("zh-hans",), "zh_Hans"),
        (("zh-TW", "en"), "en"),
        (("de", "ru"), "ru"),
        ((None, ""), "en"),
    ],
)
def test_language_is_the_first_one_we_have(
    candidates: tuple[str | None, ...], expected: str
) -> None:
    assert pick_language(*candidates) == expected


def test_a_russian_user_reads_russian() -> None:
    assert (
        Translator("ru")
        .gettext(
            "/start: what this bot is for\n/help: this list\n"
            "Add me to your community chat to run group purchases there."
        )
        .startswith("/start — зачем")
    )
