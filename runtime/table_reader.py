"""Uploaded tables (a supplier's price list) are read in a process of their own, under hard
limits (runtime/table_child.py), so that a crafted file of a few kilobytes can neither fill
this process's memory nor hold its event loop: everyone else is answered meanwhile. A file
over a limit is refused with the limit named.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys

from domain.errors import N_
from domain.price_list import PriceListError
from runtime import table_child

log = logging.getLogger(__name__)

# The whole read, from the process's start to its answer; its CPU is limited inside too.
MAX_SECONDS = 15.0
# Files read at once by this process; more wait their turn (one person's files wait anyway).
READERS_AT_ONCE = 2

REASONS = {
    "not_xlsx": N_("the file is not an XLSX workbook"),
    "not_csv": N_("the file is not a CSV table of text"),
    "not_utf8": N_(
        "the file is not in UTF-8; save it as “CSV UTF-8” (or as XLSX) and send it again"
    ),
    "rows": N_("the sheet has more than {limit} rows"),
    "columns": N_("the sheet has more than {limit} columns"),
    "unpacked": N_("the file unpacks to more than {limit} MB"),
    "memory": N_("reading the file needs more than {limit} MB of memory"),
    "time": N_("reading the file takes more than {limit} seconds"),
    "cell": N_("a cell holds more than {limit} characters"),
    "text": N_("the file holds more than {limit} MB of text"),
    "busy": N_("too many files are being read right now; send it again in a minute"),
    "failed": N_("the file could not be read"),
}
# Files waiting for a reader, at most: an upload beyond them is refused at once.
MAX_WAITING_FILES = 4
# What the reader may answer with: the text limit, as JSON with room for quoting.
MAX_ANSWER_BYTES = 4 * table_child.MAX_TEXT_MB * 1_000_000


def _refusal(reason: str, limit: object = None) -> PriceListError:
    return PriceListError(REASONS.get(reason, REASONS["not_csv"]), limit=limit)


class TableReader:
    """One process's readers of uploaded tables, READERS_AT_ONCE at a time."""

    def __init__(self, at_once: int = READERS_AT_ONCE) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self._waiting = 0

    async def rows(self, file_name: str, data: bytes) -> list[list[str]]:
        if self._waiting >= MAX_WAITING_FILES:  # each waits holding an update's slot
            raise _refusal("busy")
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            return await read_table(file_name, data)
        finally:
            self._turns.release()


async def read_table(file_name: str, data: bytes) -> list[list[str]]:
    """The rows of a CSV or XLSX file, each a list of cell texts; PriceListError names the
    limit a file went over, or why it is no table."""
    kind = "xlsx" if file_name.lower().endswith(".xlsx") else "csv"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", table_child.__name__, kind,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(child.communicate(data), MAX_SECONDS)
    except TimeoutError:
        raise _refusal("time", int(MAX_SECONDS)) from None
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):  # its CPU limit
        raise _refusal("time", table_child.MAX_CPU_SECONDS)
    try:
        if len(out) > MAX_ANSWER_BYTES:
            raise ValueError("an answer longer than the reader gives")
        answer = json.loads(out)
    except ValueError:
        log.warning(
            "a table reader ended with %s and no answer: %s",
            child.returncode, err.decode(errors="replace")[-500:],
        )  # fmt: skip
        raise _refusal("failed") from None
    if "refused" in answer:
        raise _refusal(str(answer["refused"]), answer.get("limit"))
    rows: list[list[str]] = answer["rows"]
    return rows
