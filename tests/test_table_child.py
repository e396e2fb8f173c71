"""The table reader's own rules, called in this process (the bot runs it in a process of its
own under hard limits: tests/hostile/test_floods.py): rows of text, and each limit by name."""

from __future__ import annotations

import pytest

from bench.file_limits import declared, repeated_shared_string, rewritten, sheet
from runtime import table_child


def test_a_price_list_reads_as_rows_of_text() -> None:
    answer = table_child.read("xlsx", sheet(2))
    assert answer == {"rows": [["Name", "Price"], ["Item 0", "2.5"], ["Item 1", "2.5"]]}
    csv = table_child.read("csv", "Name;Price\nМёд;12,50\n".encode())
    assert csv == {"rows": [["Name", "Price"], ["Мёд", "12,50"]]}


@pytest.mark.parametrize(
    ("kind", "data", "refused", "limit"),
    [
        ("xlsx", rewritten(sheet(), declared(b"A1:CV20")), "columns", table_child.MAX_COLUMNS),
        ("xlsx", rewritten(sheet(), declared(b"A1:B20000")), "rows", table_child.MAX_ROWS),
        ("xlsx", repeated_shared_string(), "text", table_child.MAX_TEXT_MB),
        ("xlsx", b"PK\x03\x04 not a zip", "not_xlsx", None),
        ("csv", b"Name,Price\n" + b"x" * 2_000 + b",1\n", "cell", table_child.MAX_CELL_CHARACTERS),
        ("csv", "Name,Price\nМёд,1\n".encode("cp1251"), "not_utf8", None),
        ("csv", b"Name\x00,Price\n", "not_csv", None),
    ],
)  # fmt: skip
def test_each_limit_is_refused_by_name(
    kind: str, data: bytes, refused: str, limit: int | None
) -> None:
    assert table_child.read(kind, data) == {"refused": refused, "limit": limit}
