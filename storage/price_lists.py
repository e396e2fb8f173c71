"""The price lists heads imported from their suppliers' files, one per head and supplier: a
new file from the same supplier replaces the old one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.price_list import PriceList
from storage.community_tables import PriceListRow


def _from_row(row: PriceListRow) -> PriceList:
    return PriceList(
        row.id, row.head_id, row.supplier, row.currency, tuple(row.lines), row.saved_at
    )


class SqlPriceLists:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._insert = postgresql.insert if is_postgres else sqlite.insert

    async def save(
        self, head_id: int, supplier: str, currency: str, lines: tuple[str, ...], now: datetime
    ) -> int:
        """Keep the head's price list of this supplier (the earlier one of it goes); its id."""
        statement = self._insert(PriceListRow).values(
            head_id=head_id, supplier=supplier, currency=currency, lines=list(lines), saved_at=now
        )
        result = await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["head_id", "supplier"],
                set_={"currency": currency, "lines": list(lines), "saved_at": now},
            ).returning(PriceListRow.id)
        )
        return int(result.scalar_one())

    async def get(self, price_list_id: int, head_id: int) -> PriceList | None:
        """One of this head's price lists (another head's is nobody's to use)."""
        row = await self._session.get(PriceListRow, price_list_id)
        return None if row is None or row.head_id != head_id else _from_row(row)

    async def of_head(self, head_id: int, limit: int) -> list[PriceList]:
        """The head's price lists, the latest saved first."""
        rows = await self._session.scalars(
            select(PriceListRow)
            .where(PriceListRow.head_id == head_id)
            .order_by(PriceListRow.saved_at.desc(), PriceListRow.id.desc())
            .limit(limit)
        )
        return [_from_row(row) for row in rows]
