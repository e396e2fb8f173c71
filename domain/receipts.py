"""Receipts members send as proof of payment, and the check that catches the same picture
sent again — by the same member or another, for the same purchase or another of that head —
before the head confirms money she may never have received."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# A perceptual hash of 256 bits (16 x 16 of the picture's lowest frequencies). Measured on a
# drawn bank screen: saved again as JPEG or resized, it moves 4 to 6 bits; another amount and
# name, 12 to 24. Up to NEAR_BITS differing bits "looks the same". Screens that differ only in
# small print (a reference number, 25.00 against 25.50) look the same to any such hash, so
# the head is told it looks the same, and compares; the same file is told as such.
HASH_BITS = 256
NEAR_BITS = 8
# The receipts compared against: that head's of the last half year, the latest first, at most
# this many. An old receipt sent again later than that is not caught; the head's memory is.
LOOK_BACK = timedelta(days=183)
LOOK_BACK_COUNT = 2000
# An open claim takes this many receipt photos at most — the first, and more while the head
# has not answered (a sharper one, one for the rest paid): every one is downloaded and hashed,
# so a member cannot have the bot fetch photos without end. Her answer ends the claim. The
# member's thanks count them in words: second, third (texts/payments_view.receipt_sent).
RECEIPTS_PER_CLAIM = 3


@dataclass(frozen=True)
class ReceiptPicture:
    """What the bot knows of a receipt photo: Telegram's id of the file itself (the same for
    a forwarded or re-sent copy of one upload) and, when the picture could be read, its
    perceptual hash (None: unread, so only the file id is compared)."""

    file_unique_id: str
    picture_hash: int | None = None

    def same_file(self, other: ReceiptPicture) -> bool:
        return self.file_unique_id == other.file_unique_id


@dataclass(frozen=True)
class Receipt:
    """A receipt as kept: whose, for which purchase (its title read with it), when."""

    purchase_id: int
    purchase_title: str
    member_id: int
    member_name: str
    picture: ReceiptPicture
    sent_at: datetime


def hash_distance(first: int, second: int) -> int:
    """How many of the two hashes' bits differ."""
    return (first ^ second).bit_count()


def same_picture(new: ReceiptPicture, old: ReceiptPicture) -> bool:
    """The same file, or a picture whose hash lies within NEAR_BITS of the other's."""
    if new.same_file(old):
        return True
    if new.picture_hash is None or old.picture_hash is None:
        return False
    return hash_distance(new.picture_hash, old.picture_hash) <= NEAR_BITS


def of_claim(receipt: Receipt, purchase_id: int, member_id: int, since: datetime) -> bool:
    """Whether `receipt` is one of an open claim's: its member's for its purchase, sent from
    the claim's moment on (a receipt and its claim are written together)."""
    return (
        receipt.purchase_id == purchase_id
        and receipt.member_id == member_id
        and receipt.sent_at >= since
    )


def earlier_copies(new: ReceiptPicture, earlier: Iterable[Receipt]) -> list[Receipt]:
    """The receipts of `earlier` that show the same picture as `new`, the strongest evidence
    first: the same file (a forward of one upload) before a picture that only looks the same,
    then the latest; one per member and purchase, so each sender is named once."""
    found = sorted(
        (receipt for receipt in earlier if same_picture(new, receipt.picture)),
        key=lambda receipt: (new.same_file(receipt.picture), receipt.sent_at),
        reverse=True,
    )
    named: dict[tuple[int, int], Receipt] = {}
    for receipt in found:
        named.setdefault((receipt.member_id, receipt.purchase_id), receipt)
    return list(named.values())


def earlier_copy(new: ReceiptPicture, earlier: Iterable[Receipt]) -> Receipt | None:
    """The strongest of `earlier_copies`, if any."""
    return next(iter(earlier_copies(new, earlier)), None)


def claims_seen_before(
    open_claims: Iterable[tuple[int, datetime]],
    sent: Iterable[Receipt],
    earlier: Iterable[Receipt],
) -> dict[int, Receipt]:
    """For each open claim (its member, when it was made) that came with a receipt showing
    the same picture as one of `earlier` sent before it: the strongest such one, by member
    (the same file before a look-alike, then the latest). `sent` are the claims' purchase's
    receipts; a claim's own are those of its member from its moment on (`of_claim`)."""
    sent, earlier = list(sent), list(earlier)
    found: dict[int, tuple[tuple[bool, datetime], Receipt]] = {}
    for member_id, at in open_claims:
        for receipt in (r for r in sent if r.member_id == member_id and r.sent_at >= at):
            # Her other receipts of this claim are the same payment, not a picture reused.
            before = (
                e for e in earlier
                if e.sent_at < receipt.sent_at
                and not of_claim(e, receipt.purchase_id, member_id, at)
            )  # fmt: skip
            copy = earlier_copy(receipt.picture, before)
            if copy is None:
                continue
            strength = (receipt.picture.same_file(copy.picture), copy.sent_at)
            if member_id not in found or strength > found[member_id][0]:
                found[member_id] = (strength, copy)
    return {member_id: copy for member_id, (_, copy) in found.items()}
