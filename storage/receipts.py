"""The receipt photos members sent as proof of payment: each one's Telegram file id and
perceptual hash, so the same picture sent again to the same head is caught (domain/receipts.py).
No picture is stored, only what recognises it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.receipts import Receipt, ReceiptPicture
from storage.purchase_tables import PurchaseRow
from storage.table_base import Base


class ReceiptRow(Base):
    """One receipt photo a member sent for a purchase; its 256-bit hash as 64 hex digits."""

    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_purchase_id_sent_at", "purchase_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"))
    member_id: Mapped[int] = mapped_column(BigInteger)
    member_name: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    picture_hash: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime]


def _hex(value: int | None) -> str | None:
    return None if value is None else f"{value:064x}"


class SqlReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, purchase_id: int, member_id: int, member_name: str,
                  picture: ReceiptPicture, sent_at: datetime) -> None:  # fmt: skip
        self._session.add(ReceiptRow(
            purchase_id=purchase_id, member_id=member_id, member_name=member_name[:255],
            file_unique_id=picture.file_unique_id[:64], picture_hash=_hex(picture.picture_hash),
            sent_at=sent_at,
        ))  # fmt: skip

    async def of_head(self, head_id: int, since: datetime, limit: int) -> list[Receipt]:
        """The receipts sent for the purchases `head_id` leads now, since then, latest first."""
        return await self._read(PurchaseRow.head_id == head_id, since, limit)

    async def of_purchase(self, purchase_id: int, since: datetime, limit: int) -> list[Receipt]:
        """The receipts sent for one purchase, since then, latest first."""
        return await self._read(ReceiptRow.purchase_id == purchase_id, since, limit)

    async def _read(self, which: ColumnElement[bool], since: datetime, limit: int) -> list[Receipt]:
        rows = await self._session.execute(
            select(ReceiptRow, PurchaseRow.title)
            .join(PurchaseRow, PurchaseRow.id == ReceiptRow.purchase_id)
            .where(which, ReceiptRow.sent_at >= since)
            .order_by(ReceiptRow.sent_at.desc(), ReceiptRow.id.desc())
            .limit(limit)
        )
        return [
            Receipt(
                row.purchase_id, title, row.member_id, row.member_name,
                ReceiptPicture(
                    row.file_unique_id,
                    None if row.picture_hash is None else int(row.picture_hash, 16),
                ),
                row.sent_at,
            )
            for row, title in rows
        ]  # fmt: skip
