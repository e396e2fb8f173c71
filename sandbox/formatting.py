"""Telegram's HTML parse mode, checked as strictly as Telegram checks it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
}  # fmt: skip
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# A "<" that does not open or close a tag is an error for Telegram, not text.
STRAY_LESS_THAN = re.compile(r"<(?![a-zA-Z/])")


class ParseError(Exception):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}"')
        if tag == "span" and ("class", "tg-spoiler") not in attrs:
            raise ParseError('Tag "span" must have class "tg-spoiler"')
        if tag == "a" and not dict(attrs).get("href"):
            raise ParseError('Tag "a" must have attribute "href"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise ParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            raise ParseError(f'Unsupported HTML entity "&{name};"')
        self.text.append(ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name.lower().startswith("x") else int(name)
        self.text.append(chr(code))


def parse_html(source: str) -> str:
    """The plain text a person sees, or ParseError with Telegram's reason."""
    stray = STRAY_LESS_THAN.search(source)
    if stray:
        offset = len(source[: stray.start()].encode())
        raise ParseError(f"Can't find end of the tag starting at byte offset {offset}")
    parser = _TelegramHTML()
    parser.feed(source)
    parser.close()
    if parser.open_tags:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{parser.open_tags[-1]}"')
    return "".join(parser.text)


def utf16_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units (an emoji can count as two)."""
    return len(text.encode("utf-16-le")) // 2
