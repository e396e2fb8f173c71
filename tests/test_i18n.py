"""Catalogs: every string the code uses is translated, and languages are picked sensibly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from texts.i18n import LOCALES_DIR, Translator, pick_language

REPO = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def strings_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "runtime", "texts", "handlers", "domain"):
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
        Translator("ru").gettext("Deadline reminders are off.") == "Напоминания о стопе выключены."
    )
    assert Translator("zh_Hans").gettext("Deadline reminders are off.") == "截单提醒已关闭。"


PLACEHOLDER = re.compile(r"\{(\w*)\}")


@pytest.mark.parametrize("language", ["ru", "zh_Hans"])
def test_translations_keep_every_placeholder_and_tag(language: str) -> None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    for message in catalog:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(sources[-1]))
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) == expected, (message.id, target)
            assert target.count("<b>") == sources[0].count("<b>"), (message.id, target)


def test_russian_plurals_have_three_forms() -> None:
    t = Translator("ru")
    forms = [
        t.ngettext("{count} member", "{count} members", n).format(count=n) for n in (1, 3, 5, 21)
    ]
    assert forms == ["1 участник", "3 участника", "5 участников", "21 участник"]


def test_a_refusal_is_translated_with_each_value_formatted_for_the_reader() -> None:
    from domain.errors import N_, DomainError, LimitExceeded, Term
    from domain.money import Money
    from domain.purchase import PurchaseStatus

    ru = Translator("ru")
    inner = LimitExceeded(N_("at most {limit} of {item} per member"), limit=1500, item="Мёд")
    wrapped = DomainError(
        N_("line {number} ({key}): {reason}"), number=3, key="Товар", reason=inner
    )
    assert ru.reason(wrapped) == "строка 3 (Товар): Мёд: не больше 1\xa0500 шт. на участника"
    assert str(wrapped) == "line 3 (Товар): at most 1500 of Мёд per member"
    status = DomainError(
        N_("the purchase is {status}; it cannot be extended"), status=PurchaseStatus.STOPPED
    )
    assert ru.reason(status) == "закупка остановлена — продлить её нельзя"
    term = DomainError(N_("{what} must be more than zero"), what=Term(N_("the delivery cost")))
    assert Translator("zh_Hans").reason(term) == "运费必须大于零"
    assert Translator("en").reason(DomainError("odd {text}")) == "odd {text}"
    # amounts (none of today's messages carries one) are formatted like every other amount
    assert ru.reason(DomainError("{amount}", amount=Money(123450, "RUB"))) == "1\xa0234,50\xa0₽"


def test_no_message_is_marked_inside_an_f_string_where_the_extractor_cannot_see_it() -> None:
    """Babel's extractor does not look into f-strings: a message marked there would never reach
    the catalogs and would stay English in every language."""
    import ast

    hidden = []
    for folder in ("bot", "runtime", "texts", "handlers", "domain"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and isinstance(
                        inner.func, ast.Attribute | ast.Name
                    ):
                        name = (
                            inner.func.attr
                            if isinstance(inner.func, ast.Attribute)
                            else inner.func.id
                        )
                        if (
                            name in KEYWORDS
                            and inner.args
                            and isinstance(inner.args[0], ast.Constant)
                        ):
                            hidden.append(
                                f"{path.relative_to(REPO)}:{inner.lineno} {inner.args[0].value!r}"
                            )
    assert hidden == []
