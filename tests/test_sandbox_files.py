"""Files as Telegram keeps them: documents uploaded and downloaded, photos, albums and captions."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest

from sandbox.chat_page import message_html
from sandbox.driver import Sandbox
from sandbox.limits import Limits
from tests.support.raw_api import call, started_user
from tests.support.running import sandbox_running


async def test_documents_upload_and_download(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "Supplier order")
    form.add_field(
        "document", b"item;units\nHoney;12\n", filename="order.csv", content_type="text/csv"
    )
    url = f"{sandbox.emulator.base_url}{sandbox.emulator.token}/sendDocument"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=form) as response:
            sent = await response.json()
        assert sent["result"]["document"]["file_name"] == "order.csv"
        file_id = sent["result"]["document"]["file_id"]
        _, info = await call(sandbox, "getFile", file_id=file_id)
        path = info["result"]["file_path"]
        download = f"{sandbox.emulator.file_base_url}{sandbox.emulator.token}/{path}"
        async with session.get(download) as response:
            assert await response.read() == b"item;units\nHoney;12\n"
    assert sandbox.documents(alice.id) == [("order.csv", b"item;units\nHoney;12\n")]
    # A file id is sent again only as what it is: a document is no photo.
    status, body = await call(sandbox, "sendPhoto", chat_id=alice.id, photo=file_id)
    assert (status, body["description"]) == (
        400, "Bad Request: can't use file of type Document as Photo",
    )  # fmt: skip
    status, _ = await call(sandbox, "sendDocument", chat_id=alice.id, document=file_id)
    assert status == 200


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000104944415478"
    "9c6378b640038818201400320e06b9cec1db810000000049454e44ae426082"
)


async def test_photos_albums_and_captions_as_telegram_checks_them() -> None:
    """Through python-telegram-bot itself: what the bot's photo cards rely on (flood control
    off: these are many messages to one chat at once)."""
    async with sandbox_running(Limits(enabled=False)) as sandbox:
        await _photos_albums_and_captions(sandbox)


async def _photos_albums_and_captions(sandbox: Sandbox) -> None:
    alice = started_user(sandbox)
    async with Bot(sandbox.emulator.token, base_url=sandbox.emulator.base_url) as bot:
        sent = await bot.send_photo(alice.id, PNG, caption="<b>Honey</b>", parse_mode="HTML")
        assert sent.photo and sent.caption == "Honey"
        file_id = sent.photo[-1].file_id
        again = await bot.send_photo(alice.id, file_id)  # a photo's id is sent again as is
        assert again.photo[-1].file_id == file_id
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(alice.id, file_id, caption="x" * 1025)
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(alice.id, InputFile(b"not a picture", filename="x.txt"))
        by_url = await bot.send_photo(alice.id, "https://example.org/honey.jpg")
        assert by_url.photo  # fetched by Telegram; the sandbox keeps a stand-in picture
        album = await bot.send_media_group(
            alice.id,
            [InputMediaPhoto(file_id, caption="one"), InputMediaPhoto(PNG, caption="two")],
        )
        assert [m.caption for m in album] == ["one", "two"]
        assert album[0].media_group_id is not None
        assert album[0].media_group_id == album[1].media_group_id != sent.media_group_id
        assert album[1].message_id == album[0].message_id + 1
        for media in ([InputMediaPhoto(file_id)], [InputMediaPhoto(file_id)] * 11):
            with pytest.raises(BadRequest, match=r"(?i)wrong number of media"):
                await bot.send_media_group(alice.id, media)
        edited = await bot.edit_message_caption(alice.id, sent.message_id, caption="Jam")
        assert isinstance(edited, Message) and edited.caption == "Jam"
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_caption(alice.id, sent.message_id, caption="Jam")
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.edit_message_caption(alice.id, sent.message_id, caption="y" * 1025)
        text = await bot.send_message(alice.id, "no photo here")
        with pytest.raises(BadRequest, match=r"(?i)no caption in the message to edit"):
            await bot.edit_message_caption(alice.id, text.message_id, caption="Jam")
        # Counted as Telegram counts: UTF-16 code units of the text, without the markup.
        cheese = "🧀" * 512
        await bot.send_photo(alice.id, file_id, caption=f"<b>{cheese}</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(alice.id, file_id, caption=cheese + "🧀")
        # Buttons under a photo (a pickup notice's slots), and the chat page shows its caption.
        slots = InlineKeyboardMarkup([[InlineKeyboardButton("Hall", callback_data="gs:1:1:0")]])
        under = await bot.send_photo(
            alice.id, file_id, caption="Code <b>K7PX</b>", parse_mode="HTML", reply_markup=slots
        )
        assert under.reply_markup == slots
        shown = sandbox.emulator.messages[(alice.id, under.message_id)]
        assert message_html(shown, "bot") == "Code <b>K7PX</b>"
    assert [caption for caption, _ in sandbox.photos(alice.id)] == [
        "Jam", None, None, "one", "two", "🧀" * 512, "Code K7PX",
    ]  # fmt: skip
