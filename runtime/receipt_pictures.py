"""A receipt photo read small and hashed: what recognises the same picture sent again
(domain/receipts.py). Reading it is best effort: a picture that cannot be fetched or read in
time, or that is too large, keeps only Telegram's file id, and the receipt goes on as ever."""

from __future__ import annotations

import asyncio
import io
import logging
import math
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import Bot, PhotoSize
from telegram.error import TelegramError

from domain.receipts import HASH_BITS, ReceiptPicture

if TYPE_CHECKING:
    from PIL.ImageFile import ImageFile

log = logging.getLogger(__name__)

# Telegram keeps every photo in several sizes; the one of at most 320 px a side is plenty to
# tell receipts apart and costs a few kilobytes. Beyond these limits nothing is fetched or
# decoded: a hostile file costs neither memory nor time.
ENOUGH_SIDE = 320
MAX_BYTES = 1_000_000
MAX_PIXELS = 4_000_000
FETCH_SECONDS = 10.0
HASH_SIDE = math.isqrt(HASH_BITS)  # the hash is a square of bits


def size_to_read(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """The largest size within ENOUGH_SIDE, or the smallest there is."""
    small = [size for size in sizes if max(size.width, size.height) <= ENOUGH_SIDE]
    if small:
        return max(small, key=lambda size: size.width * size.height)
    return min(sizes, key=lambda size: size.width * size.height)


def picture_hash(data: bytes) -> int | None:
    """The picture's perceptual hash of HASH_BITS; None when it is no picture or too large."""
    # Imported here, not at start: the first receipt pays for loading them, not every worker.
    import imagehash

    image = _header_read(data)
    if image is None:
        return None
    with image:
        if image.width * image.height > MAX_PIXELS:
            return None  # refused on its header: nothing of it was decoded
        try:
            image.draft("L", (ENOUGH_SIDE, ENOUGH_SIDE))  # a JPEG decodes scaled down
            return int(str(imagehash.phash(image, hash_size=HASH_SIDE)), 16)
        except (OSError, ValueError, SyntaxError):
            return None


def _header_read(data: bytes) -> ImageFile | None:
    """The picture with only its header read, as a JPEG, PNG or WebP; None when it is none.

    Its formats' own readers, not `Image.open`: that one warns of a picture of many million
    pixels, and the only way to refuse it there is the process's warnings filter, which this
    thread must not change under the others (the size is checked against MAX_PIXELS here)."""
    from PIL.JpegImagePlugin import JpegImageFile
    from PIL.PngImagePlugin import PngImageFile
    from PIL.WebPImagePlugin import WebPImageFile

    for kind in (JpegImageFile, PngImageFile, WebPImageFile):
        try:
            return kind(io.BytesIO(data))
        except (OSError, ValueError, SyntaxError, IndexError, TypeError, struct.error):
            continue  # not this format: its reader refused the header
    return None


async def _fetch(bot: Bot, size: PhotoSize) -> bytes | None:
    if size.file_size is not None and size.file_size > MAX_BYTES:
        return None
    found = await bot.get_file(size.file_id)
    if found.file_size is not None and found.file_size > MAX_BYTES:
        return None
    data = bytes(await found.download_as_bytearray())
    return data if len(data) <= MAX_BYTES else None


async def receipt_picture(bot: Bot, sizes: Sequence[PhotoSize]) -> ReceiptPicture:
    """The photo's file id (its largest size's, the same in every copy of one upload) and,
    when it can be fetched and read, its hash."""
    unique = sizes[-1].file_unique_id
    try:
        data = await asyncio.wait_for(_fetch(bot, size_to_read(sizes)), FETCH_SECONDS)
        if data is None:
            return ReceiptPicture(unique)
        return ReceiptPicture(unique, await asyncio.to_thread(picture_hash, data))
    except (TelegramError, TimeoutError) as error:
        log.info("a receipt's picture was not read (%s): its file id alone is compared", error)
        return ReceiptPicture(unique)
