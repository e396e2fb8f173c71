"""The process that reads one uploaded table (CSV or XLSX) into rows of text, under hard
limits, so that a crafted file costs this process and never the bot: `python -m
runtime.table_child <kind>` with the file on stdin writes `{"rows": [[...], ...]}` or
`{"refused": <reason>, "limit": <n>}` on stdout. It imports nothing of ours, so it starts fast.

Limits, each named in the refusal (runtime/table_reader.py turns the reason into words):
memory and CPU time (set on itself first), the unpacked size of a workbook's parts (zip and
shared-string bombs), a sheet's declared and real rows and columns (a few kilobytes may declare
a sheet of millions of empty cells, which a reader would fill in), and the text it answers
with (a cell's length and the whole), so that what the bot takes back is small too.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import resource
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAX_MEMORY_MB = 512
MAX_CPU_SECONDS = 10
MAX_UNPACKED_MB = 30
MAX_ROWS = 10_000
MAX_COLUMNS = 60
# What the bot takes back: a cell of a price list is a name or a number, and the whole text
# stays small whatever the file repeats (one shared string in every cell, say).
MAX_CELL_CHARACTERS = 1_000
MAX_TEXT_MB = 5
UTF_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


class Refused(Exception):
    def __init__(self, reason: str, limit: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


def cell(value: object) -> str:
    """A spreadsheet cell as the head sees it: 6 (not 6.0), 12.5, text as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(number.quantize(Decimal(1))) if number == number.to_integral() else str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class Table:
    """The rows read so far, each checked against the limits as it comes."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self._bytes = 0

    def add(self, row: list[str]) -> None:
        if len(self.rows) >= MAX_ROWS:
            raise Refused("rows", MAX_ROWS)
        if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
            raise Refused("columns", MAX_COLUMNS)
        row = row[:MAX_COLUMNS]
        while row and not row[-1]:  # what a reader fills in up to the widest row
            row.pop()
        if any(len(value) > MAX_CELL_CHARACTERS for value in row):
            raise Refused("cell", MAX_CELL_CHARACTERS)
        self._bytes += sum(len(value.encode()) for value in row)  # as the answer carries it
        if self._bytes > MAX_TEXT_MB * 1_000_000:
            raise Refused("text", MAX_TEXT_MB)
        self.rows.append(row)


def csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Refused("not_csv")
    encoding = next((name for bom, name in UTF_BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise Refused("not_utf8") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    table = Table()
    csv.field_size_limit(MAX_CELL_CHARACTERS + 1)
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            table.add(list(row))
    except csv.Error as error:
        if "field larger" in str(error):
            raise Refused("cell", MAX_CELL_CHARACTERS) from None
        raise Refused("not_csv") from None
    return table.rows


def _unpacked_size_checked(data: bytes) -> None:
    """The workbook's parts as their zip declares them (a part cannot unpack to more)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Refused("not_xlsx") from None
    if unpacked > MAX_UNPACKED_MB * 1_000_000:
        raise Refused("unpacked", MAX_UNPACKED_MB)


def xlsx_rows(data: bytes) -> list[list[str]]:
    _unpacked_size_checked(data)
    import openpyxl  # here: a CSV never pays for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        raise Refused("not_xlsx") from None
    try:
        if not workbook.worksheets:
            raise Refused("not_xlsx")
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension>: what a reader would fill in with empty cells.
        if (sheet.max_row or 0) > MAX_ROWS:
            raise Refused("rows", MAX_ROWS)
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise Refused("columns", MAX_COLUMNS)
        sheet.reset_dimensions()  # rows as they are in the file, never padded
        table = Table()
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            table.add([cell(value) for value in values])
        return table.rows
    finally:
        workbook.close()


def read(kind: str, data: bytes) -> dict[str, Any]:
    try:
        rows = xlsx_rows(data) if kind == "xlsx" else csv_rows(data)
    except Refused as refused:
        return {"refused": refused.reason, "limit": refused.limit}
    except MemoryError:
        return {"refused": "memory", "limit": MAX_MEMORY_MB}
    except Exception:  # a file no reader makes sense of
        return {"refused": "not_xlsx" if kind == "xlsx" else "not_csv", "limit": None}
    return {"rows": rows}


def peak_kb() -> int:
    """This process's peak resident memory since its start (getrusage would count the parent
    it was forked from): Linux's VmHWM, else 0."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    memory = MAX_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (MAX_CPU_SECONDS, MAX_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a limit's signal writes no core file
    os.nice(10)  # the bot's own work comes first on a small machine
    data = sys.stdin.buffer.read()
    answer = read(sys.argv[1] if len(sys.argv) > 1 else "csv", data)
    answer["peak_kb"] = peak_kb()
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    main()
