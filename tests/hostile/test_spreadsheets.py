"""Every XLSX the bot writes goes through one writer (handlers/exports.py `workbook_bytes`):
text that would start a formula stays text, and a sheet name Excel would refuse (a campaign's
title with a "/") is made one it takes. CSV files go through `csv_bytes` likewise."""

from __future__ import annotations

import csv
import io

import openpyxl

from handlers.exports import csv_bytes, table_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2", "@SUM(A1)", "\t=1"]


def test_the_platform_s_statements_keep_hostile_text_as_text() -> None:
    rows: list[list[object]] = [["Community", "Units"], *[[name, 3] for name in HOSTILE]]
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx("Supplier order of Jam/Honey: =1?", rows)))
    sheet = book.active
    assert sheet is not None and sheet.title == "Supplier order of Jam Honey  =1"
    cells = [(cell.value, cell.data_type) for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells == [value for name in HOSTILE for value in ((name, "s"), (3, "n"))]
    read = list(csv.reader(io.StringIO(csv_bytes(rows).decode("utf-8-sig"))))
    assert [row[0] for row in read[1:]] == ["'" + name for name in HOSTILE]
