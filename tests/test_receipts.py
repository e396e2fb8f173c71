"""Receipts sent twice: the same picture (the same file, or one that looks the same) sent
again as proof of payment to the same head is flagged to her above Received / Not received;
another picture, or another head's purchase, is not (docs/checks.md)."""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from PIL import Image, ImageDraw

from domain import services
from domain.community import Community as Community_
from domain.permissions import Actor
from domain.purchase import PurchaseStatus
from domain.receipts import (
    NEAR_BITS,
    Receipt,
    ReceiptPicture,
    earlier_copy,
    hash_distance,
    same_picture,
)
from runtime.receipt_pictures import MAX_PIXELS, picture_hash
from sandbox.model import SandboxMessage, SandboxUser
from storage.unit_of_work import Database
from tests.support.builders import NOW, purchase
from tests.support.scenario import TIMEZONE, Community, community_running, template
from tests.test_head_panel import stopped_purchase
from texts.i18n import Translator
from texts.receipts_view import receipt_caption

# What the head's caption starts with when the picture was sent before, per language.
SAME_FILE = {"en": "⚠️ This picture was already sent as a receipt by {name} for {title} on"}
LOOKS_SAME = {
    "en": "⚠️ This picture looks the same as the receipt {name} sent for {title} on",
    "ru": "⚠️ Эта картинка выглядит так же, как чек, который {name} прислал(а) за {title}",
}
JOINED = {"en": "You're in: 1 × Honey 0.5 kg", "ru": "Вы участвуете: 1 × Honey 0.5 kg"}
NOT_RECEIVED = {
    "en": ("❌ Not received", "Member told."),
    "ru": ("❌ Не получено", "Участник уведомлён."),
}


def bank_screen(amount: str, name: str, size: tuple[int, int] = (360, 600),
                quality: int = 90) -> bytes:  # fmt: skip
    """A payment screen as a bank app shows it, saved as a JPEG of `size`."""
    image = Image.new("RGB", (600, 1000), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 600, 120), fill=(30, 120, 60))
    draw.text((40, 40), "Bank app", fill="white", font_size=40)
    draw.text((40, 200), f"Transfer {amount}", fill="black", font_size=56)
    draw.text((40, 320), f"To {name}", fill="black", font_size=40)
    draw.ellipse((250, 600, 350, 700), fill=(30, 120, 60))
    saved = io.BytesIO()
    image.resize(size).save(saved, "JPEG", quality=quality)
    return saved.getvalue()


def a_photo() -> bytes:
    """Another picture altogether: a landscape, nothing like a bank screen."""
    image = Image.new("RGB", (600, 400), (90, 160, 230))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 400), (250, 120), (600, 400)], fill=(60, 90, 50))
    draw.ellipse((450, 40, 550, 140), fill=(250, 220, 80))
    saved = io.BytesIO()
    image.save(saved, "JPEG", quality=85)
    return saved.getvalue()


async def receipt(c: Community, member: SandboxUser, data: bytes = b"",
                  again: SandboxMessage | None = None, done: str = "The receipt went"
                  ) -> tuple[SandboxMessage, SandboxMessage]:  # fmt: skip
    """`member` sends a receipt photo; returns it and the head's photo message about it."""
    before = c.sandbox.bot_messages(c.head.id)
    sent = await c.sandbox.send_photo(member, data, again=again)
    await c.sandbox.wait_for_message(member.id, done, after=sent)
    head = await c.sandbox.wait_for_message(
        c.head.id, lambda m: m.photo is not None, after=before[-1] if before else 0
    )
    return sent, head


async def not_received(c: Community, language: str, head_photo: SandboxMessage) -> None:
    label, told = NOT_RECEIVED[language]
    await c.sandbox.tap(c.head, head_photo, label, answer=told)


def test_hashes_tell_a_picture_saved_again_from_another_one() -> None:
    screen = picture_hash(bank_screen("25.00 EUR", "Anna"))
    assert screen is not None
    resaved = picture_hash(bank_screen("25.00 EUR", "Anna", (300, 500), quality=60))
    other = picture_hash(bank_screen("31.50 EUR", "Bob"))
    landscape = picture_hash(a_photo())
    assert resaved is not None and other is not None and landscape is not None
    assert hash_distance(screen, resaved) <= NEAR_BITS
    assert hash_distance(screen, other) > NEAR_BITS
    assert hash_distance(screen, landscape) > NEAR_BITS
    assert earlier_copy(ReceiptPicture("new", resaved), []) is None
    # A picture that could not be read is compared by its file alone.
    assert not same_picture(ReceiptPicture("unread"), ReceiptPicture("other", screen))
    assert same_picture(ReceiptPicture("same"), ReceiptPicture("same", screen))


def test_what_is_no_picture_or_too_large_has_no_hash() -> None:
    assert picture_hash(b"\xff\xd8 a photo of a bank slip") is None
    assert picture_hash(b"") is None
    # A PNG whose header claims far more pixels than allowed is not decoded.
    huge = Image.new("1", (MAX_PIXELS // 1000 + 1, 1001))
    saved = io.BytesIO()
    huge.save(saved, "PNG")
    assert picture_hash(saved.getvalue()) is None


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only its header, claiming `width` × `height` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_hashing_a_picture_leaves_the_process_warnings_filter_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pictures are hashed in worker threads: the warnings filter is the whole process's, and
    a thread changing it (catch_warnings) could lose another thread's filters or warnings."""

    def touched(*args: object, **kwargs: object) -> None:
        raise AssertionError("picture hashing changed the process's warnings filter")

    picture_hash(b"")  # imagehash and SciPy loaded, which may set filters of their own
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with monkeypatch.context() as patched:
            for name in ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"):
                patched.setattr(warnings, name, touched)
            assert picture_hash(bank_screen("25.00 EUR", "Anna")) is not None
            # Beyond Pillow's own limit (a warning there) and twice beyond it (an error
            # there): refused on the header, and no warning for any other thread to see.
            for pixels in (100_010_000, 200_020_000):
                assert picture_hash(png_header(10_000, pixels // 10_000)) is None
    assert seen == []


@pytest.fixture
async def community(sqlite_url: str) -> AsyncIterator[Community]:
    async with community_running(sqlite_url) as running:
        yield running


async def test_the_same_picture_sent_again_by_one_member_is_flagged_and_another_is_not(
    community: Community,
) -> None:
    c = community
    await stopped_purchase(c)
    title = "<b>Wildflower honey from Altai</b>"
    first, head_photo = await receipt(c, c.bob, bank_screen("13.65 EUR", "Hanna"))
    assert (head_photo.caption or "").startswith("🧾 Receipt from Bob for")
    await not_received(c, "en", head_photo)

    # Another picture: no warning.
    _, head_photo = await receipt(c, c.bob, a_photo())
    assert (head_photo.caption or "").startswith("🧾 Receipt from Bob for")
    await not_received(c, "en", head_photo)

    # The first one forwarded again: the same file.
    _, head_photo = await receipt(c, c.bob, again=first)
    caption = head_photo.html or ""
    assert caption.startswith(SAME_FILE["en"].format(name="Bob", title=title))
    assert "🧾 Receipt from Bob for" in caption
    # The warning comes with the buttons: she reads it before she confirms.
    assert [b["text"] for b in head_photo.buttons()] == ["✅ Received", "❌ Not received"]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_picture_that_looks_the_same_from_another_member_of_another_purchase_is_flagged(
    sqlite_url: str, language: str
) -> None:
    async with community_running(sqlite_url, language=language) as c:
        await _two_purchases_one_picture(c, language)


async def _two_purchases_one_picture(c: Community, language: str) -> None:
    for person in (c.head, c.alice, c.bob):
        sent = await c.sandbox.start(person)
        await c.sandbox.wait_for_message(person.id, after=sent)
    cards = [
        await c.publish(template(**{"Title": title, "Min order": "1 units"}))
        for title in ("Honey", "Tea")
    ]
    await c.sandbox.tap(c.alice, cards[0], "+1 Honey 0.5 kg", answer=JOINED[language])
    await c.sandbox.tap(c.bob, cards[1], "+1 Honey 0.5 kg", answer=JOINED[language])
    for number in (1, 2):
        await services.stop_now(c.runtime.database.unit_of_work(), number, Actor(c.head.id))
    await receipt(c, c.alice, bank_screen("13.65 EUR", "Hanna"), done="")
    # Bob sends the same screen, saved again smaller: another file, a picture that looks the same.
    _, head_photo = await receipt(
        c, c.bob, bank_screen("13.65 EUR", "Hanna", (300, 500), quality=70), done=""
    )
    caption = head_photo.html or ""
    assert caption.startswith(LOOKS_SAME[language].format(name="Alice Zebra", title="<b>Honey</b>"))


async def test_another_heads_purchase_is_not_compared(community: Community) -> None:
    c = community
    await stopped_purchase(c)
    first, _ = await receipt(c, c.bob, bank_screen("13.65 EUR", "Hanna"))
    # Alice leads a purchase of her own; Bob pays her with the same picture, forwarded.
    sent = await c.sandbox.send(
        c.alice, "/new\n" + template(**{"Title": "Tea", "Min order": "1 units"}), chat=c.chat
    )
    card = await c.sandbox.wait_for_message(c.chat.id, "🛒 Tea", after=sent)
    await c.sandbox.tap(c.bob, card, "+1 Honey 0.5 kg", answer=JOINED["en"])
    await services.stop_now(c.runtime.database.unit_of_work(), 2, Actor(c.alice.id))
    before = c.sandbox.bot_messages(c.alice.id)
    sent = await c.sandbox.send_photo(c.bob, b"", again=first)
    await c.sandbox.wait_for_message(c.bob.id, "The receipt went to the head of Tea", after=sent)
    alices = await c.sandbox.wait_for_message(
        c.alice.id, lambda m: m.photo is not None, after=before[-1]
    )
    assert (alices.caption or "").startswith("🧾 Receipt from Bob for Tea")


async def test_her_receipts_are_in_her_file_and_lose_her_name_when_she_is_forgotten(
    database: Database,
) -> None:
    """/mydata shows what the bot keeps of each receipt she sent (no picture: its file id and
    hash); once she is forgotten in the purchase, the receipt names her no more."""
    await services.register_community(
        database.unit_of_work(), Community_(-100, "Block 5", "Europe/Berlin", "EUR", "en")
    )
    draft = replace(purchase(status=PurchaseStatus.DRAFT), id=0)
    pid = await services.publish_purchase(database.unit_of_work(), draft, NOW, Decimal(10))
    async with database.unit_of_work() as uow:
        await uow.receipts.add(pid, 5, "Anna Berg", ReceiptPicture("AQADfile", 0xABC), NOW)
        await uow.receipts.add(pid, 6, "Bob", ReceiptPicture("AQADother"), NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        mine = (await uow.personal_data.export(5))["purchases"][str(pid)]["receipts_sent"]
        assert mine == [{
            "at": NOW.isoformat(), "name_stored": "Anna Berg", "telegram_file": "AQADfile",
            "picture_hash": f"{0xABC:064x}",
        }]  # fmt: skip
        await uow.personal_data.pseudonymise(pid, 5)
        await uow.commit()
    async with database.unit_of_work() as uow:
        kept = await uow.receipts.of_head(draft.head_id, NOW - timedelta(days=1), 10)
        assert sorted((r.member_name, r.member_id == 5) for r in kept) == [
            ("Bob", False), ("Member #1", False)
        ]  # fmt: skip
        assert (await uow.personal_data.export(5))["purchases"] == {}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_payments_list_warns_of_a_claim_whose_receipt_was_sent_before(
    sqlite_url: str, language: str
) -> None:
    """Her button there records the money in one tap: the warning stands beside it."""
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        for person in (c.head, c.alice, c.bob):
            sent = await c.sandbox.start(person)
            await c.sandbox.wait_for_message(person.id, after=sent)
        card = await c.publish(template(**{"Title": "Honey", "Min order": "1 units"}))
        for member in (c.alice, c.bob):
            await c.sandbox.tap(member, card, "+1 Honey 0.5 kg", answer=JOINED[language])
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        first, head_photo = await receipt(c, c.bob, bank_screen("4.00 EUR", "Hanna"), done="")
        await not_received(c, language, head_photo)
        await receipt(c, c.alice, again=first, done="")  # Bob's picture, forwarded
        panel = await c.panel()
        await c.sandbox.tap(c.head, panel, t.gettext("Payments"), answer="")
        listing = await c.sandbox.wait_for_message(c.head.id, "💶", after=panel)
    warning = t.gettext("⚠️ its receipt looks like the one {name} sent for {title} on {date}")
    alice_line = next(line for line in (listing.text or "").splitlines() if "Alice Zebra" in line)
    assert warning.format(name="Bob", title="Honey", date="\0").split("\0")[0] in alice_line
    bob_line = next(line for line in (listing.text or "").splitlines() if "Bob:" in line)
    assert "⚠️" not in bob_line  # his claim was answered: nothing to confirm
    labels = [b["text"] for b in listing.buttons()]
    assert any(label.startswith("⚠️ Alice Zebra") for label in labels)
    assert any(label.startswith("✅ Bob") for label in labels)


SAME_FILE["ru"] = "⚠️ Эту картинку уже присылал(а) как чек {name} за {title}"
ALSO_LOOKS = {
    "en": "⚠️ It also looks the same as the receipt {name} sent for {title} on",
    "ru": "⚠️ Ещё она похожа на чек, который {name} прислал(а) за {title}",
}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_picture_matching_several_names_the_same_file_first_then_the_look_alike(
    sqlite_url: str, language: str
) -> None:
    """Alice's receipt; Bob's look-alike of it later; then Bob forwards Alice's very file:
    the same file is the stronger evidence, named first, though Bob's is the later one."""
    t = Translator(language, TIMEZONE)
    async with community_running(sqlite_url, language=language) as c:
        for person in (c.head, c.alice, c.bob):
            sent = await c.sandbox.start(person)
            await c.sandbox.wait_for_message(person.id, after=sent)
        card = await c.publish(template(**{"Title": "Honey", "Min order": "1 units"}))
        for member in (c.alice, c.bob):
            await c.sandbox.tap(member, card, "+1 Honey 0.5 kg", answer=JOINED[language])
        await services.stop_now(c.runtime.database.unit_of_work(), 1, Actor(c.head.id))
        alices, _ = await receipt(c, c.alice, bank_screen("4.00 EUR", "Hanna"), done="")
        smaller = bank_screen("4.00 EUR", "Hanna", (300, 500), quality=70)
        _, head_photo = await receipt(c, c.bob, smaller, done="")
        await not_received(c, language, head_photo)
        _, head_photo = await receipt(c, c.bob, again=alices, done="")
        panel = await c.panel()
        await c.sandbox.tap(c.head, panel, t.gettext("Payments"), answer="")
        listing = await c.sandbox.wait_for_message(c.head.id, "💶", after=panel)
    title = "<b>Honey</b>"
    first, also, _ = (head_photo.html or "").split("\n", 2)
    assert first.startswith(SAME_FILE[language].format(name="Alice Zebra", title=title))
    assert also.startswith(ALSO_LOOKS[language].format(name="Bob", title=title))
    # The payments list names one: the same file's sender.
    warning = t.gettext("⚠️ its receipt looks like the one {name} sent for {title} on {date}")
    bob_line = next(line for line in (listing.text or "").splitlines() if "Bob:" in line)
    assert warning.format(name="Alice Zebra", title="Honey", date="\0").split("\0")[0] in bob_line


def test_a_caption_naming_many_earlier_receipts_stays_within_telegrams_limit() -> None:
    """Long names and titles: fewer are named, the rest counted."""
    t = Translator("en", TIMEZONE)
    picture = ReceiptPicture("file", 0)
    copies = [
        Receipt(n, "T" * 120, n, f"{n}" + "N" * 128, ReceiptPicture(f"other{n}", 1), NOW)
        for n in range(5)
    ]
    honey = purchase()
    caption = receipt_caption(t, honey, "Bob", honey.items[0].unit_price, picture, copies)
    lines = caption.split("\n")
    assert len(_shown(caption)) <= 1024
    assert lines[0].startswith("⚠️ This picture looks the same as the receipt 0NNN")
    assert lines[1].startswith("⚠️ It also looks the same as the receipt 1NNN")
    assert lines[2] == "⚠️ And 3 more receipts like it."
    short = [replace(copy, member_name=f"P{n}", purchase_title="Tea") for n, copy in
             enumerate(copies)]  # fmt: skip
    caption = receipt_caption(t, honey, "Bob", honey.items[0].unit_price, picture, short)
    assert caption.split("\n")[3] == "⚠️ And 2 more receipts like it."
    assert "P3" not in caption


def _shown(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))
