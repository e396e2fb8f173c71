"""Crafted price lists: the time and peak memory each costs, read as the bot reads uploads now
(a process of its own under hard limits, runtime/table_reader.py) against reading it in the
bot's own process as before (openpyxl and csv on the event loop, no limits but a row count),
and how long the event loop was held meanwhile (what everyone else waited).

    python -m bench.file_limits
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from bench.common import benchmark_parser
from runtime.table_reader import read_table

# The reading as it was before, in a process of its own only so that the benchmark survives
# it: openpyxl in read-only mode over the whole sheet, as many rows as the sheet declares.
BEFORE = """
import io, sys, json, csv
import openpyxl
from runtime.table_child import peak_kb
kind, data = sys.argv[1], sys.stdin.buffer.read()
rows = 0
if kind == "xlsx":
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for row in book.worksheets[0].iter_rows(values_only=True):
        rows += 1
        if rows > 100_000:
            break
else:
    rows = sum(1 for _ in csv.reader(io.StringIO(data.decode())))
print(json.dumps({"rows": rows, "peak_kb": peak_kb()}))
"""


def sheet(rows: int = 50) -> bytes:
    """A price list of `rows` items, as a spreadsheet program saves it."""
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.append(["Name", "Price"])
    for number in range(rows):
        worksheet.append([f"Item {number}", 2.5])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def rewritten(data: bytes, change: Callable[[bytes], bytes], part: str = SHEET) -> bytes:
    """The workbook with one of its parts changed: a crafted file."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def declared(ref: bytes) -> Callable[[bytes], bytes]:
    tag = b'<dimension ref="' + ref + b'"/>'
    return lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>', tag, xml)


def far_cell(xml: bytes) -> bytes:
    """One more cell, far away: a reader fills in every row and column before it."""
    far = b'<row r="100000"><c r="XFD100000"><v>1</v></c></row>'
    return xml.replace(b"</sheetData>", far + b"</sheetData>")


def huge_cell(xml: bytes) -> bytes:
    text = b"A" * 150_000_000
    cell = b'<row r="60"><c r="A60" t="inlineStr"><is><t>' + text + b"</t></is></c></row>"
    return xml.replace(b"</sheetData>", cell + b"</sheetData>")


def repeated_shared_string() -> bytes:
    """1,000 rows of 60 cells, each pointing at one 900-character shared string: a small
    file that reads as 54 MB of text."""
    cells = "".join(f'<c r="{column}1" t="s"><v>0</v></c>' for column in ("A", "B"))
    row = "".join('<c t="s"><v>0</v></c>' for _ in range(60))
    rows = "".join(f'<row r="{n}">{row}</row>' for n in range(2, 1002))
    shared = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1"><si><t>{"x" * 900}</t></si></sst>'
    )
    data = rewritten(
        sheet(0),
        lambda xml: re.sub(
            rb"<sheetData>.*</sheetData>",
            f'<sheetData><row r="1">{cells}</row>{rows}</sheetData>'.encode(),
            xml,
            flags=re.S,
        ),
    )
    data = rewritten(
        data,
        lambda xml: xml.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
        "[Content_Types].xml",
    )
    data = rewritten(
        data,
        lambda xml: xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ),
        "xl/_rels/workbook.xml.rels",
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def files() -> dict[str, tuple[str, bytes]]:
    """Each file by name: its kind and its bytes (made when asked: some unpack to 150 MB)."""
    return {
        "a price list of 50 rows": ("xlsx", sheet()),
        "declares 100 columns x 100,000 rows": (
            "xlsx",
            rewritten(sheet(), declared(b"A1:CV100000")),
        ),
        "declares every cell Excel has": ("xlsx", rewritten(sheet(), declared(b"A1:XFD1048576"))),
        "declares every cell, one at row 100,000": (
            "xlsx",
            rewritten(rewritten(sheet(), far_cell), declared(b"A1:XFD1048576")),
        ),
        "150 MB of text packed in a cell": ("xlsx", rewritten(sheet(), huge_cell)),
        "one 900-character string in 60,000 cells": ("xlsx", repeated_shared_string()),
        "a CSV of 300,000 rows (1.8 MB)": ("csv", b"Name,Price\n" + b"ab,1\n" * 300_000),
    }


async def now_reading(kind: str, data: bytes) -> tuple[float, float, str]:
    """Seconds, the event loop's longest stall meanwhile, and the outcome."""
    stalls = [0.0]

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            stalls.append(time.perf_counter() - before - 0.005)

    ticking = asyncio.get_running_loop().create_task(ticker())
    started = time.perf_counter()
    try:
        outcome = f"{len(await read_table('file.' + kind, data))} rows"
    except Exception as error:
        outcome = f"refused: {error}"
    seconds = time.perf_counter() - started
    ticking.cancel()
    return seconds, max(stalls), outcome


def before_reading(kind: str, data: bytes, limit: float = 120.0) -> tuple[float, str, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", BEFORE, kind],
            input=data,
            capture_output=True,
            timeout=limit,
            cwd=Path(__file__).parent.parent,
        )
    except subprocess.TimeoutExpired:
        return limit, "-", f"still reading after {limit:.0f} s"
    seconds = time.perf_counter() - started
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return seconds, "-", f"failed: {done.stderr.decode()[-80:].strip()}"
    return seconds, f"{answer['peak_kb'] // 1024} MB", f"{answer['rows']} rows"


def child_peak(kind: str, data: bytes) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "runtime.table_child", kind], input=data, capture_output=True
    )
    return f"{json.loads(done.stdout)['peak_kb'] // 1024} MB"


async def main() -> None:
    print("crafted price lists: before (in the bot's process) and now (a process with limits)")
    print(f"{'file':<38}{'size':>9} | {'before s':>9}{'peak':>8}  {'outcome':<26}| "
          f"{'now s':>6}{'peak':>8}{'loop held':>10}  outcome")  # fmt: skip
    for name, (kind, data) in files().items():
        before_s, before_peak, before_outcome = before_reading(kind, data)
        now_s, stall, outcome = await now_reading(kind, data)
        print(
            f"{name:<38}{len(data) // 1024:>7}KB | {before_s:>9.2f}{before_peak:>8}  "
            f"{before_outcome:<26}| {now_s:>6.2f}{child_peak(kind, data):>8}"
            f"{stall * 1000:>8.0f}ms  {outcome}"
        )


if __name__ == "__main__":
    benchmark_parser(__doc__).parse_args()
    asyncio.run(main())
