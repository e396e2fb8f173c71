"""The catalogs' register and punctuation, so they stay as chosen: Chinese speaks to a person
as 你 (the register of group-buying chats, 团购) and puts its own colon after Chinese words;
Russian never leaves a bare possessive as a label ("Ваше: 2 × Cheese" reads "Ваш заказ:")."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from texts.i18n import LOCALES_DIR

# CJK ideographs: a colon right after one is inside Chinese words, not a key or a time.
ASCII_COLON_AFTER_CHINESE = re.compile(r"[\u3400-\u9fff]:")
BARE_POSSESSIVE = re.compile(r"\b[Вв]аш[аеи]?:")


def translations(language: str) -> list[str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    found: list[str] = []
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found += [text for text in strings if text]
    return found


def test_chinese_says_ni_never_nin() -> None:
    assert [text for text in translations("zh_Hans") if "您" in text] == []


def test_chinese_puts_a_full_width_colon_after_chinese_words() -> None:
    wrong = [text for text in translations("zh_Hans") if ASCII_COLON_AFTER_CHINESE.search(text)]
    assert wrong == []


def test_the_checks_find_what_they_look_for() -> None:
    """The two patterns catch the lines this file was written for, and pass what is right."""
    assert ASCII_COLON_AFTER_CHINESE.search("1 件在等下一箱: 再有 2 件就能凑满")
    assert not ASCII_COLON_AFTER_CHINESE.search("取货：14:30，/point 55.75, 37.61")
    assert BARE_POSSESSIVE.search("Ваше: 2 × Cheese")
    assert not BARE_POSSESSIVE.search("Ваш заказ: 2 × Cheese. Ваши закупки:")


def test_russian_labels_name_what_is_yours() -> None:
    assert [text for text in translations("ru") if BARE_POSSESSIVE.search(text)] == []
